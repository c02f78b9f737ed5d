/* Terminal output: event lines and one live status line that never floods.
 * On a TTY the status line is redrawn in place (\r); elsewhere (logs, tests)
 * it is printed as a plain line at most every `interval` and only when it
 * says something new. Event lines first clear a drawn status line. */
#pragma once

#include <string>

namespace gv::launcher {

/* "[14:02:11] viewer joined: Alice" on stdout. */
void print_event (const std::string &text);
/* A plain line on stdout (banner text), clearing the status line first. */
void print_line (const std::string &text);
/* Errors and warnings on stderr, clearing the status line first. */
void print_error (const std::string &text);
void update_status (const std::string &text);
/* Clears a drawn status line (before exiting). */
void end_status ();
bool stdout_is_tty ();

} // namespace gv::launcher
