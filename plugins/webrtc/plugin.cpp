/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvdirectsignaller.h"
#include "gvpacer.h"
#include "gvpinsignaller.h"
#include "gvwebrtcsink.h"
#include "gvwebrtcsrc.h"

static gboolean plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;
  gst_type_mark_as_plugin_api (GV_TYPE_SIGNALLER, (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GV_TYPE_PIN_SIGNALLER, (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GV_TYPE_DIRECT_SIGNALLER, (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GV_TYPE_CAPABILITIES, (GstPluginAPIFlags) 0);
  ret |= GST_ELEMENT_REGISTER (gvwebrtcsink, plugin);
  ret |= GST_ELEMENT_REGISTER (gvwebrtcsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (gvpacer, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, ghostviewwebrtc,
                   "GhostView: PIN-signalled WebRTC sink and source with an input back-channel",
                   plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
