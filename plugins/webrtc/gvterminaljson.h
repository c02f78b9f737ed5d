/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The terminal data channel's messages: the one definition of that
 * protocol. A host sharing a terminal (gvwebrtcsink `terminal=true`) opens
 * one ordered, reliable channel labelled "terminal" per viewer:
 *
 *   host -> viewer   binary message: the terminal's output, bytes as the
 *                    program wrote them (UTF-8 and escape sequences split
 *                    anywhere), at most kMaxOutputChunk per message. The
 *                    first ones after the channel opens are the recent
 *                    output (at most kScrollbackBytes), so a late joiner
 *                    sees the screen.
 *   host -> viewer   {"t":"size","cols":C,"rows":R}
 *                    (the pseudo-terminal's size: when the channel opens
 *                    and on every change)
 *   host -> viewer   {"t":"exit","status":N,"message":SENTENCE}
 *                    (the program ended: N its exit status, or 128 plus
 *                    the signal that killed it; SENTENCE
 *                    "[process exited with status N]")
 *   host -> viewer   {"t":"refused","what":WHAT,"message":SENTENCE}
 *                    (WHAT "input": typing needs `control`; "message": the
 *                    message was malformed or too large)
 *   viewer -> host   {"t":"input","data":TEXT}
 *                    (keystrokes or pasted text: TEXT 1 to kMaxInputBytes
 *                    bytes of UTF-8, no NUL; written to the terminal as
 *                    they are, so escape sequences are terminal data and
 *                    nothing the host reads. Needs `control`)
 *   viewer -> host   {"t":"resize","cols":C,"rows":R}
 *                    (the size of the viewer's terminal view, C
 *                    kMinCols..kMaxCols, R kMinRows..kMaxRows. The
 *                    pseudo-terminal takes the size the viewer with
 *                    control that sent one last asked for; a view-only
 *                    viewer's is ignored (it shows the host's size))
 *
 * A viewer's message is text of at most kMaxViewerMessageBytes; a binary
 * one, a larger one, or one that is not one of the two kinds is refused
 * with {"t":"refused","what":"message"}. Members a kind does not define are
 * ignored. The browser's copy is web/js/terminal-protocol.js, held to this
 * one by tests/protocol/.
 */
#pragma once

#include <glib.h>

#include <string>

namespace gv::terminal {

/* Label of the terminal channel the host opens to every viewer. */
inline constexpr const char *kChannelLabel = "terminal";
/* Largest message a viewer may send (text). */
inline constexpr gsize kMaxViewerMessageBytes = 8 * 1024;
/* Largest keystroke or paste, in bytes of UTF-8. */
inline constexpr gsize kMaxInputBytes = 4096;
/* Largest piece of output in one binary message. */
inline constexpr gsize kMaxOutputChunk = 16 * 1024;
/* Recent output kept for a viewer who joins later. */
inline constexpr gsize kScrollbackBytes = 64 * 1024;
/* The sizes a viewer may ask for, and the size a terminal starts at. */
inline constexpr gint kMinCols = 2, kMaxCols = 500;
inline constexpr gint kMinRows = 1, kMaxRows = 300;
inline constexpr gint kDefaultCols = 80, kDefaultRows = 24;

/* The member naming the kind, and the kinds. */
inline constexpr const char *kKindField = "t";
inline constexpr const char *kInputKind = "input";
inline constexpr const char *kResizeKind = "resize";
inline constexpr const char *kSizeKind = "size";
inline constexpr const char *kExitKind = "exit";
inline constexpr const char *kRefusedKind = "refused";
inline constexpr const char *kKinds[] = { kInputKind, kResizeKind, kSizeKind, kExitKind,
                                          kRefusedKind };

/* What a refusal is about. */
inline constexpr const char *kRefusedInput = "input";
inline constexpr const char *kRefusedMessage = "message";
inline constexpr const char *kRefusedWhat[] = { kRefusedInput, kRefusedMessage };
/* The refusal sentences. */
inline constexpr const char *kInputRefusedMessage =
    "The host has not given you control: the terminal is view-only for you.";
inline constexpr const char *kMalformedMessage =
    "The host refused a terminal message it could not read.";

enum class Kind {
  Input,  /* viewer -> host: data */
  Resize, /* viewer -> host: cols, rows */
};

struct ViewerMessage {
  Kind kind = Kind::Input;
  std::string data;
  gint cols = 0, rows = 0;
};

/* Parses one message from a viewer. False with a clear sentence in `error`
 * for anything that is not a valid input or resize message (never aborts,
 * whatever `data` holds). */
bool parse_viewer_message (const char *data, gsize length, ViewerMessage &out, std::string &error);

/* The builders. make_input: "" when `text` is empty, too long, not UTF-8 or
 * holds a NUL; make_resize: "" when out of range. */
std::string make_input (const std::string &text);
std::string make_resize (gint cols, gint rows);
std::string make_size (gint cols, gint rows);
/* `status`: the exit status, or 128 + the signal number. */
std::string make_exit (gint status);
std::string exit_sentence (gint status);
std::string make_refused (const char *what, const char *message);

/* Turns output bytes, split anywhere, into valid UTF-8 text (what an
 * asciicast event holds): an incomplete sequence at the end of one piece
 * waits for the next; invalid bytes become U+FFFD. */
class Utf8Stream {
public:
  std::string feed (const char *bytes, gsize length);
  /* What is held back, made valid (at the end of the stream). */
  std::string flush ();

private:
  std::string pending_;
};

} // namespace gv::terminal
