/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GV_TYPE_CLOCK_STAMP (gv_clock_stamp_get_type ())
G_DECLARE_FINAL_TYPE (GvClockStamp, gv_clock_stamp, GV, CLOCK_STAMP, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (gvclockstamp);

G_END_DECLS
