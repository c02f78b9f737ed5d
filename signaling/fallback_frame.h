/* The fallback's picture messages (PROTOCOL.md, "Fallback"): one JPEG still
 * per binary WebSocket message, from a host to one of its viewers through
 * the server.
 *
 *   "GVJ1" | peer length (1 byte) | peer | frame (u32) | width (u16) |
 *   height (u16) | JPEG (starts FF D8)            (integers big-endian)
 *
 * A host names the viewer in `peer`; the server hands the viewer the same
 * message with no peer (length 0). Used by the server and the signaller. */
#pragma once

#include <glib.h>

#include <string>

namespace gv::proto {

inline constexpr char kFallbackMagic[4] = { 'G', 'V', 'J', '1' };
/* The largest picture message, header included (under the server's 1 MiB
 * WebSocket frame limit). */
inline constexpr gsize kMaxFallbackFrameBytes = 1000 * 1024;
/* Pictures the server passes to one viewer before the viewer acknowledges
 * one (`fallback` ack); more are dropped. A host keeps fewer in flight. */
inline constexpr guint kMaxFallbackInFlight = 4;

struct FallbackFrame {
  std::string peer;
  guint32 frame = 0;
  guint width = 0, height = 0;
  const guint8 *jpeg = nullptr; /* into the parsed message */
  gsize jpeg_size = 0;
};

/* A picture message; nullptr when it would exceed kMaxFallbackFrameBytes or
 * `peer` is longer than 255 bytes. */
GBytes *make_fallback_frame (const std::string &peer, guint32 frame, guint width, guint height,
                             const guint8 *jpeg, gsize jpeg_size);
/* Parses a picture message; false, with why in `error`, for anything that
 * is not one. Never reads past `size`. */
bool parse_fallback_frame (const guint8 *data, gsize size, FallbackFrame &out, std::string &error);

} // namespace gv::proto
