/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A buffer pad probe sees one buffer or a list of them: each of them, once.
 */
#pragma once

#include <gst/gst.h>

namespace gv::webrtc {

template <typename Visit> void for_each_buffer (GstPadProbeInfo *info, Visit &&visit)
{
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      visit (gst_buffer_list_get (list, i));
  } else if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    visit (GST_PAD_PROBE_INFO_BUFFER (info));
  }
}

} // namespace gv::webrtc
