/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-gvclockstamp
 * @title: gvclockstamp
 * @see_also: gvclockcheck
 *
 * Writes the current wall-clock time into every video frame as a block of
 * large black and white cells that survives lossy coding, so that
 * gvclockcheck (or the browser's `LatencyReader`, web/js/latency-reader.js)
 * can read it back after encode, network and decode and measure
 * glass-to-glass latency.
 *
 * The time is CLOCK_REALTIME in nanoseconds since the Unix epoch, taken when
 * the frame passes this element. Writer and reader compare two readings of
 * the same clock, so both must run on the same machine: across machines the
 * figure would include the clocks' offset.
 *
 * ## Code layout
 *
 * A grid of 12 columns x 8 rows of square cells, #GvClockStamp:cell-size
 * pixels each (192 x 128 pixels at the default 16), flush with the frame's
 * #GvClockStamp:corner. Cell k (0..95) is at column k % 12, row k / 12 from
 * the grid's top-left. A white cell is a 1 bit, a black cell a 0 bit:
 *
 * - cells 0..15: the sync word 0xC5A3, most significant bit first;
 * - cells 16..79: the stamp, an unsigned 64-bit count of nanoseconds since
 *   the Unix epoch, most significant bit first;
 * - cells 80..95: CRC-16/CCITT-FALSE (polynomial 0x1021, initial value
 *   0xFFFF, no reflection, no final xor) of the 8 stamp bytes in big-endian
 *   order, most significant bit first.
 *
 * YUV and grey frames get luma 16 (black) and 235 (white) with neutral
 * chroma over the whole grid; RGB frames get 0 and 255, and alpha 255.
 * A reader averages the middle half of each cell, thresholds half-way between
 * the mean of the white and of the black sync cells, and accepts a frame only
 * when the sync cells differ by at least 64 levels, every sync cell reads
 * right and the CRC matches. With a 16-pixel cell in the top-left corner the
 * cells line up with 16x16 macroblocks. The code is not meant to survive
 * scaling: read it at the size it was written.
 *
 * A frame smaller than the grid passes unchanged, with one warning.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 \
 *     ! video/x-raw,width=640,height=360,framerate=30/1 ! gvclockstamp \
 *     ! vp8enc deadline=1 ! vp8dec ! gvclockcheck ! fakesink
 * ]| Stamps, encodes and decodes 10 s of video; gvclockcheck posts
 * `gvclockcheck-stats` messages (see `gst-launch-1.0 -m`).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gvclockstamp.h"
#include "clockcode.h"

#include <mutex>

GST_DEBUG_CATEGORY_STATIC (gv_clock_stamp_debug);
#define GST_CAT_DEFAULT gv_clock_stamp_debug

enum {
  PROP_0,
  PROP_CORNER,
  PROP_CELL_SIZE,
};

#define DEFAULT_CORNER gv::clockcode::kDefaultCorner
#define DEFAULT_CELL_SIZE gv::clockcode::kDefaultCellSize

struct GvClockStampPrivate {
  std::mutex lock;
  GvClockCodeCorner corner = DEFAULT_CORNER;
  guint cell_size = DEFAULT_CELL_SIZE;
  /* Warned that the frame is too small, since the last caps. */
  bool warned_small = false;
};

struct _GvClockStamp {
  GstVideoFilter parent;
  GvClockStampPrivate *priv;
};

#define gv_clock_stamp_parent_class parent_class
G_DEFINE_TYPE (GvClockStamp, gv_clock_stamp, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (gvclockstamp, "gvclockstamp", GST_RANK_NONE, GV_TYPE_CLOCK_STAMP);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                             GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GV_CLOCK_CODE_FORMATS)));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                             GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GV_CLOCK_CODE_FORMATS)));

static void gv_clock_stamp_set_property (GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
  GvClockStamp *self = GV_CLOCK_STAMP (object);
  std::lock_guard<std::mutex> guard (self->priv->lock);

  switch (prop_id) {
  case PROP_CORNER:
    self->priv->corner = static_cast<GvClockCodeCorner> (g_value_get_enum (value));
    self->priv->warned_small = false;
    break;
  case PROP_CELL_SIZE:
    self->priv->cell_size = g_value_get_uint (value);
    self->priv->warned_small = false;
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_clock_stamp_get_property (GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
  GvClockStamp *self = GV_CLOCK_STAMP (object);
  std::lock_guard<std::mutex> guard (self->priv->lock);

  switch (prop_id) {
  case PROP_CORNER:
    g_value_set_enum (value, self->priv->corner);
    break;
  case PROP_CELL_SIZE:
    g_value_set_uint (value, self->priv->cell_size);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static gboolean gv_clock_stamp_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *,
                                         GstCaps *, GstVideoInfo *)
{
  GvClockStamp *self = GV_CLOCK_STAMP (filter);
  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, incaps);
  std::lock_guard<std::mutex> guard (self->priv->lock);
  self->priv->warned_small = false;
  return TRUE;
}

static GstFlowReturn gv_clock_stamp_transform_frame_ip (GstVideoFilter *filter,
                                                        GstVideoFrame *frame)
{
  GvClockStamp *self = GV_CLOCK_STAMP (filter);
  GvClockCodeCorner corner;
  guint cell_size;
  bool warn = false;

  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    corner = self->priv->corner;
    cell_size = self->priv->cell_size;
  }

  /* Taken as late as possible, just before the frame leaves us. */
  const guint64 now = gv::clockcode::realtime_now_ns ();
  if (!gv::clockcode::write_frame (frame, corner, cell_size, now)) {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    warn = !self->priv->warned_small;
    self->priv->warned_small = true;
  }

  if (warn) {
    GST_ELEMENT_WARNING (
        self, STREAM, FORMAT, ("Frame too small for the clock code."),
        ("%dx%d frame, the code needs %ux%u at cell-size %u; frames pass unstamped",
         GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame),
         gv::clockcode::kColumns * cell_size, gv::clockcode::kRows * cell_size, cell_size));
  }
  return GST_FLOW_OK;
}

static void gv_clock_stamp_finalize (GObject *object)
{
  GvClockStamp *self = GV_CLOCK_STAMP (object);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gv_clock_stamp_class_init (GvClockStampClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = gv_clock_stamp_set_property;
  gobject_class->get_property = gv_clock_stamp_get_property;
  gobject_class->finalize = gv_clock_stamp_finalize;

  g_object_class_install_property (
      gobject_class, PROP_CORNER,
      g_param_spec_enum ("corner", "Corner", "Corner of the frame the code is written in",
                         GV_TYPE_CLOCK_CODE_CORNER, DEFAULT_CORNER,
                         static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_CELL_SIZE,
      g_param_spec_uint (
          "cell-size", "Cell size", "Side of one code cell in pixels (the code is 12x8 cells)",
          gv::clockcode::kMinCellSize, gv::clockcode::kMaxCellSize, DEFAULT_CELL_SIZE,
          static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                    GST_PARAM_MUTABLE_PLAYING)));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "GhostView clock stamp", "Filter/Video",
      "Writes the wall-clock time into each frame as a code that survives lossy coding",
      "GhostView contributors");

  filter_class->set_info = GST_DEBUG_FUNCPTR (gv_clock_stamp_set_info);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR (gv_clock_stamp_transform_frame_ip);

  gst_type_mark_as_plugin_api (GV_TYPE_CLOCK_CODE_CORNER, static_cast<GstPluginAPIFlags> (0));
  GST_DEBUG_CATEGORY_INIT (gv_clock_stamp_debug, "gvclockstamp", 0, "GhostView clock stamp");
}

static void gv_clock_stamp_init (GvClockStamp *self)
{
  self->priv = new GvClockStampPrivate ();
}
