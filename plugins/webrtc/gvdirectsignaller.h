/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "gvsignaller.h"

G_BEGIN_DECLS

#define GV_TYPE_DIRECT_SIGNALLER (gv_direct_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GvDirectSignaller, gv_direct_signaller, GV, DIRECT_SIGNALLER, GObject)

GvDirectSignaller *gv_direct_signaller_new (GvSignallerRole role, const gchar *room);

G_END_DECLS
