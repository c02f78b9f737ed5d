/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-gvpacer
 * @title: gvpacer
 * @see_also: gvwebrtcsink, queue
 *
 * A queue that lets buffers out no faster than #GvPacer:rate, one after
 * another, so that a burst (a keyframe's packets) reaches a narrow link
 * spread out instead of overflowing its queue. Upstream never waits: every
 * buffer is taken at once and sent from the element's own thread.
 *
 * The gap after a buffer is its size at the rate of the moment; the rate
 * can change while buffers wait, and 0 (the default) lets everything
 * through at once. No buffer is held longer than #GvPacer:max-delay: when
 * more comes than the rate carries, buffers leave faster rather than later.
 * When downstream does not take buffers, those that waited more than twice
 * #GvPacer:max-delay (or beyond 16 MiB queued) are dropped, oldest first,
 * and counted in #GvPacer:dropped. Events stay in order with the buffers.
 * Buffer lists are paced buffer by buffer.
 *
 * gvwebrtcsink puts one in front of each viewer's video; with its `pacing`
 * property above 0 (off by default) it sets the rate from that viewer's
 * bandwidth estimate while the estimate limits the viewer.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,width=1280,height=720 \
 *     ! vp8enc deadline=1 target-bitrate=800000 keyframe-max-dist=30 ! rtpvp8pay \
 *     ! gvpacer rate=1000000 ! udpsink host=127.0.0.1 port=5004
 * ]| Sends VP8 over RTP with every keyframe spread at 1 Mbit/s.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gvpacer.h"
#include "gvpaceschedule.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

GST_DEBUG_CATEGORY_STATIC (gv_pacer_debug);
#define GST_CAT_DEFAULT gv_pacer_debug

enum {
  PROP_0,
  PROP_RATE,
  PROP_MAX_DELAY,
  PROP_QUEUED_BYTES,
  PROP_DROPPED,
};

static constexpr guint kDefaultMaxDelayMs = 250;
static constexpr gsize kMaxQueuedBytes = 16 * 1024 * 1024;

namespace {

/* A buffer or a serialized event, and when it came. */
struct Item {
  GstMiniObject *object = nullptr;
  gint64 arrival_us = 0;
  gsize bytes = 0;

  Item (GstMiniObject *o, gint64 at, gsize n) : object (o), arrival_us (at), bytes (n) {}
  Item (Item &&other) noexcept
      : object (std::exchange (other.object, nullptr)), arrival_us (other.arrival_us),
        bytes (other.bytes)
  {}
  Item &operator= (Item &&other) noexcept
  {
    std::swap (object, other.object);
    arrival_us = other.arrival_us;
    bytes = other.bytes;
    return *this;
  }
  ~Item ()
  {
    if (object)
      gst_mini_object_unref (object);
  }
  bool is_buffer () const { return GST_IS_BUFFER (object); }
  GstMiniObject *take () { return std::exchange (object, nullptr); }
};

gint64 now_us ()
{
  return g_get_monotonic_time ();
}

} // namespace

struct GvPacerPrivate {
  std::mutex lock;
  std::condition_variable changed;
  std::deque<Item> items;
  gv::webrtc::PaceSchedule schedule;
  gsize queued_bytes = 0;
  guint64 dropped = 0;
  bool flushing = true;
  GstFlowReturn src_result = GST_FLOW_FLUSHING;
};

struct _GvPacer {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;
  GvPacerPrivate *priv;
};

#define gv_pacer_parent_class parent_class
G_DEFINE_TYPE (GvPacer, gv_pacer, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (gvpacer, "gvpacer", GST_RANK_NONE, GV_TYPE_PACER);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* Under the lock: drops the oldest buffers while they waited too long or
 * too much is queued (downstream not taking them). */
static void drop_stale (GvPacer *self, gint64 now)
{
  GvPacerPrivate *p = self->priv;
  const gint64 stale_us = 2 * p->schedule.max_delay_us ();
  while (p->items.size () > 1 && p->items.front ().is_buffer () &&
         (now - p->items.front ().arrival_us > stale_us || p->queued_bytes > kMaxQueuedBytes)) {
    p->queued_bytes -= p->items.front ().bytes;
    p->items.pop_front ();
    if (p->dropped++ == 0)
      GST_WARNING_OBJECT (self, "downstream does not keep up: dropping the oldest buffers");
  }
}

static GstFlowReturn gv_pacer_chain (GstPad *, GstObject *parent, GstBuffer *buffer)
{
  GvPacer *self = GV_PACER (parent);
  GvPacerPrivate *p = self->priv;
  std::lock_guard<std::mutex> guard (p->lock);
  if (p->flushing || (p->src_result != GST_FLOW_OK && p->src_result != GST_FLOW_NOT_LINKED)) {
    const GstFlowReturn result = p->flushing ? GST_FLOW_FLUSHING : p->src_result;
    gst_buffer_unref (buffer);
    return result;
  }
  const gsize bytes = gst_buffer_get_size (buffer);
  const gint64 now = now_us ();
  p->items.emplace_back (GST_MINI_OBJECT_CAST (buffer), now, bytes);
  p->queued_bytes += bytes;
  drop_stale (self, now);
  p->changed.notify_one ();
  return GST_FLOW_OK;
}

/* Whether a flush keeps `item`: sticky events but the segment and EOS (a
 * stream start or caps not pushed yet are still needed after it). */
static bool kept_by_flush (const Item &item)
{
  if (item.is_buffer ())
    return false;
  GstEvent *event = GST_EVENT_CAST (item.object);
  return GST_EVENT_IS_STICKY (event) && GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT &&
         GST_EVENT_TYPE (event) != GST_EVENT_EOS;
}

/* Stops the thread (a flush, or deactivation: `everything`) and lets go
 * of what waits. */
static void set_flushing (GvPacer *self, bool flushing, bool everything = true)
{
  GvPacerPrivate *p = self->priv;
  std::lock_guard<std::mutex> guard (p->lock);
  p->flushing = flushing;
  p->src_result = flushing ? GST_FLOW_FLUSHING : GST_FLOW_OK;
  if (flushing) {
    std::deque<Item> kept;
    for (Item &item : p->items)
      if (!everything && kept_by_flush (item))
        kept.push_back (std::move (item));
    p->items.swap (kept);
    p->queued_bytes = 0;
  } else {
    p->schedule.reset ();
  }
  p->changed.notify_all ();
}

static void gv_pacer_loop (gpointer data);

static gboolean start_thread (GvPacer *self)
{
  return gst_pad_start_task (self->srcpad, gv_pacer_loop, self, nullptr);
}

static gboolean gv_pacer_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GvPacer *self = GV_PACER (parent);
  GvPacerPrivate *p = self->priv;
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_FLUSH_START: {
    gboolean ok = gst_pad_push_event (self->srcpad, event);
    set_flushing (self, true, false);
    gst_pad_pause_task (self->srcpad);
    return ok;
  }
  case GST_EVENT_FLUSH_STOP: {
    set_flushing (self, false);
    gboolean ok = gst_pad_push_event (self->srcpad, event);
    start_thread (self);
    return ok;
  }
  default:
    break;
  }
  if (!GST_EVENT_IS_SERIALIZED (event))
    return gst_pad_event_default (pad, parent, event);
  std::lock_guard<std::mutex> guard (p->lock);
  if (p->flushing) {
    gst_event_unref (event);
    return FALSE;
  }
  p->items.emplace_back (GST_MINI_OBJECT_CAST (event), now_us (), 0);
  p->changed.notify_one ();
  return TRUE;
}

/* The element's thread: waits for the head's turn, then pushes it. */
static void gv_pacer_loop (gpointer data)
{
  GvPacer *self = GV_PACER (data);
  GvPacerPrivate *p = self->priv;
  GstMiniObject *object = nullptr;
  {
    std::unique_lock<std::mutex> guard (p->lock);
    p->changed.wait (guard, [p] () { return p->flushing || !p->items.empty (); });
    if (p->flushing) {
      guard.unlock ();
      gst_pad_pause_task (self->srcpad);
      return;
    }
    Item &head = p->items.front ();
    if (head.is_buffer ()) {
      const gint64 now = now_us ();
      const gint64 release = p->schedule.release_us (head.arrival_us, now);
      if (release > now) {
        /* Woken early by a rate change, a flush or a new buffer: the
         * next turn looks again. */
        p->changed.wait_for (guard, std::chrono::microseconds (release - now));
        return;
      }
      p->schedule.sent (head.bytes, release);
      p->queued_bytes -= head.bytes;
    }
    object = head.take ();
    p->items.pop_front ();
  }
  GstFlowReturn result = GST_FLOW_OK;
  if (GST_IS_BUFFER (object)) {
    result = gst_pad_push (self->srcpad, GST_BUFFER_CAST (object));
  } else {
    GstEvent *event = GST_EVENT_CAST (object);
    const bool eos = GST_EVENT_TYPE (event) == GST_EVENT_EOS;
    gst_pad_push_event (self->srcpad, event);
    if (eos)
      result = GST_FLOW_EOS;
  }
  if (result == GST_FLOW_OK || result == GST_FLOW_NOT_LINKED)
    return;
  {
    std::lock_guard<std::mutex> guard (p->lock);
    p->src_result = result;
  }
  if (result != GST_FLOW_FLUSHING && result != GST_FLOW_EOS)
    GST_ELEMENT_FLOW_ERROR (self, result);
  gst_pad_pause_task (self->srcpad);
}

static gboolean gv_pacer_src_activate_mode (GstPad *pad, GstObject *parent, GstPadMode mode,
                                            gboolean active)
{
  GvPacer *self = GV_PACER (parent);
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active) {
    set_flushing (self, false);
    return start_thread (self);
  }
  set_flushing (self, true);
  return gst_pad_stop_task (pad);
}

static void gv_pacer_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  GvPacer *self = GV_PACER (object);
  GvPacerPrivate *p = self->priv;
  std::lock_guard<std::mutex> guard (p->lock);
  switch (prop_id) {
  case PROP_RATE:
    p->schedule.set_rate (g_value_get_uint64 (value));
    break;
  case PROP_MAX_DELAY:
    p->schedule.set_max_delay_us ((gint64) g_value_get_uint (value) * 1000);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  p->changed.notify_all ();
}

static void gv_pacer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GvPacer *self = GV_PACER (object);
  GvPacerPrivate *p = self->priv;
  std::lock_guard<std::mutex> guard (p->lock);
  switch (prop_id) {
  case PROP_RATE:
    g_value_set_uint64 (value, p->schedule.rate ());
    break;
  case PROP_MAX_DELAY:
    g_value_set_uint (value, (guint) (p->schedule.max_delay_us () / 1000));
    break;
  case PROP_QUEUED_BYTES:
    g_value_set_uint64 (value, p->queued_bytes);
    break;
  case PROP_DROPPED:
    g_value_set_uint64 (value, p->dropped);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_pacer_finalize (GObject *object)
{
  GvPacer *self = GV_PACER (object);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gv_pacer_init (GvPacer *self)
{
  self->priv = new GvPacerPrivate ();
  self->priv->schedule.set_max_delay_us ((gint64) kDefaultMaxDelayMs * 1000);
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, gv_pacer_chain);
  gst_pad_set_event_function (self->sinkpad, gv_pacer_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_activatemode_function (self->srcpad, gv_pacer_src_activate_mode);
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

static void gv_pacer_class_init (GvPacerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gv_pacer_set_property;
  gobject_class->get_property = gv_pacer_get_property;
  gobject_class->finalize = gv_pacer_finalize;

  g_object_class_install_property (
      gobject_class, PROP_RATE,
      g_param_spec_uint64 (
          "rate", "Rate", "The most buffers leave at, in bit/s of their bytes; 0: not paced", 0,
          G_MAXUINT64, 0,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_MAX_DELAY,
      g_param_spec_uint (
          "max-delay", "Maximum delay",
          "The longest a buffer waits for its turn, in ms; beyond it buffers "
          "leave faster than the rate",
          1, 10000, kDefaultMaxDelayMs,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_QUEUED_BYTES,
      g_param_spec_uint64 ("queued-bytes", "Queued bytes", "Bytes of the buffers waiting now", 0,
                           G_MAXUINT64, 0,
                           (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
                           "Buffers dropped because downstream did not take them", 0, G_MAXUINT64,
                           0, (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "GhostView pacer", "Generic",
      "Lets buffers out no faster than a rate, so bursts reach a narrow link spread out",
      "GhostView contributors");
  GST_DEBUG_CATEGORY_INIT (gv_pacer_debug, "gvpacer", 0, "GhostView pacer");
}
