/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "clockcode.h"

#ifdef G_OS_UNIX
#include <time.h>
#endif

GType gv_clock_code_corner_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GV_CLOCK_CODE_CORNER_TOP_LEFT, "Top left", "top-left" },
    { GV_CLOCK_CODE_CORNER_TOP_RIGHT, "Top right", "top-right" },
    { GV_CLOCK_CODE_CORNER_BOTTOM_LEFT, "Bottom left", "bottom-left" },
    { GV_CLOCK_CODE_CORNER_BOTTOM_RIGHT, "Bottom right", "bottom-right" },
    { 0, nullptr, nullptr },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GvClockCodeCorner", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

namespace gv::clockcode {

namespace {

constexpr unsigned kStampFirstCell = kSyncBits;
constexpr unsigned kCrcFirstCell = kSyncBits + kStampBits;

/* Bits [first, first + count) of @bits as an unsigned value, MSB first. */
uint64_t collect (const Bits &bits, unsigned first, unsigned count)
{
  uint64_t value = 0;
  for (unsigned i = 0; i < count; i++)
    value = (value << 1) | (bits[first + i] ? 1u : 0u);
  return value;
}

void spread (Bits &bits, unsigned first, unsigned count, uint64_t value)
{
  for (unsigned i = 0; i < count; i++)
    bits[first + i] = (value >> (count - 1 - i)) & 1u;
}

uint16_t stamp_crc (uint64_t stamp_ns)
{
  uint8_t bytes[8];
  for (unsigned i = 0; i < 8; i++)
    bytes[i] = static_cast<uint8_t> (stamp_ns >> (56 - 8 * i));
  return crc16 (bytes, sizeof (bytes));
}

bool sync_bit (unsigned i)
{
  return (kSyncWord >> (kSyncBits - 1 - i)) & 1u;
}

/* One component plane of @frame as a byte grid in that component's own
 * (possibly subsampled) coordinates. */
struct CompView {
  guint8 *data;
  gint stride;
  gint pstride;
  guint w_sub;
  guint h_sub;

  CompView (const GstVideoFrame *frame, guint comp)
      : data (static_cast<guint8 *> (GST_VIDEO_FRAME_COMP_DATA (frame, comp))),
        stride (GST_VIDEO_FRAME_COMP_STRIDE (frame, comp)),
        pstride (GST_VIDEO_FRAME_COMP_PSTRIDE (frame, comp)),
        w_sub (GST_VIDEO_FORMAT_INFO_W_SUB (frame->info.finfo, comp)),
        h_sub (GST_VIDEO_FORMAT_INFO_H_SUB (frame->info.finfo, comp))
  {}

  guint8 *at (int x, int y) const { return data + (gsize) y * stride + (gsize) x * pstride; }

  /* Fills the luma-coordinate rectangle [x0,x1) x [y0,y1), rounded outwards to
   * whole subsampled samples. */
  void fill (int x0, int y0, int x1, int y1, guint8 value) const
  {
    int cx0 = x0 >> w_sub, cy0 = y0 >> h_sub;
    int cx1 = -((-x1) >> w_sub), cy1 = -((-y1) >> h_sub);
    for (int y = cy0; y < cy1; y++)
      for (int x = cx0; x < cx1; x++)
        *at (x, y) = value;
  }

  /* Sum over the rectangle; only used on unsubsampled components. */
  guint64 sum (int x0, int y0, int x1, int y1) const
  {
    guint64 total = 0;
    for (int y = y0; y < y1; y++)
      for (int x = x0; x < x1; x++)
        total += *at (x, y);
    return total;
  }
};

} // namespace

uint16_t crc16 (const uint8_t *data, size_t len)
{
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < len; i++) {
    crc ^= static_cast<uint16_t> (data[i] << 8);
    for (int b = 0; b < 8; b++)
      crc = (crc & 0x8000) ? static_cast<uint16_t> ((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t> (crc << 1);
  }
  return crc;
}

Bits encode (uint64_t stamp_ns)
{
  Bits bits{};
  spread (bits, 0, kSyncBits, kSyncWord);
  spread (bits, kStampFirstCell, kStampBits, stamp_ns);
  spread (bits, kCrcFirstCell, kCrcBits, stamp_crc (stamp_ns));
  return bits;
}

ReadResult decode (const CellMeans &means, uint64_t *stamp_ns)
{
  double white = 0, black = 0;
  unsigned n_white = 0, n_black = 0;
  for (unsigned i = 0; i < kSyncBits; i++) {
    if (sync_bit (i)) {
      white += means[i];
      n_white++;
    } else {
      black += means[i];
      n_black++;
    }
  }
  white /= n_white;
  black /= n_black;
  if (white - black < kMinContrast)
    return ReadResult::kNoCode;

  const double threshold = (white + black) / 2;
  Bits bits{};
  for (unsigned i = 0; i < kCells; i++)
    bits[i] = means[i] > threshold;
  for (unsigned i = 0; i < kSyncBits; i++)
    if (bits[i] != sync_bit (i))
      return ReadResult::kNoCode;

  const uint64_t stamp = collect (bits, kStampFirstCell, kStampBits);
  const uint64_t crc = collect (bits, kCrcFirstCell, kCrcBits);
  if (crc != stamp_crc (stamp))
    return ReadResult::kBadChecksum;

  *stamp_ns = stamp;
  return ReadResult::kOk;
}

bool place (int width, int height, GvClockCodeCorner corner, unsigned cell_size, int *x, int *y)
{
  const int code_w = static_cast<int> (kColumns * cell_size);
  const int code_h = static_cast<int> (kRows * cell_size);
  if (cell_size == 0 || code_w > width || code_h > height)
    return false;

  const bool right =
      corner == GV_CLOCK_CODE_CORNER_TOP_RIGHT || corner == GV_CLOCK_CODE_CORNER_BOTTOM_RIGHT;
  const bool bottom =
      corner == GV_CLOCK_CODE_CORNER_BOTTOM_LEFT || corner == GV_CLOCK_CODE_CORNER_BOTTOM_RIGHT;
  *x = right ? width - code_w : 0;
  *y = bottom ? height - code_h : 0;
  return true;
}

bool write_frame (GstVideoFrame *frame, GvClockCodeCorner corner, unsigned cell_size,
                  uint64_t stamp_ns)
{
  int ox, oy;
  if (!place (GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame), corner, cell_size, &ox,
              &oy))
    return false;

  const GstVideoFormatInfo *finfo = frame->info.finfo;
  const bool rgb = GST_VIDEO_FORMAT_INFO_IS_RGB (finfo);
  const guint8 black = rgb ? kRgbBlack : kLumaBlack;
  const guint8 white = rgb ? kRgbWhite : kLumaWhite;
  const int size = static_cast<int> (cell_size);
  const int code_w = static_cast<int> (kColumns) * size;
  const int code_h = static_cast<int> (kRows) * size;
  const Bits bits = encode (stamp_ns);

  for (guint comp = 0; comp < GST_VIDEO_FRAME_N_COMPONENTS (frame); comp++) {
    const CompView view (frame, comp);
    const bool alpha = GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo) && comp == 3;
    const bool chroma = GST_VIDEO_FORMAT_INFO_IS_YUV (finfo) && (comp == 1 || comp == 2);

    if (alpha || chroma) {
      /* Opaque and colourless, so the code is pure black and white. */
      view.fill (ox, oy, ox + code_w, oy + code_h, alpha ? 255 : kChromaNeutral);
      continue;
    }
    for (unsigned k = 0; k < kCells; k++) {
      const int x = ox + static_cast<int> (k % kColumns) * size;
      const int y = oy + static_cast<int> (k / kColumns) * size;
      view.fill (x, y, x + size, y + size, bits[k] ? white : black);
    }
  }
  return true;
}

ReadResult read_frame (const GstVideoFrame *frame, GvClockCodeCorner corner, unsigned cell_size,
                       uint64_t *stamp_ns)
{
  int ox, oy;
  if (!place (GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame), corner, cell_size, &ox,
              &oy))
    return ReadResult::kNoCode;

  const GstVideoFormatInfo *finfo = frame->info.finfo;
  const bool rgb = GST_VIDEO_FORMAT_INFO_IS_RGB (finfo);
  const int size = static_cast<int> (cell_size);
  /* The middle half of a cell: its edges blur under lossy coding. */
  const int margin = size / 4;
  const int inner = size - 2 * margin;
  const double samples = static_cast<double> (inner) * inner;

  CellMeans means{};
  for (unsigned k = 0; k < kCells; k++) {
    const int x0 = ox + static_cast<int> (k % kColumns) * size + margin;
    const int y0 = oy + static_cast<int> (k / kColumns) * size + margin;
    const int x1 = x0 + inner, y1 = y0 + inner;
    if (rgb) {
      /* BT.601 luma weights, the same as the browser reader. */
      const double r = CompView (frame, 0).sum (x0, y0, x1, y1);
      const double g = CompView (frame, 1).sum (x0, y0, x1, y1);
      const double b = CompView (frame, 2).sum (x0, y0, x1, y1);
      means[k] = (0.299 * r + 0.587 * g + 0.114 * b) / samples;
    } else {
      means[k] = CompView (frame, 0).sum (x0, y0, x1, y1) / samples;
    }
  }
  return decode (means, stamp_ns);
}

uint64_t realtime_now_ns ()
{
#ifdef G_OS_UNIX
  struct timespec ts;
  if (clock_gettime (CLOCK_REALTIME, &ts) == 0)
    return static_cast<uint64_t> (ts.tv_sec) * G_GUINT64_CONSTANT (1000000000) +
           static_cast<uint64_t> (ts.tv_nsec);
#endif
  return static_cast<uint64_t> (g_get_real_time ()) * 1000;
}

} // namespace gv::clockcode
