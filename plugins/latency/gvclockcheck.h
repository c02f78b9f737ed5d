/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GV_TYPE_CLOCK_CHECK (gv_clock_check_get_type ())
G_DECLARE_FINAL_TYPE (GvClockCheck, gv_clock_check, GV, CLOCK_CHECK, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (gvclockcheck);

G_END_DECLS
