/* The WebSocket's byte stream with the limits libsoup 3.2 lacks: it bounds
 * one frame but not a message made of many fragments, and it drops the
 * connection of a too-large frame without a close code. */
#pragma once

#include <libsoup/soup.h>

namespace gv::signaling {

/* Wraps the upgraded connection `base` (a client's frames come in masked)
 * for SoupWebsocketConnection. It follows the frame headers that pass
 * through; the first frame that would take a frame, or a message of
 * fragments, over `max_bytes` is held back (libsoup never sees its whole
 * header) and every later byte is dropped. */
GIOStream *ws_limited_stream_new (GIOStream *base, guint64 max_bytes);

/* When `stream` (from ws_limited_stream_new) holds a frame back, `ws` is
 * closed with 1009 (SOUP_WEBSOCKET_CLOSE_TOO_BIG) from the main loop. */
void ws_limited_stream_close_on_too_big (GIOStream *stream, SoupWebsocketConnection *ws);

} // namespace gv::signaling
