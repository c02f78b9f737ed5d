/* Chat and capabilities as the launcher shows and reads them: chat lines
 * made safe for a terminal, capability lists ("control,chat") to and from
 * GvCapabilities bits (signaling/capabilities.h). */
#pragma once

#include <glib.h>

#include <string>

namespace gv::launcher {

/* `text` with nothing a terminal would act on: C0 and C1 control
 * characters, DEL and the bidirectional overrides become U+FFFD (a tab a
 * space); newlines become `newline` (e.g. "\n    ", or " / "); bytes that
 * are not UTF-8 are replaced first. */
std::string terminal_safe (const std::string &text, const std::string &newline);
/* "[HH:MM:SS] NAME: text" at `time_ms` (Unix ms, shown in local time),
 * made terminal-safe; continuation lines indented. */
std::string format_chat_line (gint64 time_ms, const std::string &name, const std::string &text);

/* Capability names, comma-separated ("view, control, chat"), in bit order. */
std::string capability_list (guint capabilities, const char *separator = ", ");
/* Parses "control,chat" (names of signaling/capabilities.h, commas, spaces
 * ignored); false with a sentence in `error` for an unknown or empty name. */
bool parse_capability_list (const std::string &text, guint &capabilities, std::string &error);

} // namespace gv::launcher
