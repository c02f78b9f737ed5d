/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GV_TYPE_PACER (gv_pacer_get_type ())
G_DECLARE_FINAL_TYPE (GvPacer, gv_pacer, GV, PACER, GstElement)

GST_ELEMENT_REGISTER_DECLARE (gvpacer);

G_END_DECLS
