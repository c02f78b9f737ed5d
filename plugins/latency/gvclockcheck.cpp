/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-gvclockcheck
 * @title: gvclockcheck
 * @see_also: gvclockstamp
 *
 * Reads the code that gvclockstamp wrote into each frame (see its
 * documentation for the layout), subtracts it from the current
 * CLOCK_REALTIME and keeps latency statistics. Frames pass unchanged.
 *
 * Both elements must run on the same machine (same clock). The latency is
 * measured to the moment the frame passes gvclockcheck: put it right before
 * the sink. A sink with `sync=true` may hold the frame a little longer before
 * it is shown, which this figure does not include.
 *
 * A frame counts as `unreadable` when the sync word is not found (`no-code`:
 * no code, or the wrong #GvClockCheck:corner / #GvClockCheck:cell-size, or a
 * scaled frame) or when the checksum fails (`bad-checksum`). Unreadable frames
 * never contribute a latency.
 *
 * Statistics cover every frame since the element started (READY to PAUSED)
 * or since the last `reset` action signal. Percentiles use the nearest-rank
 * method: the p-th percentile of n sorted samples is sample ceil(p/100 * n).
 *
 * ## Messages
 * Every #GvClockCheck:interval (measured on the monotonic clock, checked as
 * frames arrive) and once at EOS, when #GvClockCheck:post-messages is TRUE,
 * the element posts an element message named `gvclockcheck-stats` with:
 *
 * - `count` (guint64): frames whose code read;
 * - `unreadable` (guint64): frames whose code did not read
 *   (`no-code` + `bad-checksum`);
 * - `no-code` (guint64), `bad-checksum` (guint64);
 * - `p50`, `p95`, `max`, `min`, `mean` (gdouble): latency in milliseconds,
 *   0 when `count` is 0;
 * - `eos` (gboolean): TRUE on the message posted at EOS.
 *
 * The #GvClockCheck:stats property holds the same structure (without `eos`).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=150 \
 *     ! video/x-raw,width=640,height=360,framerate=30/1 ! gvclockstamp \
 *     ! x264enc tune=zerolatency speed-preset=ultrafast ! avdec_h264 \
 *     ! gvclockcheck interval=500000000 ! fakesink
 * ]| Prints a `gvclockcheck-stats` message twice a second and one at EOS.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gvclockcheck.h"
#include "clockcode.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gv_clock_check_debug);
#define GST_CAT_DEFAULT gv_clock_check_debug

#define GV_CLOCK_CHECK_STATS_NAME "gvclockcheck-stats"

enum {
  PROP_0,
  PROP_CORNER,
  PROP_CELL_SIZE,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
  PROP_STATS,
  PROP_COUNT,
  PROP_UNREADABLE,
  PROP_P50,
  PROP_P95,
  PROP_MAX,
};

enum {
  SIGNAL_RESET,
  LAST_SIGNAL,
};

#define DEFAULT_CORNER gv::clockcode::kDefaultCorner
#define DEFAULT_CELL_SIZE gv::clockcode::kDefaultCellSize
#define DEFAULT_INTERVAL GST_SECOND
#define DEFAULT_POST_MESSAGES TRUE

namespace {

struct Summary {
  guint64 count = 0;
  guint64 no_code = 0;
  guint64 bad_checksum = 0;
  double p50 = 0, p95 = 0, max = 0, min = 0, mean = 0;

  guint64 unreadable () const { return no_code + bad_checksum; }
};

double nearest_rank (const std::vector<double> &sorted, double percent)
{
  const size_t n = sorted.size ();
  size_t rank = static_cast<size_t> (std::ceil (percent / 100.0 * static_cast<double> (n)));
  rank = std::clamp<size_t> (rank, 1, n);
  return sorted[rank - 1];
}

} // namespace

struct GvClockCheckPrivate {
  std::mutex lock;
  GvClockCodeCorner corner = DEFAULT_CORNER;
  guint cell_size = DEFAULT_CELL_SIZE;
  GstClockTime interval = DEFAULT_INTERVAL;
  bool post_messages = DEFAULT_POST_MESSAGES;

  std::vector<double> latencies_ms;
  guint64 no_code = 0;
  guint64 bad_checksum = 0;
  /* Monotonic time (us) of the last periodic message; -1 before the first frame. */
  gint64 last_post_us = -1;

  void clear ()
  {
    latencies_ms.clear ();
    no_code = 0;
    bad_checksum = 0;
    last_post_us = -1;
  }

  /* Call with the lock held. */
  Summary summarize () const
  {
    Summary s;
    s.count = latencies_ms.size ();
    s.no_code = no_code;
    s.bad_checksum = bad_checksum;
    if (latencies_ms.empty ())
      return s;
    std::vector<double> sorted (latencies_ms);
    std::sort (sorted.begin (), sorted.end ());
    s.p50 = nearest_rank (sorted, 50);
    s.p95 = nearest_rank (sorted, 95);
    s.min = sorted.front ();
    s.max = sorted.back ();
    s.mean = std::accumulate (sorted.begin (), sorted.end (), 0.0) / static_cast<double> (s.count);
    return s;
  }
};

struct _GvClockCheck {
  GstVideoFilter parent;
  GvClockCheckPrivate *priv;
};

static guint gv_clock_check_signals[LAST_SIGNAL];

#define gv_clock_check_parent_class parent_class
G_DEFINE_TYPE (GvClockCheck, gv_clock_check, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (gvclockcheck, "gvclockcheck", GST_RANK_NONE, GV_TYPE_CLOCK_CHECK);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                             GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GV_CLOCK_CODE_FORMATS)));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                             GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GV_CLOCK_CODE_FORMATS)));

static GstStructure *gv_clock_check_summary_to_structure (const Summary &s)
{
  return gst_structure_new (
      GV_CLOCK_CHECK_STATS_NAME, "count", G_TYPE_UINT64, s.count, "unreadable", G_TYPE_UINT64,
      s.unreadable (), "no-code", G_TYPE_UINT64, s.no_code, "bad-checksum", G_TYPE_UINT64,
      s.bad_checksum, "p50", G_TYPE_DOUBLE, s.p50, "p95", G_TYPE_DOUBLE, s.p95, "max",
      G_TYPE_DOUBLE, s.max, "min", G_TYPE_DOUBLE, s.min, "mean", G_TYPE_DOUBLE, s.mean, nullptr);
}

static Summary gv_clock_check_summarize (GvClockCheck *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->summarize ();
}

/* Call without the lock: posting may run synchronous bus handlers. */
static void gv_clock_check_post_stats (GvClockCheck *self, bool eos)
{
  GstStructure *s = gv_clock_check_summary_to_structure (gv_clock_check_summarize (self));
  gst_structure_set (s, "eos", G_TYPE_BOOLEAN, eos ? TRUE : FALSE, nullptr);
  GST_LOG_OBJECT (self, "posting %" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static void gv_clock_check_reset (GvClockCheck *self)
{
  GST_DEBUG_OBJECT (self, "reset");
  std::lock_guard<std::mutex> guard (self->priv->lock);
  self->priv->clear ();
}

static void gv_clock_check_set_property (GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
  GvClockCheck *self = GV_CLOCK_CHECK (object);
  std::lock_guard<std::mutex> guard (self->priv->lock);

  switch (prop_id) {
  case PROP_CORNER:
    self->priv->corner = static_cast<GvClockCodeCorner> (g_value_get_enum (value));
    break;
  case PROP_CELL_SIZE:
    self->priv->cell_size = g_value_get_uint (value);
    break;
  case PROP_INTERVAL:
    self->priv->interval = g_value_get_uint64 (value);
    break;
  case PROP_POST_MESSAGES:
    self->priv->post_messages = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_clock_check_get_property (GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
  GvClockCheck *self = GV_CLOCK_CHECK (object);

  switch (prop_id) {
  case PROP_STATS:
    g_value_take_boxed (value,
                        gv_clock_check_summary_to_structure (gv_clock_check_summarize (self)));
    return;
  case PROP_P50:
    g_value_set_double (value, gv_clock_check_summarize (self).p50);
    return;
  case PROP_P95:
    g_value_set_double (value, gv_clock_check_summarize (self).p95);
    return;
  case PROP_MAX:
    g_value_set_double (value, gv_clock_check_summarize (self).max);
    return;
  default:
    break;
  }

  std::lock_guard<std::mutex> guard (self->priv->lock);
  switch (prop_id) {
  case PROP_CORNER:
    g_value_set_enum (value, self->priv->corner);
    break;
  case PROP_CELL_SIZE:
    g_value_set_uint (value, self->priv->cell_size);
    break;
  case PROP_INTERVAL:
    g_value_set_uint64 (value, self->priv->interval);
    break;
  case PROP_POST_MESSAGES:
    g_value_set_boolean (value, self->priv->post_messages);
    break;
  case PROP_COUNT:
    g_value_set_uint64 (value, self->priv->latencies_ms.size ());
    break;
  case PROP_UNREADABLE:
    g_value_set_uint64 (value, self->priv->no_code + self->priv->bad_checksum);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static gboolean gv_clock_check_start (GstBaseTransform *trans)
{
  gv_clock_check_reset (GV_CLOCK_CHECK (trans));
  return TRUE;
}

static gboolean gv_clock_check_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GvClockCheck *self = GV_CLOCK_CHECK (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    bool post;
    {
      std::lock_guard<std::mutex> guard (self->priv->lock);
      post = self->priv->post_messages;
    }
    /* Before the EOS goes on, so the figures reach the bus ahead of EOS. */
    if (post)
      gv_clock_check_post_stats (self, true);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static GstFlowReturn gv_clock_check_transform_frame_ip (GstVideoFilter *filter,
                                                        GstVideoFrame *frame)
{
  GvClockCheck *self = GV_CLOCK_CHECK (filter);
  GvClockCodeCorner corner;
  guint cell_size;

  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    corner = self->priv->corner;
    cell_size = self->priv->cell_size;
  }

  guint64 stamp = 0;
  const auto result = gv::clockcode::read_frame (frame, corner, cell_size, &stamp);
  /* Read the clock right after the code, before any bookkeeping. */
  const guint64 now = gv::clockcode::realtime_now_ns ();
  const gint64 now_us = g_get_monotonic_time ();
  bool post = false;

  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    GvClockCheckPrivate *priv = self->priv;
    switch (result) {
    case gv::clockcode::ReadResult::kOk: {
      const double ms = static_cast<double> (static_cast<gint64> (now - stamp)) / 1e6;
      priv->latencies_ms.push_back (ms);
      GST_LOG_OBJECT (self, "latency %.3f ms", ms);
      break;
    }
    case gv::clockcode::ReadResult::kNoCode:
      priv->no_code++;
      GST_LOG_OBJECT (self, "no code in frame");
      break;
    case gv::clockcode::ReadResult::kBadChecksum:
      priv->bad_checksum++;
      GST_LOG_OBJECT (self, "code with a bad checksum");
      break;
    }

    if (priv->last_post_us < 0) {
      priv->last_post_us = now_us;
    } else if (priv->post_messages && priv->interval > 0 &&
               static_cast<guint64> (now_us - priv->last_post_us) * GST_USECOND >= priv->interval) {
      priv->last_post_us = now_us;
      post = true;
    }
  }

  if (post)
    gv_clock_check_post_stats (self, false);
  return GST_FLOW_OK;
}

static void gv_clock_check_finalize (GObject *object)
{
  GvClockCheck *self = GV_CLOCK_CHECK (object);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gv_clock_check_class_init (GvClockCheckClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const auto rw = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                            GST_PARAM_MUTABLE_PLAYING);
  const auto ro = static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gv_clock_check_set_property;
  gobject_class->get_property = gv_clock_check_get_property;
  gobject_class->finalize = gv_clock_check_finalize;

  g_object_class_install_property (
      gobject_class, PROP_CORNER,
      g_param_spec_enum ("corner", "Corner", "Corner of the frame the code is read from",
                         GV_TYPE_CLOCK_CODE_CORNER, DEFAULT_CORNER, rw));
  g_object_class_install_property (
      gobject_class, PROP_CELL_SIZE,
      g_param_spec_uint (
          "cell-size", "Cell size", "Side of one code cell in pixels, as set on gvclockstamp",
          gv::clockcode::kMinCellSize, gv::clockcode::kMaxCellSize, DEFAULT_CELL_SIZE, rw));
  g_object_class_install_property (
      gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval",
                           "Time between gvclockcheck-stats messages in nanoseconds "
                           "(0 = only at EOS)",
                           0, G_MAXUINT64, DEFAULT_INTERVAL, rw));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
                                   g_param_spec_boolean ("post-messages", "Post messages",
                                                         "Post gvclockcheck-stats element messages",
                                                         DEFAULT_POST_MESSAGES, rw));
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
                          "gvclockcheck-stats structure: count, unreadable, no-code, "
                          "bad-checksum (guint64), p50, p95, max, min, mean (gdouble, ms)",
                          GST_TYPE_STRUCTURE, ro));
  g_object_class_install_property (
      gobject_class, PROP_COUNT,
      g_param_spec_uint64 ("count", "Count", "Frames whose code read", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_UNREADABLE,
      g_param_spec_uint64 ("unreadable", "Unreadable",
                           "Frames whose code did not read (absent or bad checksum)", 0,
                           G_MAXUINT64, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_P50,
      g_param_spec_double ("p50", "p50", "Median latency in milliseconds (0 when count is 0)",
                           -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_P95,
      g_param_spec_double ("p95", "p95",
                           "95th percentile latency in milliseconds (0 when count is 0)",
                           -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_MAX,
      g_param_spec_double ("max", "Max", "Largest latency in milliseconds (0 when count is 0)",
                           -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro));

  /**
   * GvClockCheck::reset:
   *
   * Action signal: forget all samples and counts.
   */
  gv_clock_check_signals[SIGNAL_RESET] = g_signal_new_class_handler (
      "reset", G_TYPE_FROM_CLASS (klass),
      static_cast<GSignalFlags> (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (gv_clock_check_reset), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "GhostView clock check", "Filter/Video/Analyzer",
      "Reads the gvclockstamp code and reports glass-to-glass latency", "GhostView contributors");

  trans_class->start = GST_DEBUG_FUNCPTR (gv_clock_check_start);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gv_clock_check_sink_event);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR (gv_clock_check_transform_frame_ip);

  GST_DEBUG_CATEGORY_INIT (gv_clock_check_debug, "gvclockcheck", 0, "GhostView clock check");
}

static void gv_clock_check_init (GvClockCheck *self)
{
  self->priv = new GvClockCheckPrivate ();
  /* Read-only: frames go through untouched and need not be writable. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
