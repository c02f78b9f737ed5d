/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The assistance data channel's messages: the one definition of that
 * protocol (chat now; clipboard and file transfer reserve their kinds). The
 * host opens one ordered, reliable channel labelled "assist" per viewer,
 * beside the input channel ("control"). Every message is one JSON text of
 * at most kMaxMessageBytes:
 *
 *   viewer -> host   {"t":"chat","text":TEXT}
 *   host -> viewer   {"t":"chat","from":NAME,"peer":PEER,"text":TEXT,"time":MS}
 *                    (PEER is "host" for the host's own lines, else the
 *                    sender's peer id; MS is Unix time in milliseconds, the
 *                    host's clock)
 *   host -> viewer   {"t":"refused","what":KIND,"message":SENTENCE}
 *                    (a message that needed a capability the viewer lacks)
 *   both ways        {"t":"clipboard","id":ID,"mime":MIME,"size":N,"offset":O,
 *                     "data":BASE64,"last":BOOL}
 *                    (clipboard content, in pieces of at most
 *                    kClipboardChunkBytes from offset O of N bytes; the last
 *                    piece ends at N. ID: 16 to 64 lowercase hex characters,
 *                    the same for every piece of one content; MIME one of
 *                    kClipboardMimes; N at most kMaxClipboardBytes. A viewer
 *                    needs the `clipboard` capability to send it or get it;
 *                    gvassistclipboard.cpp)
 *   viewer -> host   {"t":"list-sources"}
 *   host -> viewer   {"t":"sources","current":ID,"items":[{"id":ID,"kind":KIND,
 *                     "name":NAME,"width":W,"height":H},...]}
 *   viewer -> host   {"t":"share","source":ID}
 *   host -> viewer   {"t":"shared","source":ID,"name":NAME,"width":W,
 *                     "height":H,"by":BY,"reason":REASON}
 *                    (what the host shares: the list, a viewer's pick, and
 *                    every change, to every viewer; gvassistsources.cpp.
 *                    Listing and picking need the `source` capability)
 *   viewer -> host   {"t":"resize","width":W,"height":H}
 *                    (asks the host's display to take the size of the
 *                    viewer's window, W and H kMinResize..kMaxResize; needs
 *                    `control`, and a host that resizes: a virtual display)
 *   host -> viewer   {"t":"cursor","x":X,"y":Y,"visible":BOOL,"shape":ID}
 *   host -> viewer   {"t":"cursor-shape","shape":ID,"width":W,"height":H,
 *                     "hot_x":HX,"hot_y":HY,"rgba":BASE64}
 *                    (the pointer, for a page that draws it itself: its hot
 *                    spot in picture pixels, and its shapes, RGBA of at most
 *                    kMaxCursorSize square; gvassistcursor.cpp)
 *
 * TEXT: UTF-8, 1 to kMaxChatBytes bytes, no control characters but newline
 * and tab. Members a kind does not define are ignored. The browser's copy
 * (web/js/assist.js) is held to this one by tests/protocol/; the one
 * difference is that a NUL character (\u0000) anywhere refuses the whole
 * message here, since json-glib's strings end at it.
 */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

struct _JsonObject; /* json-glib's JsonObject */

namespace gv::assist {

/* Label of the assistance channel the host opens to every viewer. */
inline constexpr const char *kChannelLabel = "assist";
/* Largest message accepted on the channel, either way. */
inline constexpr gsize kMaxMessageBytes = 64 * 1024;
/* A chat line: 1 to this many bytes of UTF-8. */
inline constexpr gsize kMaxChatBytes = 4000;
/* A sender's display name in a relayed line. */
inline constexpr gsize kMaxNameBytes = 64;
/* A sender's peer id, in UTF-16 code units as the browser counts them. */
inline constexpr gsize kMaxPeerLength = 64;
/* A refusal's sentence. */
inline constexpr gsize kMaxRefusedMessageBytes = 256;
/* Largest "time" (JavaScript's Number.MAX_SAFE_INTEGER). */
inline constexpr gint64 kMaxTime = (G_GINT64_CONSTANT (1) << 53) - 1;

/* The member naming the kind, and the kinds. */
inline constexpr const char *kKindField = "t";
inline constexpr const char *kChatKind = "chat";
inline constexpr const char *kRefusedKind = "refused";
inline constexpr const char *kClipboardKind = "clipboard";
inline constexpr const char *kListSourcesKind = "list-sources";
inline constexpr const char *kSourcesKind = "sources";
inline constexpr const char *kShareKind = "share";
inline constexpr const char *kSharedKind = "shared";
inline constexpr const char *kCursorKind = "cursor";
inline constexpr const char *kCursorShapeKind = "cursor-shape";
inline constexpr const char *kResizeKind = "resize";
inline constexpr const char *kKinds[] = { kChatKind,        kRefusedKind, kClipboardKind,
                                          kListSourcesKind, kSourcesKind, kShareKind,
                                          kSharedKind,      kCursorKind,  kCursorShapeKind,
                                          kResizeKind };

/* Clipboard content: what it may be, how large, in pieces of how much. */
inline constexpr const char *kClipboardText = "text/plain;charset=utf-8";
inline constexpr const char *kClipboardPng = "image/png";
inline constexpr const char *kClipboardMimes[] = { kClipboardText, kClipboardPng };
inline constexpr gsize kMaxClipboardBytes = 10 * 1024 * 1024;
inline constexpr gsize kClipboardChunkBytes = 32 * 1024;
/* The refusal sentence of clipboard content from a viewer without it. */
inline constexpr const char *kClipboardRefusedMessage =
    "The host has not allowed clipboard sharing.";

/* The peer id of the host's own chat lines, and its display name. */
inline constexpr const char *kHostPeer = "host";
inline constexpr const char *kHostName = "Host";

/* What a refusal can be about: the capability the message needed (its
 * name in signaling/capabilities.h). */
inline constexpr const char *kRefusedWhat[] = { "chat", "clipboard", "file", "source", "resize" };

/* The refusal sentence of a chat line from a viewer without `chat`. */
inline constexpr const char *kChatRefusedMessage = "The host has not allowed chat.";

enum class Kind {
  ViewerChat,  /* viewer -> host: text */
  HostChat,    /* host -> viewer: from, peer, text, time */
  Refused,     /* host -> viewer: what, message */
  Clipboard,   /* both ways: id, mime, size, offset, data, last */
  ListSources, /* viewer -> host: nothing */
  Sources,     /* host -> viewer: current, sources */
  Share,       /* viewer -> host: source */
  Shared,      /* host -> viewer: source, name, width, height, by, reason */
  Cursor,      /* host -> viewer: x, y, visible, shape */
  CursorShape, /* host -> viewer: shape, width, height, hot_x, hot_y, data (RGBA) */
  Resize,      /* viewer -> host: width, height */
};

/* One thing the host can share, as "sources" lists it. */
struct SourceItem {
  std::string id;   /* "screen", "display:N" or "window:0xHEX" */
  std::string kind; /* "screen", "display" or "window" */
  std::string name;
  gint width = 0, height = 0;
};

struct Message {
  Kind kind = Kind::ViewerChat;
  std::string text;
  std::string from;
  std::string peer;
  gint64 time = 0;
  std::string what;
  std::string message;
  /* Clipboard: `data` holds the piece's bytes (decoded). */
  std::string id;
  std::string mime;
  guint64 size = 0;
  guint64 offset = 0;
  std::string data;
  bool last = false;
  /* What is shared: `source` (share, shared), `current` and `sources`
   * (sources), `name`, `width`, `height`, `by`, `reason` (shared). */
  std::string source;
  std::string current;
  std::vector<SourceItem> sources;
  std::string name;
  gint width = 0, height = 0;
  std::string by;
  std::string reason;
  /* The pointer: `x`, `y`, `visible`, `shape` (cursor); `shape`, `width`,
   * `height`, `hot_x`, `hot_y` and `data` (cursor-shape). */
  gint x = 0, y = 0, hot_x = 0, hot_y = 0;
  bool visible = false;
  guint32 shape = 0;
};

/* True when `text` (NUL-terminated) is chat text a host accepts; else
 * false with a sentence in `error` when given. */
bool valid_chat_text (const char *text, std::string *error = nullptr);

/* Parses one message (either direction). False with a clear sentence in
 * `error` for anything that is not a message of a known kind with valid
 * fields. Never aborts on any input. */
bool parse_message (const char *data, gsize length, Message &out, std::string &error);

/* The builders; each returns "" when `text` is not valid chat text (or
 * `what` not a refusal kind). A name longer than kMaxNameBytes is cut on a
 * character boundary; a refusal sentence likewise at its limit. */
std::string make_chat (const char *text);
std::string make_host_chat (const char *from, const char *peer, const char *text, gint64 time_ms);
std::string make_refused (const char *what, const char *message);
/* Every piece of clipboard content `bytes` of `mime` (a kClipboardMimes
 * entry; at most kMaxClipboardBytes), in order; empty when it is neither. */
std::vector<std::string> make_clipboard (const std::string &id, const char *mime,
                                         const std::string &bytes);
/* A fresh clipboard id: 32 lowercase hex characters from the CSPRNG. */
std::string new_clipboard_id ();

/* Puts the pieces of clipboard content back together, one content at a
 * time: a piece of a new id starts over (at offset 0 only), a piece out of
 * order drops what was gathered. */
class ClipboardAssembler {
public:
  /* True when `piece` completed its content: then `mime` and `bytes` hold it. */
  bool add (const Message &piece, std::string &mime, std::string &bytes);

private:
  std::string id_, mime_, bytes_;
  guint64 size_ = 0;
  bool active_ = false;
};

/* parse_message's part for "clipboard" (gvassistclipboard.cpp), given the
 * message's JSON object (json-glib's JsonObject). */
bool parse_clipboard (::_JsonObject *obj, Message &out, std::string &error);

/* What is shared (gvassistsources.cpp): limits, the kinds of source, the
 * reasons a change gives, and the refusal sentence of a viewer without
 * `source`. */
inline constexpr gsize kMaxSources = 200;
inline constexpr gsize kMaxSourceNameBytes = 128;
inline constexpr gsize kMaxSourceIdBytes = 64;
inline constexpr gint kMaxSourceSize = 65535;
inline constexpr const char *kSourceKinds[] = { "screen", "display", "window" };
inline constexpr const char *kSharedReasonAsked = "";
inline constexpr const char *kSharedReasonWindowClosed = "window-closed";
inline constexpr const char *kSharedReasonResized = "resized";
inline constexpr const char *kSharedReasons[] = { kSharedReasonAsked, kSharedReasonWindowClosed,
                                                  kSharedReasonResized };
inline constexpr const char *kSourceRefusedMessage =
    "The host has not allowed choosing what is shared.";

/* A resize request's size, either side. */
inline constexpr gint kMinResize = 64;
inline constexpr gint kMaxResize = 8192;
/* The refusal sentence of a resize from a viewer without `control`. */
inline constexpr const char *kResizeRefusedMessage =
    "Only a viewer with control may resize the host's display.";
/* "" when out of range. */
std::string make_resize (gint width, gint height);

/* True for "screen", "display:N" (N 0..999) and "window:0xHEX" (1 to 16
 * lowercase hex digits). */
bool valid_source_id (const char *id);
/* The kind of a valid source id: "screen", "display" or "window". */
std::string source_kind (const std::string &id);

/* parse_message's parts for the four source kinds. */
bool parse_sources_kind (const char *kind, ::_JsonObject *obj, Message &out, std::string &error);

/* The builders. make_share: "" for an invalid id. make_sources keeps the
 * first kMaxSources items with valid ids, cuts names to kMaxSourceNameBytes
 * and clamps sizes; `current` "" when it is not a valid id. make_shared:
 * "" for an invalid source or reason. */
std::string make_list_sources ();
std::string make_sources (const std::string &current, const std::vector<SourceItem> &items);
std::string make_share (const std::string &id);
std::string make_shared (const SourceItem &source, const std::string &by,
                         const std::string &reason);

/* The pointer (gvassistcursor.cpp): the largest shape sent, and the
 * largest coordinate either way. */
inline constexpr gint kMaxCursorSize = 96;
inline constexpr gint kMaxCursorCoordinate = 65535;
bool parse_cursor_kind (const char *kind, ::_JsonObject *obj, Message &out, std::string &error);
/* "" when out of range; make_cursor_shape also when `rgba` is not
 * width * height * 4 bytes. */
std::string make_cursor (gint x, gint y, bool visible, guint32 shape);
std::string make_cursor_shape (guint32 shape, gint width, gint height, gint hot_x, gint hot_y,
                               const std::string &rgba);

/* A member that is a string of valid UTF-8, or nullptr. */
const char *json_string_member (::_JsonObject *obj, const char *name);

/* `text` cut to at most `max_bytes` bytes on a UTF-8 character boundary
 * (invalid UTF-8 is first made valid). */
std::string truncate_utf8 (const char *text, gsize max_bytes);

} // namespace gv::assist
