/* What signed tokens share (resume_token.h, invite_token.h): the HMAC, a
 * comparison that takes the same time wherever two strings differ, and the
 * strict parsing of their dot-separated fields. */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace gv::signaling::token {

/* HMAC-SHA-256 of `text` under `key`, as 64 lowercase hex characters. */
std::string mac_hex (const std::string &key, const std::string &text);

/* Equal strings of equal length, in time that does not depend on where
 * they differ: a forger learns nothing from how fast a guess is refused. */
bool equal_in_constant_time (const std::string &a, const std::string &b);

/* 1 to `max` lowercase hex characters. */
bool is_lower_hex (const std::string &s, gsize max);

/* A decimal number of digits only, without a leading zero (its one
 * spelling), within [min, max]. */
bool parse_number (const std::string &s, gint64 min, gint64 max, gint64 &out);

/* `token` cut at every '.', at most `max_parts` parts (the last keeps the
 * rest). */
std::vector<std::string> split_fields (const std::string &token, gsize max_parts);

} // namespace gv::signaling::token
