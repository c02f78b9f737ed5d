/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GV_TYPE_WEBRTC_SRC (gv_webrtc_src_get_type ())
G_DECLARE_FINAL_TYPE (GvWebRTCSrc, gv_webrtc_src, GV, WEBRTC_SRC, GstBin)

GST_ELEMENT_REGISTER_DECLARE (gvwebrtcsrc);

G_END_DECLS
