/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvclockstamp and gvclockcheck: glass-to-glass latency on one machine.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gvclockcheck.h"
#include "gvclockstamp.h"

static gboolean plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (gvclockstamp, plugin);
  ret |= GST_ELEMENT_REGISTER (gvclockcheck, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, ghostviewlatency,
                   "GhostView glass-to-glass latency measurement", plugin_init, VERSION,
                   GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
