/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the files of the assistance channel's protocol share when they read
 * and write messages (gvassistjson.cpp, gvassistclipboard.cpp,
 * gvassistsources.cpp, gvassistcursor.cpp). Defined in gvassistjson.cpp.
 */
#pragma once

#include "gvassistjson.h"

#include <json-glib/json-glib.h>

namespace gv::assist::detail {

/* Sets `error` to `why`; false. */
bool fail (std::string &error, std::string why);
/* A member that is a JSON integer within [min, max], into `out`. */
bool int_member (JsonObject *obj, const char *name, gint64 min, gint64 max, gint64 &out);
/* The builder's object as compact JSON text; the builder is let go. */
std::string generate (JsonBuilder *b);
void add_string (JsonBuilder *b, const char *name, const std::string &value);
void add_int (JsonBuilder *b, const char *name, gint64 value);

} // namespace gv::assist::detail
