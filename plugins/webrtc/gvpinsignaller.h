/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "gvsignaller.h"

G_BEGIN_DECLS

#define GV_TYPE_PIN_SIGNALLER (gv_pin_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GvPinSignaller, gv_pin_signaller, GV, PIN_SIGNALLER, GObject)

GvPinSignaller *gv_pin_signaller_new (GvSignallerRole role);

G_END_DECLS
