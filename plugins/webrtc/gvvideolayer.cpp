/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvvideolayer.h"

#include "gvwebrtctexts.h"

#include <gst/video/video.h>

#include <string>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

VideoLayer::~VideoLayer ()
{
  if (keyframe_target_)
    gst_object_unref (keyframe_target_);
}

GstElement *VideoLayer::make (const char *factory)
{
  GstElement *e = gst_element_factory_make (factory, nullptr);
  if (!e)
    GST_ELEMENT_ERROR (owner_, CORE, MISSING_PLUGIN,
                       ("%s", texts::missing_element (factory).c_str ()), (nullptr));
  return e;
}

/* libvpx drops a frame when its buffer is below this share of the optimal
 * level (libwebrtc's setting). */
constexpr gint kDropFrameBufferPercent = 30;

/* Names the tests and logs go by: layer 0's elements keep the names of the
 * single encoder of old ("encoder", "tee"), the others get a suffix. */
static void name_element (GstElement *e, const char *base, int index)
{
  std::string name = index == 0 ? base : std::string (base) + "-" + std::to_string (index);
  gst_object_set_name (GST_OBJECT (e), name.c_str ());
}

/* The chain is linked and running before it is linked to `upstream`: a
 * layer built while the input streams (the first viewer on a lower layer)
 * would otherwise take a frame on a pad not yet active, and the tee would
 * hand FLUSHING back to the source, which then stops for good. */
bool VideoLayer::add_and_link (GstElement *upstream, std::vector<GstElement *> &chain)
{
  auto link = [this] (GstElement *from, GstElement *to) {
    if (gst_element_link (from, to))
      return true;
    GST_ELEMENT_ERROR (owner_, CORE, NEGOTIATION,
                       ("%s", texts::cannot_build_chain ("video").c_str ()),
                       ("failed to link %s to %s", GST_ELEMENT_NAME (from), GST_ELEMENT_NAME (to)));
    return false;
  };
  for (GstElement *e : chain)
    gst_bin_add (GST_BIN (owner_), e);
  for (size_t i = 1; i < chain.size (); i++)
    if (!link (chain[i - 1], chain[i]))
      return false;
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);
  return chain.empty () || link (upstream, chain.front ());
}

/* Keyframe requests travel up each viewer's branch to the tee: coalesced
 * here. */
void VideoLayer::watch_tee ()
{
  GstPad *tee_sink = gst_element_get_static_pad (tee_, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, viewer_request_probe, this,
                     nullptr);
  gst_pad_add_probe (tee_sink,
                     (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     pending_keyframe_probe, this, nullptr);
  keyframe_target_ = gst_pad_get_peer (tee_sink);
  gst_object_unref (tee_sink);
}

static void configure_encoder (GstElement *encoder, GvWebRTCSinkCodec codec, guint kbps,
                               guint keyframe_distance)
{
  if (codec == GV_WEBRTC_SINK_CODEC_H264) {
    g_object_set (encoder, "bitrate", kbps, "key-int-max", keyframe_distance, "bframes", 0,
                  nullptr);
    gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
    gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset", "ultrafast");
    return;
  }
  /* libvpx's worker threads spin while they wait for each other: on a small,
   * busy machine two threads cost 4x the CPU of one (measured in
   * tests/bench/media). Half the processors, 1 to 4. */
  gint threads = CLAMP ((gint) g_get_num_processors () / 2, 1, 4);
  g_object_set (encoder, "deadline", (gint64) 1, "target-bitrate", (gint) (kbps * 1000),
                "keyframe-max-dist", (gint) keyframe_distance, "lag-in-frames", 0, "threads",
                threads, nullptr);
  g_object_set (encoder, "cpu-used", codec == GV_WEBRTC_SINK_CODEC_VP9 ? 8 : -16, nullptr);
  /* Real-time rate control, as WebRTC stacks set libvpx: a one-second
   * buffer (libvpx's default, six, lets a keyframe or a hard scene spend
   * seconds of a narrow link at once) and keyframes at most three average
   * frames. Frame drops: set_bitrate_kbps (). */
  g_object_set (encoder, "buffer-size", 1000, "buffer-initial-size", 500, "buffer-optimal-size",
                600, "max-intra-bitrate", 300, nullptr);
  gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
  gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient", "default");
}

bool VideoLayer::build_encoding (GstElement *raw_tee, const LayerSettings &s)
{
  bool h264 = s.codec == GV_WEBRTC_SINK_CODEC_H264;
  std::vector<GstElement *> chain;
  auto add = [&] (const char *factory) {
    GstElement *e = make (factory);
    if (e)
      chain.push_back (e);
    return e;
  };
  bool ok = true;
  GstElement *queue = add ("queue");
  GstElement *valve = add ("valve");
  ok = queue && valve;
  if (ok && s.divisor > 1) {
    GstElement *scale = add ("videoscale");
    GstElement *size = add ("capsfilter");
    ok = scale && size;
    if (ok) {
      {
        std::lock_guard<std::mutex> guard (lock_);
        size_filter_ = size;
        divisor_ = s.divisor;
      }
      follow_input_size (s.width, s.height);
    }
  }
  GstElement *convert = ok ? add ("videoconvert") : nullptr;
  /* 8-bit 4:2:0 into every encoder, whatever the source gives: VP9
   * profile 0, the one we offer (no profile-id). vp9enc also takes 4:4:4
   * and 10/12-bit input and then writes profile 1-3; Chromium decodes
   * 10/12-bit, Firefox fails on every frame and asks for keyframes. */
  GstElement *format = convert ? add ("capsfilter") : nullptr;
  if (format) {
    GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420");
    g_object_set (format, "caps", caps, nullptr);
    gst_caps_unref (caps);
  }
  const char *factory = s.codec == GV_WEBRTC_SINK_CODEC_VP9 ? "vp9enc"
                        : h264                              ? "x264enc"
                                                            : "vp8enc";
  GstElement *encoder = format ? add (factory) : nullptr;
  ok = ok && convert && format && encoder;
  if (ok && h264) {
    GstElement *profile = add ("capsfilter");
    GstElement *parse = add ("h264parse");
    ok = profile && parse;
    if (profile) {
      GstCaps *caps = gst_caps_from_string ("video/x-h264,profile=constrained-baseline");
      g_object_set (profile, "caps", caps, nullptr);
      gst_caps_unref (caps);
    }
  }
  GstElement *tee = ok ? add ("tee") : nullptr;
  if (!tee) {
    for (GstElement *e : chain)
      gst_object_unref (gst_object_ref_sink (e));
    return false;
  }
  g_object_set (queue, "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time", (guint64) 0,
                nullptr);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  g_object_set (valve, "drop", TRUE, nullptr);
  gst_util_set_object_arg (G_OBJECT (valve), "drop-mode", "forward-sticky-events");
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  configure_encoder (encoder, s.codec, s.bitrate_kbps, s.keyframe_distance);
  name_element (encoder, "encoder", index_);
  name_element (tee, "tee", index_);
  {
    std::lock_guard<std::mutex> guard (lock_);
    valve_ = valve;
    encoder_ = encoder;
    tee_ = tee;
    h264_ = h264;
    bitrate_kbps_ = top_kbps_ = s.bitrate_kbps;
    set_keyframe_interval_locked (s.keyframe_min_interval_ms);
  }
  if (!add_and_link (raw_tee, chain))
    return false;
  watch_tee ();
  GST_INFO_OBJECT (owner_, "video layer %d: 1/%d size, %u kbit/s", index_, s.divisor,
                   s.bitrate_kbps);
  return true;
}

bool VideoLayer::build_passthrough (GstElement *input, GvWebRTCSinkCodec codec)
{
  std::vector<GstElement *> chain;
  if (codec == GV_WEBRTC_SINK_CODEC_H264) {
    GstElement *parse = make ("h264parse");
    if (!parse)
      return false;
    chain.push_back (parse);
  }
  GstElement *tee = make ("tee");
  if (!tee) {
    for (GstElement *e : chain)
      gst_object_unref (gst_object_ref_sink (e));
    return false;
  }
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  name_element (tee, "tee", index_);
  chain.push_back (tee);
  {
    std::lock_guard<std::mutex> guard (lock_);
    tee_ = tee;
    h264_ = codec == GV_WEBRTC_SINK_CODEC_H264;
  }
  if (!add_and_link (input, chain))
    return false;
  watch_tee ();
  return true;
}

GstElement *VideoLayer::tee () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return tee_;
}

bool VideoLayer::encodes () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return encoder_ && watchers_ > 0;
}

void VideoLayer::watch ()
{
  bool opened;
  {
    std::lock_guard<std::mutex> guard (lock_);
    opened = watchers_++ == 0 && valve_;
    if (opened)
      g_object_set (valve_, "drop", FALSE, nullptr);
  }
  if (opened)
    GST_INFO_OBJECT (owner_, "video layer %d: encoding", index_);
}

void VideoLayer::unwatch ()
{
  std::lock_guard<std::mutex> guard (lock_);
  if (watchers_ > 0 && --watchers_ == 0 && valve_) {
    g_object_set (valve_, "drop", TRUE, nullptr);
    GST_INFO_OBJECT (owner_, "video layer %d: nobody watches, not encoding", index_);
  }
}

int VideoLayer::watchers () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return watchers_;
}

void VideoLayer::set_bitrate_kbps (guint kbps)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (!encoder_ || kbps == bitrate_kbps_ || kbps == 0)
    return;
  bitrate_kbps_ = kbps;
  if (h264_) {
    g_object_set (encoder_, "bitrate", kbps, nullptr);
    return;
  }
  /* Below the layer's top (a link asked for less), libvpx drops frames
   * when its buffer runs low rather than overshoot: busy content at a size
   * too large for the rate (a page scrolling at 720p under 2 Mbit/s) goes
   * out at twice the target whatever the quantizer. Measured on that
   * content, 720p at 1 Mbit/s: 2.1 Mbit/s without drops, 1.0 Mbit/s at
   * 15 fps with them (tests/bench/network). At the top nothing is dropped:
   * a few per cent over the host's bitrate beat a lower frame rate on a
   * link with room. */
  const gint drop_below = kbps < top_kbps_ ? kDropFrameBufferPercent : 0;
  g_object_set (encoder_, "target-bitrate", (gint) (kbps * 1000), "dropframe-threshold", drop_below,
                nullptr);
}

guint VideoLayer::bitrate_kbps () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return bitrate_kbps_;
}

void VideoLayer::set_keyframe_min_interval (guint ms)
{
  std::lock_guard<std::mutex> guard (lock_);
  set_keyframe_interval_locked (ms);
}

/* Requests a layer serves at once before the interval applies. */
constexpr double kKeyframeBurst = 2;

void VideoLayer::set_keyframe_interval_locked (guint ms)
{
  keyframe_min_interval_ms_ = ms;
  keyframe_tokens_.reset (kKeyframeBurst, ms ? 1000.0 / ms : 0);
}

/* A request this soon after the layer's last keyframe is served when the
 * time is up, not at once: the viewer that sent it had not seen that
 * keyframe yet. A viewer moving down a layer because its link was cut asks
 * on every lost packet; served at once, the second keyframe followed the
 * move's own into the same full queue, and the one after waited 500 ms
 * (the dip's freeze at the cut: 0.87 - 0.94 s in 4 of 6 runs, against
 * 0.54 - 0.62 s in 6 of 6 with the spacing; tests/bench/network). */
constexpr gint64 kKeyframeSpacingUs = 150 * 1000;

bool VideoLayer::take_keyframe_locked (gint64 now_us)
{
  if (keyframe_min_interval_ms_ == 0)
    return true;
  if (last_keyframe_us_ && now_us - last_keyframe_us_ < kKeyframeSpacingUs)
    return false;
  if (!keyframe_tokens_.try_take (now_us))
    return false;
  last_keyframe_us_ = now_us;
  return true;
}

/* ---- keyframe requests ---- */

bool VideoLayer::admit_keyframe_request ()
{
  std::lock_guard<std::mutex> guard (lock_);
  keyframes_.requested++;
  if (!take_keyframe_locked (g_get_monotonic_time ())) {
    keyframe_pending_ = true;
    return false;
  }
  keyframes_.forced++;
  return true;
}

void VideoLayer::force_keyframe ()
{
  GstPad *pad = nullptr;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (keyframe_target_)
      pad = GST_PAD (gst_object_ref (keyframe_target_));
  }
  if (!pad)
    return;
  GST_DEBUG_OBJECT (owner_, "asking video layer %d for a keyframe", index_);
  gst_pad_send_event (pad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref (pad);
}

void VideoLayer::follow_input_size (int width, int height)
{
  GstElement *size;
  int divisor;
  {
    std::lock_guard<std::mutex> guard (lock_);
    size = size_filter_;
    divisor = divisor_;
  }
  if (!size || width <= 0 || height <= 0)
    return;
  /* Even sizes: the encoders' 4:2:0 wants them. */
  int w = MAX (2, (width / divisor) & ~1), h = MAX (2, (height / divisor) & ~1);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, w, "height", G_TYPE_INT,
                                       h, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr);
  g_object_set (size, "caps", caps, nullptr);
  gst_caps_unref (caps);
}

void VideoLayer::request_keyframe ()
{
  if (admit_keyframe_request ())
    force_keyframe ();
}

KeyframeCounters VideoLayer::keyframe_counters () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return keyframes_;
}

/* On the tee's sink pad, going up: a viewer's PLI or FIR, which webrtcbin
 * turns into a force-key-unit event. */
GstPadProbeReturn VideoLayer::viewer_request_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = static_cast<VideoLayer *> (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  return self->admit_keyframe_request () ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* On the tee's sink pad, each buffer: a request held back is served once
 * its interval has passed. */
GstPadProbeReturn VideoLayer::pending_keyframe_probe (GstPad *, GstPadProbeInfo *, gpointer user)
{
  auto *self = static_cast<VideoLayer *> (user);
  {
    std::lock_guard<std::mutex> guard (self->lock_);
    if (!self->keyframe_pending_ || !self->take_keyframe_locked (g_get_monotonic_time ()))
      return GST_PAD_PROBE_OK;
    self->keyframe_pending_ = false;
    self->keyframes_.forced++;
  }
  self->force_keyframe ();
  return GST_PAD_PROBE_OK;
}

} // namespace gv::webrtc
