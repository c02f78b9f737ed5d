#include "fallback_frame.h"

#include <cstring>

namespace gv::proto {
namespace {

constexpr gsize kFixedBytes = sizeof kFallbackMagic + 1 + 4 + 2 + 2;

void put_u32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

void put_u16 (guint8 *p, guint v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

guint32 get_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

guint get_u16 (const guint8 *p)
{
  return ((guint) p[0] << 8) | p[1];
}

} // namespace

GBytes *make_fallback_frame (const std::string &peer, guint32 frame, guint width, guint height,
                             const guint8 *jpeg, gsize jpeg_size)
{
  if (peer.size () > 255 || width > G_MAXUINT16 || height > G_MAXUINT16 ||
      jpeg_size > kMaxFallbackFrameBytes - kFixedBytes - peer.size ())
    return nullptr;
  gsize size = kFixedBytes + peer.size () + jpeg_size;
  auto *data = static_cast<guint8 *> (g_malloc (size));
  guint8 *p = data;
  memcpy (p, kFallbackMagic, sizeof kFallbackMagic);
  p += sizeof kFallbackMagic;
  *p++ = (guint8) peer.size ();
  memcpy (p, peer.data (), peer.size ());
  p += peer.size ();
  put_u32 (p, frame);
  put_u16 (p + 4, width);
  put_u16 (p + 6, height);
  p += 8;
  if (jpeg_size)
    memcpy (p, jpeg, jpeg_size);
  return g_bytes_new_take (data, size);
}

bool parse_fallback_frame (const guint8 *data, gsize size, FallbackFrame &out, std::string &error)
{
  if (!data || size < kFixedBytes || memcmp (data, kFallbackMagic, sizeof kFallbackMagic) != 0) {
    error = "not a fallback picture";
    return false;
  }
  if (size > kMaxFallbackFrameBytes) {
    error = "fallback picture over the size limit";
    return false;
  }
  gsize peer_len = data[sizeof kFallbackMagic];
  if (size < kFixedBytes + peer_len + 2) {
    error = "fallback picture cut short";
    return false;
  }
  const guint8 *p = data + sizeof kFallbackMagic + 1;
  out.peer.assign (reinterpret_cast<const char *> (p), peer_len);
  p += peer_len;
  out.frame = get_u32 (p);
  out.width = get_u16 (p + 4);
  out.height = get_u16 (p + 6);
  p += 8;
  out.jpeg = p;
  out.jpeg_size = size - (gsize) (p - data);
  if (out.width == 0 || out.height == 0 || out.jpeg[0] != 0xFF || out.jpeg[1] != 0xD8) {
    error = "fallback picture is not a JPEG image";
    return false;
  }
  return true;
}

} // namespace gv::proto
