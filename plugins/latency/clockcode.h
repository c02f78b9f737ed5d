/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The clock code: the one definition of how gvclockstamp writes a wall-clock
 * time into a video frame and how gvclockcheck reads it back. The browser
 * reader (web/js/latency-reader.js) mirrors the constants below; change both
 * together.
 *
 * Layout (see the SECTION doc of gvclockstamp for the user-facing version):
 * - A grid of kColumns x kRows square cells of `cell-size` pixels, flush with
 *   the chosen corner of the frame. Cell k (0..kCells-1) sits at column
 *   k % kColumns and row k / kColumns, counted from the grid's top-left.
 * - A white cell is a 1 bit, a black cell a 0 bit.
 * - Cells 0..15: the sync word kSyncWord, most significant bit first. It
 *   tells "no code here" from "a code that does not check".
 * - Cells 16..79: the stamp, nanoseconds since the Unix epoch
 *   (CLOCK_REALTIME), unsigned 64-bit, most significant bit first.
 * - Cells 80..95: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no
 *   reflection, no final xor) of the 8 stamp bytes in big-endian order, most
 *   significant bit first.
 * - A reader averages the centre of each cell (the middle half in both
 *   directions), takes the threshold half-way between the mean of the white
 *   and the mean of the black sync cells, and requires a contrast of at least
 *   kMinContrast between them and every sync cell on its side.
 */
#pragma once

#include <gst/video/video.h>

#include <array>
#include <cstddef>
#include <cstdint>

G_BEGIN_DECLS

typedef enum {
  GV_CLOCK_CODE_CORNER_TOP_LEFT,
  GV_CLOCK_CODE_CORNER_TOP_RIGHT,
  GV_CLOCK_CODE_CORNER_BOTTOM_LEFT,
  GV_CLOCK_CODE_CORNER_BOTTOM_RIGHT,
} GvClockCodeCorner;

#define GV_TYPE_CLOCK_CODE_CORNER (gv_clock_code_corner_get_type ())
GType gv_clock_code_corner_get_type (void);

G_END_DECLS

/* The raw formats both elements accept: 8 bits per component. */
#define GV_CLOCK_CODE_FORMATS                                                                      \
  "{ I420, YV12, NV12, NV21, Y42B, Y444, GRAY8, YUY2, UYVY, BGRx, BGRA, RGBx, RGBA, xRGB, xBGR, "  \
  "ARGB, ABGR, RGB, BGR }"

namespace gv::clockcode {

constexpr unsigned kColumns = 12;
constexpr unsigned kRows = 8;
constexpr unsigned kCells = kColumns * kRows;
constexpr unsigned kSyncBits = 16;
constexpr unsigned kStampBits = 64;
constexpr unsigned kCrcBits = 16;
constexpr uint16_t kSyncWord = 0xC5A3;
static_assert (kSyncBits + kStampBits + kCrcBits == kCells, "every cell carries one bit");

constexpr unsigned kDefaultCellSize = 16;
constexpr unsigned kMinCellSize = 4;
constexpr unsigned kMaxCellSize = 256;
constexpr GvClockCodeCorner kDefaultCorner = GV_CLOCK_CODE_CORNER_TOP_LEFT;

/* Levels written: limited-range luma for YUV and grey, full range for RGB. */
constexpr uint8_t kLumaBlack = 16;
constexpr uint8_t kLumaWhite = 235;
constexpr uint8_t kChromaNeutral = 128;
constexpr uint8_t kRgbBlack = 0;
constexpr uint8_t kRgbWhite = 255;
/* Least difference between the white and black sync cells' means (0..255). */
constexpr double kMinContrast = 64.0;

using Bits = std::array<bool, kCells>;
using CellMeans = std::array<double, kCells>;

enum class ReadResult {
  kOk,
  kNoCode,      /* sync word absent: no code, or not where we look */
  kBadChecksum, /* sync word present, but the CRC does not match */
};

uint16_t crc16 (const uint8_t *data, size_t len);

/* The cell bits for @stamp_ns. */
Bits encode (uint64_t stamp_ns);

/* Decodes per-cell brightness means (0..255); *stamp_ns is set only on kOk. */
ReadResult decode (const CellMeans &means, uint64_t *stamp_ns);

/* Where the code sits in a frame of @width x @height; false if it does not fit. */
bool place (int width, int height, GvClockCodeCorner corner, unsigned cell_size, int *x, int *y);

/* Writes the code for @stamp_ns into @frame; false if the frame is too small. */
bool write_frame (GstVideoFrame *frame, GvClockCodeCorner corner, unsigned cell_size,
                  uint64_t stamp_ns);

/* Reads the code from @frame; kNoCode if the frame is too small. */
ReadResult read_frame (const GstVideoFrame *frame, GvClockCodeCorner corner, unsigned cell_size,
                       uint64_t *stamp_ns);

/* CLOCK_REALTIME in nanoseconds since the Unix epoch. */
uint64_t realtime_now_ns ();

} // namespace gv::clockcode
