/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvviewer.h"

#include "gvassistjson.h"
#include "gvfilejson.h"
#include "gvterminaljson.h"

#include "gvlayerplan.h"
#include "gvnavjson.h"
#include "gvpadbuffers.h"
#include "gvsdpcodecs.h"
#include "gvtwccfeedback.h"
#include "gvwebrtctexts.h"
#include "gvwebrtcutils.h"

#include <gst/rtp/rtp.h>

#include <cmath>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

/* The window the bitrate is measured over. */
static constexpr gint64 kBitrateWindowUs = 2 * G_USEC_PER_SEC;

static_assert (gv::nav::kMaxLinkLayer == kMaxLayers - 1,
               "the link report names every layer of the quality ladder");

Viewer::Viewer (std::string peer, std::string name, GvCapabilities capabilities, ViewerHost &host,
                TaskThread &thread)
    : peer_ (std::move (peer)), name_ (std::move (name)), host_ (host), queue_ (thread),
      capabilities_ (capabilities | GV_CAPABILITY_VIEW),
      stale_retransmissions_ (std::make_unique<StaleRetransmissions> (host_.log_object ()))
{
  input_ = std::make_shared<InputChannel> (
      peer_, GST_OBJECT (host_.log_object ()),
      InputChannel::Callbacks{
          [this] (int &w, int &h) { host_.video_size (w, h); },
          [this] () { return (capabilities_.load () & GV_CAPABILITY_CONTROL) != 0; },
          [this] (GstEvent *event) { host_.navigate (event); },
          [this] () { host_.control_requested (peer_); },
      });
  assist_ = std::make_shared<AssistChannel> (
      peer_, GST_OBJECT (host_.log_object ()),
      AssistChannel::Callbacks{
          [this] () { return this->capabilities (); },
          [this] (const std::string &text) { host_.chat_received (peer_, name_, text); },
          [this] (const std::string &mime, const std::string &bytes) {
            host_.clipboard_received (peer_, mime, bytes);
          },
          [this] (const gv::assist::Message &request) {
            return host_.source_request (peer_, name_, request);
          },
          [this] () { return host_.greeting (peer_); },
      });
}

/* The file channel, made in do_start (on the viewer's queue: asking the
 * host for its download folder takes the host's lock, which the host may
 * hold while it makes a viewer). */
std::shared_ptr<FileChannel> Viewer::files () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return files_;
}

std::shared_ptr<TerminalChannel> Viewer::terminal_channel () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return terminal_;
}

Viewer::~Viewer ()
{
  if (pacer_)
    gst_object_unref (pacer_);
  input_->close ();
  assist_->close ();
  if (std::shared_ptr<FileChannel> files = this->files ())
    files->close ();
  if (std::shared_ptr<TerminalChannel> terminal = terminal_channel ())
    terminal->close ();
}

GvCapabilities Viewer::set_capabilities (GvCapabilities capabilities)
{
  return (GvCapabilities) capabilities_.exchange (capabilities | GV_CAPABILITY_VIEW);
}

gpointer Viewer::weak ()
{
  return new std::weak_ptr<Viewer> (shared_from_this ());
}

void Viewer::release (gpointer data, GClosure *)
{
  delete static_cast<std::weak_ptr<Viewer> *> (data);
}

ViewerPtr Viewer::lock (gpointer data)
{
  return static_cast<std::weak_ptr<Viewer> *> (data)->lock ();
}

/* ---- start: the webrtcbin, its branches, the offer ---- */

void Viewer::start (std::vector<StreamFeed> feeds)
{
  queue_.post ([self = shared_from_this (), feeds = std::move (feeds)] () mutable {
    if (self->answering_ && !self->remote_offer_) {
      self->waiting_feeds_.emplace (std::move (feeds)); /* until the offer comes */
      return;
    }
    self->do_start (feeds);
  });
}

template <MediaKind kind>
GstPadProbeReturn Viewer::count_sent (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  ViewerPtr self = lock (data);
  if (!self)
    return GST_PAD_PROBE_OK;
  guint64 frames = 0, packets = 0, bytes = 0;
  auto count = [&] (GstBuffer *buf) {
    bytes += gst_buffer_get_size (buf);
    packets++;
    if (kind != MediaKind::Video)
      return;
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
      frames += gst_rtp_buffer_get_marker (&rtp) ? 1 : 0;
      gst_rtp_buffer_unmap (&rtp);
    }
  };
  for_each_buffer (info, count);
  self->frames_sent_ += frames;
  if (kind == MediaKind::Audio)
    self->audio_packets_sent_ += packets;
  self->bytes_sent_ += bytes;
  return GST_PAD_PROBE_OK;
}

/* A stream's branch into a new webrtcbin sink pad (its transceiver is made
 * with the pad): audio, a leaky queue (the shared tee is linked once
 * webrtcbin runs); video, a funnel of the layers the viewer watches, its
 * own payloader (made once the answer picked the codec: attach_payloader)
 * and a pacer (gvpacer: a queue that spreads bursts at the viewer's
 * estimate, pace_video). */
void Viewer::add_branch (GstElement *webrtcbin, const StreamFeed &feed)
{
  bool video = feed.kind == MediaKind::Video;
  Branch branch;
  branch.kind = feed.kind;
  GstElement *funnel = nullptr;
  if (video) {
    funnel = gst_element_factory_make ("funnel", nullptr);
    if (!funnel)
      return;
    branch.elements = { funnel };
  }
  GstElement *queue;
  if (video) {
    queue = gst_element_factory_make ("gvpacer", nullptr);
    if (!queue) {
      gst_object_unref (gst_object_ref_sink (funnel));
      return;
    }
    pacer_ = GST_ELEMENT (gst_object_ref (queue));
  } else {
    queue = gst_element_factory_make ("queue", nullptr);
    g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                  (guint64) 500 * GST_MSECOND, nullptr);
    gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  }
  branch.elements.push_back (queue);
  for (GstElement *e : branch.elements)
    gst_bin_add (host_.bin (), e);
  GstPadTemplate *templ = gst_element_get_pad_template (webrtcbin, "sink_%u");
  GstPad *wsink = gst_element_request_pad (webrtcbin, templ, nullptr, feed.caps);
  GstPad *qsrc = gst_element_get_static_pad (queue, "src");
  gst_pad_link (qsrc, wsink);
  const auto buffers =
      (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);
  gst_pad_add_probe (qsrc, buffers,
                     video ? count_sent<MediaKind::Video> : count_sent<MediaKind::Audio>, weak (),
                     [] (gpointer d) { release (d); });
  /* The viewer's congestion feedback comes up the video branch. */
  if (video)
    gst_pad_add_probe (qsrc, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, feedback_probe, weak (),
                       [] (gpointer d) { release (d); });
  gst_object_unref (wsink);
  gst_object_unref (qsrc);
  /* Until the peer connection is up, frames would only wait in the queue
   * and reach the viewer stale: drop them. */
  GstPad *qsink = gst_element_get_static_pad (queue, "sink");
  gst_pad_add_probe (
      qsink, buffers,
      [] (GstPad *, GstPadProbeInfo *, gpointer data) {
        ViewerPtr self = lock (data);
        return self && self->media_flowing_ ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      weak (), [] (gpointer d) { release (d); });
  gst_object_unref (qsink);
  if (video) {
    std::weak_ptr<Viewer> viewer = shared_from_this ();
    auto layers =
        std::make_shared<LayerSwitch> (funnel, GST_OBJECT (host_.log_object ()),
                                       LayerSwitch::Callbacks{
                                           [this] (int layer) { return host_.watch_layer (layer); },
                                           [this] (int layer) { host_.unwatch_layer (layer); },
                                           [viewer] (std::function<void ()> task) {
                                             if (ViewerPtr v = viewer.lock ())
                                               v->queue_.post (std::move (task));
                                           },
                                       });
    std::lock_guard<std::mutex> guard (lock_);
    layer_switch_ = layers;
  } else {
    branch.tee = GST_ELEMENT (gst_object_ref (feed.tee));
  }
  std::lock_guard<std::mutex> guard (lock_);
  branches_.push_back (branch);
}

/* The viewer's webrtcbin, in the bin, its signals connected; nullptr (an
 * error posted) when webrtcbin is missing. */
GstElement *Viewer::make_webrtcbin ()
{
  GstElement *webrtcbin = gst_element_factory_make ("webrtcbin", nullptr);
  if (!webrtcbin) {
    GST_ELEMENT_ERROR (host_.bin (), CORE, MISSING_PLUGIN, ("%s", texts::kMissingWebrtcbin),
                       (nullptr));
    return nullptr;
  }
  GStrv stun = nullptr, turn = nullptr;
  bool loopback = false;
  host_.ice_settings (&stun, &turn, &loopback);
  gst_util_set_object_arg (G_OBJECT (webrtcbin), "bundle-policy", "max-bundle");
  maybe_add_loopback (webrtcbin, loopback, GST_OBJECT (host_.log_object ()));
  disable_upnp (webrtcbin, GST_OBJECT (host_.log_object ()));
  configure_ice_servers (webrtcbin, stun, turn);
  g_strfreev (stun);
  g_strfreev (turn);

  auto on_candidate = [] (GstElement *, guint mline, const gchar *candidate, gpointer data) {
    if (ViewerPtr self = lock (data))
      self->queue_.post ([self, mline, c = std::string (candidate ? candidate : "")] () {
        self->host_.send_ice (self->peer_, mline, c);
      });
  };
  auto on_state = [] (GstElement *bin, GParamSpec *, gpointer data) {
    GstWebRTCPeerConnectionState state;
    g_object_get (bin, "connection-state", &state, nullptr);
    if (ViewerPtr self = lock (data))
      self->queue_.post ([self, state] () { self->connection_state_changed (state); });
  };
  auto on_channel = [] (GstElement *, GObject *channel, gpointer data) {
    /* At once, not on the queue: a message may follow right away. */
    if (ViewerPtr self = lock (data)) {
      gchar *label = nullptr;
      g_object_get (channel, "label", &label, nullptr);
      GST_DEBUG_OBJECT (self->host_.log_object (), "viewer %s opened a data channel \"%s\"",
                        self->peer_.c_str (), label ? label : "");
      if (label && g_str_equal (label, gv::assist::kChannelLabel))
        self->assist_->attach (channel);
      else if (label && g_str_equal (label, gv::files::kChannelLabel)) {
        if (std::shared_ptr<FileChannel> files = self->files ())
          files->attach (channel);
      } else if (label && g_str_equal (label, gv::terminal::kChannelLabel)) {
        if (std::shared_ptr<TerminalChannel> terminal = self->terminal_channel ())
          terminal->attach (channel);
      } else
        self->input_->attach (channel);
      g_free (label);
    }
  };
  g_signal_connect_data (
      webrtcbin, "on-ice-candidate",
      G_CALLBACK (
          +static_cast<void (*) (GstElement *, guint, const gchar *, gpointer)> (on_candidate)),
      weak (), release, (GConnectFlags) 0);
  g_signal_connect_data (
      webrtcbin, "notify::connection-state",
      G_CALLBACK (+static_cast<void (*) (GstElement *, GParamSpec *, gpointer)> (on_state)),
      weak (), release, (GConnectFlags) 0);
  g_signal_connect_data (
      webrtcbin, "on-data-channel",
      G_CALLBACK (+static_cast<void (*) (GstElement *, GObject *, gpointer)> (on_channel)), weak (),
      release, (GConnectFlags) 0);
  /* The viewer's RTCP is checked before webrtcbin's RTP session reads it
   * (gvrtcpguard.h: GStreamer 1.22 reads some malformed packets past
   * their end). */
  std::shared_ptr<RtcpFilter> rtcp_filter = RtcpFilter::attach (webrtcbin, peer_);
  {
    std::lock_guard<std::mutex> guard (stats_lock_);
    rtcp_filter_ = rtcp_filter;
  }
  gst_bin_add (host_.bin (), webrtcbin);
  return webrtcbin;
}

/* The branches' elements play; audio's take their pad of the shared tee. */
void Viewer::start_branches ()
{
  std::vector<Branch> branches;
  {
    std::lock_guard<std::mutex> guard (lock_);
    branches = branches_;
  }
  for (Branch &branch : branches) {
    for (auto it = branch.elements.rbegin (); it != branch.elements.rend (); ++it)
      gst_element_sync_state_with_parent (*it);
    if (branch.kind == MediaKind::Audio) {
      branch.tee_pad = gst_element_request_pad_simple (branch.tee, "src_%u");
      GstPad *qsink = gst_element_get_static_pad (branch.elements.front (), "sink");
      gst_pad_link (branch.tee_pad, qsink);
      gst_object_unref (qsink);
    }
  }
  std::lock_guard<std::mutex> guard (lock_);
  branches_ = branches;
}

void Viewer::do_start (std::vector<StreamFeed> &feeds)
{
  {
    auto files = std::make_shared<FileChannel> (
        host_.download_dir (), FileLimits (), GST_OBJECT (host_.log_object ()),
        FileChannel::Callbacks{
            [this] () { return (capabilities_.load () & GV_CAPABILITY_FILE) != 0; },
            [this] (const FileEvent &e) { host_.file_event (peer_, name_, e); },
            [this] (gsize want, guint64 in_flight) { return file_allowance (want, in_flight); },
            [this] (guint64 arrived) { file_pace_.on_arrived (arrived, g_get_monotonic_time ()); },
        });
    std::lock_guard<std::mutex> guard (lock_);
    files_ = std::move (files);
  }
  if (std::shared_ptr<Terminal> shared_terminal = host_.terminal ()) {
    auto terminal =
        std::make_shared<TerminalChannel> (peer_, shared_terminal, GST_OBJECT (host_.log_object ()),
                                           [this] () { return capabilities (); });
    std::lock_guard<std::mutex> guard (lock_);
    terminal_ = std::move (terminal);
  }
  BandwidthEstimator::Bounds bounds;
  bounds.max_bps = host_.max_bitrate_bps ();
  /* Start at the host's bitrate: on a LAN nothing changes, on a narrow link
   * the first over-use or heavy loss brings it down within a second or two.
   * (Half of it, with a probe to climb, fitted a 1 Mbit/s link 1 s sooner,
   * but under 5 % random loss the estimate holds and nothing probes: the
   * viewer stayed at half the bitrate, at 15 frames/s.) */
  bounds.start_bps = bounds.max_bps;
  bounds.min_bps = MIN (bounds.min_bps, bounds.max_bps);
  estimator_ = std::make_unique<BandwidthEstimator> (bounds);
  prober_ = std::make_unique<RtxProber> (host_.log_object ());
  GST_INFO_OBJECT (host_.log_object (), "adding viewer %s (%s)%s", peer_.c_str (), name_.c_str (),
                   answering_ ? ", answering its offer" : "");
  GstElement *webrtcbin = make_webrtcbin ();
  if (!webrtcbin)
    return;
  if (answering_) {
    start_answering (webrtcbin, feeds);
    return;
  }

  for (const StreamFeed &feed : feeds)
    add_branch (webrtcbin, feed);

  /* The offer is made before the first buffer reaches webrtcbin: give each
   * transceiver its stream's fixed caps, or it offers the payloader's
   * template ranges. Transceivers come in the order of the pads. */
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (webrtcbin, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len && i < feeds.size (); i++) {
    GstCaps *prefs = gst_caps_copy (feeds[i].caps);
    for (guint n = 0; n < gst_caps_get_size (prefs); n++)
      gst_structure_remove_fields (gst_caps_get_structure (prefs, n), "ssrc", "timestamp-offset",
                                   "seqnum-offset", nullptr);
    if (feeds[i].kind == MediaKind::Video)
      video_codecs_ = feeds[i].codecs;
    GstWebRTCRTPTransceiver *trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
    g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  "codec-preferences", prefs, nullptr);
    /* Video losses are resent (NACK, RTX) rather than repaired with a new
     * keyframe for everyone. */
    if (feeds[i].kind == MediaKind::Video)
      g_object_set (trans, "do-nack", TRUE, nullptr);
    gst_caps_unref (prefs);
  }
  if (transceivers)
    g_array_unref (transceivers);

  gst_element_sync_state_with_parent (webrtcbin);
  start_branches ();
  GObject *channel = nullptr;
  GstStructure *opts = gst_structure_new ("opts", "ordered", G_TYPE_BOOLEAN, TRUE, nullptr);
  g_signal_emit_by_name (webrtcbin, "create-data-channel", gv::nav::kChannelLabel, opts, &channel);
  /* The assistance channel: ordered and reliable too (the default), its
   * own so a long chat line never holds input back. */
  GObject *assist_channel = nullptr;
  g_signal_emit_by_name (webrtcbin, "create-data-channel", gv::assist::kChannelLabel, opts,
                         &assist_channel);
  /* File transfer: its own channel too, so a file's chunks never hold a
   * chat line back (gvfilejson.h). */
  GObject *file_channel = nullptr;
  g_signal_emit_by_name (webrtcbin, "create-data-channel", gv::files::kChannelLabel, opts,
                         &file_channel);
  /* The shared terminal: its own channel, so a burst of output never holds
   * input or chat back (gvterminaljson.h). */
  std::shared_ptr<TerminalChannel> terminal = terminal_channel ();
  GObject *terminal_channel = nullptr;
  if (terminal)
    g_signal_emit_by_name (webrtcbin, "create-data-channel", gv::terminal::kChannelLabel, opts,
                           &terminal_channel);
  gst_structure_free (opts);
  {
    std::lock_guard<std::mutex> guard (lock_);
    webrtcbin_ = webrtcbin;
  }
  if (channel) {
    input_->attach (channel);
    g_object_unref (channel);
  }
  if (assist_channel) {
    assist_->attach (assist_channel);
    g_object_unref (assist_channel);
  }
  if (file_channel) {
    if (std::shared_ptr<FileChannel> files = this->files ())
      files->attach (file_channel);
    g_object_unref (file_channel);
  }
  if (terminal_channel) {
    terminal->attach (terminal_channel);
    g_object_unref (terminal_channel);
  }

  GstPromise *promise = gst_promise_new_with_change_func (
      [] (GstPromise *p, gpointer data) {
        GstWebRTCSessionDescription *offer = nullptr;
        if (gst_promise_wait (p) == GST_PROMISE_RESULT_REPLIED && gst_promise_get_reply (p))
          gst_structure_get (gst_promise_get_reply (p), "offer",
                             GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
        gst_promise_unref (p);
        ViewerPtr self = lock (data);
        if (!self) {
          if (offer)
            gst_webrtc_session_description_free (offer);
          return;
        }
        auto shared = std::shared_ptr<GstWebRTCSessionDescription> (
            offer, [] (GstWebRTCSessionDescription *d) {
              if (d)
                gst_webrtc_session_description_free (d);
            });
        self->queue_.post ([self, shared] () { self->offer_created (shared.get ()); });
      },
      weak (), [] (gpointer d) { release (d); });
  g_signal_emit_by_name (webrtcbin, "create-offer", nullptr, promise);
}

/* H.264 (payload type `h264_pt`, -1: not offered) is offered as
 * constrained baseline level 3.1 whatever level the encoder picked:
 * browsers look for 42e01f. */
static std::string offer_text (const GstWebRTCSessionDescription *offer, int h264_pt)
{
  gchar *raw = gst_sdp_message_as_text (offer->sdp);
  std::string text = raw;
  g_free (raw);
  static const std::string key = "profile-level-id=";
  if (h264_pt < 0)
    return text;
  bool found = false;
  for (size_t at = text.find (key); at != std::string::npos; at = text.find (key, at + key.size ()))
    if (at + key.size () + 6 <= text.size ()) {
      text.replace (at + key.size (), 6, "42e01f");
      found = true;
    }
  /* Offered from our codec preferences, which leave the profile out (each
   * layer's encoder states its own level): say constrained baseline. */
  const std::string fmtp = "a=fmtp:" + std::to_string (h264_pt) + " ";
  size_t at = text.find (fmtp);
  if (!found && at != std::string::npos)
    text.insert (at + fmtp.size (), key + "42e01f;");
  return text;
}

void Viewer::offer_created (GstWebRTCSessionDescription *offer)
{
  GstElement *webrtcbin = ref_webrtcbin ();
  if (!offer || !webrtcbin) {
    GST_WARNING_OBJECT (host_.log_object (), "no offer for viewer %s", peer_.c_str ());
    if (webrtcbin)
      gst_object_unref (webrtcbin);
    return;
  }
  /* Every codec offered gets its retransmissions, not only the first. */
  std::vector<guint> pts;
  for (size_t slot = 0; slot < video_codecs_.size (); slot++)
    pts.push_back (slot_payload_type ((int) slot));
  add_missing_rtx (offer->sdp, pts);
  g_signal_emit_by_name (webrtcbin, "set-local-description", offer, nullptr);
  gst_object_unref (webrtcbin);
  int h264_pt = -1;
  for (size_t slot = 0; slot < video_codecs_.size (); slot++)
    if (video_codecs_[slot] == GV_WEBRTC_SINK_CODEC_H264)
      h264_pt = (int) slot_payload_type ((int) slot);
  std::string text = offer_text (offer, h264_pt);
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text (text.c_str (), &sdp);
  GstWebRTCSessionDescription *sent =
      gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  host_.send_sdp (peer_, sent);
  gst_webrtc_session_description_free (sent);
}

void Viewer::connection_state_changed (GstWebRTCPeerConnectionState state)
{
  GST_DEBUG_OBJECT (host_.log_object (), "viewer %s connection state %d", peer_.c_str (), state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    {
      std::lock_guard<std::mutex> guard (stats_lock_);
      connected_ = true;
    }
    /* From now on the viewer gets media, starting with a fresh keyframe. */
    media_flowing_ = true;
    if (layer_index_now () >= 0)
      host_.request_keyframe (layer_index_now ());
    GstElement *webrtcbin = prober_ ? ref_webrtcbin () : nullptr;
    if (webrtcbin) {
      prober_->prepare (webrtcbin);
      for_each_element_made_by (GST_BIN (webrtcbin), "rtprtxsend", [this] (GstElement *e) {
        stale_retransmissions_->attach (e);
        return false; /* one per bundled session */
      });
      gst_object_unref (webrtcbin);
    }
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    GST_INFO_OBJECT (host_.log_object (), "connection to viewer %s failed", peer_.c_str ());
    host_.failed (peer_);
  }
}

void Viewer::set_remote_description (GstWebRTCSessionDescription *answer)
{
  auto shared = std::shared_ptr<GstWebRTCSessionDescription> (
      gst_webrtc_session_description_copy (answer),
      [] (GstWebRTCSessionDescription *d) { gst_webrtc_session_description_free (d); });
  queue_.post ([self = shared_from_this (), shared] () {
    if (self->answering_) {
      self->offer_received (shared);
      return;
    }
    GstElement *webrtcbin = self->ref_webrtcbin ();
    if (!webrtcbin)
      return;
    if (shared->type != GST_WEBRTC_SDP_TYPE_ANSWER)
      GST_WARNING_OBJECT (self->host_.log_object (),
                          "viewer %s sent an offer; the host offers, ignoring",
                          self->peer_.c_str ());
    else
      g_signal_emit_by_name (webrtcbin, "set-remote-description", shared.get (), nullptr);
    gst_object_unref (webrtcbin);
    if (shared->type == GST_WEBRTC_SDP_TYPE_ANSWER)
      self->choose_codec (shared.get ());
  });
}

/* The first of our payload types in the answer's video section is the
 * codec the viewer gets (JSEP: the answerer lists what it takes, best
 * first); a rejected section (port 0) or none of ours: no common codec. */
void Viewer::choose_codec (const GstWebRTCSessionDescription *answer)
{
  if (video_codecs_.empty () || codec_slot_ >= 0)
    return;
  std::vector<guint> ours;
  for (size_t s = 0; s < video_codecs_.size (); s++)
    ours.push_back (slot_payload_type ((int) s));
  const int pt = answer_video_payload (answer->sdp, ours);
  int slot = -1;
  for (size_t s = 0; s < ours.size (); s++)
    if ((int) ours[s] == pt)
      slot = (int) s;
  use_codec (slot);
}

/* The viewer gets codec `slot` (-1: none, no video): its payloader, the
 * host told, the codec's full-size layer. */
void Viewer::use_codec (int slot)
{
  const char *codec = slot >= 0 ? encoding_name (video_codecs_[slot]) : nullptr;
  {
    std::lock_guard<std::mutex> guard (stats_lock_);
    codec_ = codec ? codec : "none";
  }
  if (slot < 0) {
    GST_WARNING_OBJECT (host_.log_object (),
                        "viewer %s (%s) accepts none of the video codecs offered: no video",
                        peer_.c_str (), name_.c_str ());
  } else {
    GST_INFO_OBJECT (host_.log_object (), "viewer %s (%s) gets %s%s, payload type %u",
                     peer_.c_str (), name_.c_str (), codec, slot > 0 ? " (the fallback codec)" : "",
                     video_pt_ ? video_pt_ : slot_payload_type (slot));
    if (attach_payloader (slot))
      codec_slot_ = slot;
  }
  host_.codec_chosen (peer_, name_, codec);
  if (codec_slot_ >= 0)
    if (std::shared_ptr<LayerSwitch> layers = this->layers ())
      layers->switch_to (layer_index (codec_slot_, 0)); /* everyone starts at full size */
}

/* funnel -> payloader (the chosen codec, its payload type) -> queue. */
bool Viewer::attach_payloader (int slot)
{
  GstElement *payloader =
      make_video_payloader (video_codecs_[slot], video_pt_ ? video_pt_ : slot_payload_type (slot),
                            video_twcc_id_, GST_ELEMENT (host_.bin ()));
  if (!payloader)
    return false;
  std::lock_guard<std::mutex> guard (lock_);
  for (Branch &branch : branches_) {
    if (branch.kind != MediaKind::Video || branch.elements.size () != 2)
      continue;
    GstElement *funnel = branch.elements.front (), *queue = branch.elements.back ();
    gst_bin_add (host_.bin (), payloader);
    if (!gst_element_link_many (funnel, payloader, queue, nullptr)) {
      GST_ERROR_OBJECT (host_.log_object (), "cannot link viewer %s's %s payloader", peer_.c_str (),
                        encoding_name (video_codecs_[slot]));
      gst_bin_remove (host_.bin (), payloader);
      return false;
    }
    branch.elements.insert (branch.elements.begin () + 1, payloader);
    stale_retransmissions_->watch_payloader (payloader);
    gst_element_sync_state_with_parent (payloader);
    return true;
  }
  gst_object_unref (gst_object_ref_sink (payloader));
  return false;
}

void Viewer::add_remote_candidate (guint mline, const std::string &candidate)
{
  queue_.post ([self = shared_from_this (), mline, candidate] () {
    GstElement *webrtcbin = self->ref_webrtcbin ();
    if (!webrtcbin)
      return;
    /* mDNS names resolve on this thread's context, the queue's. */
    gv::webrtc::add_remote_candidate (webrtcbin, mline, candidate.c_str (),
                                      GST_OBJECT (self->host_.log_object ()));
    gst_object_unref (webrtcbin);
  });
}

/* ---- video layers ---- */

void Viewer::switch_layer (int layer)
{
  queue_.post ([self = shared_from_this (), layer] () {
    GstElement *webrtcbin = self->ref_webrtcbin ();
    std::shared_ptr<LayerSwitch> layers = self->layers ();
    const int slot = self->codec_slot_;
    if (webrtcbin && layers && slot >= 0)
      layers->switch_to (layer_index (slot, layer));
    if (webrtcbin)
      gst_object_unref (webrtcbin);
  });
}

std::shared_ptr<LayerSwitch> Viewer::layers () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return layer_switch_;
}

int Viewer::layer_index_now () const
{
  std::shared_ptr<LayerSwitch> layers = this->layers ();
  return layers ? layers->target () : -1;
}

int Viewer::layer () const
{
  return layer_size (std::max (layer_index_now (), 0));
}

/* ---- stop ---- */

void Viewer::stop (std::function<void ()> done)
{
  queue_.post ([self = shared_from_this (), done = std::move (done)] () {
    self->do_stop ();
    done ();
  });
}

void Viewer::do_stop ()
{
  queue_.close ();
  input_->close ();
  assist_->close ();
  if (std::shared_ptr<FileChannel> files = this->files ())
    files->close ();
  if (std::shared_ptr<TerminalChannel> terminal = terminal_channel ())
    terminal->close ();
  media_flowing_ = false;
  GstElement *webrtcbin;
  std::vector<Branch> branches;
  {
    std::lock_guard<std::mutex> guard (lock_);
    webrtcbin = webrtcbin_;
    webrtcbin_ = nullptr;
    branches.swap (branches_);
  }
  if (std::shared_ptr<LayerSwitch> layers = this->layers ())
    layers->stop ();
  if (prober_)
    prober_->detach ();
  stale_retransmissions_->detach ();
  for (Branch &branch : branches) {
    if (branch.tee_pad) {
      GstPad *peer = gst_pad_get_peer (branch.tee_pad);
      if (peer) {
        gst_pad_unlink (branch.tee_pad, peer);
        gst_object_unref (peer);
      }
      gst_element_release_request_pad (branch.tee, branch.tee_pad);
      gst_object_unref (branch.tee_pad);
    }
    if (branch.tee)
      gst_object_unref (branch.tee);
  }
  std::vector<GstElement *> parts;
  if (webrtcbin)
    parts.push_back (webrtcbin);
  for (Branch &branch : branches)
    parts.insert (parts.end (), branch.elements.begin (), branch.elements.end ());
  /* A viewer gone mid-file would wedge this queue below (gvwebrtcutils.h). */
  if (webrtcbin) {
    unblock_data_channels (GST_BIN (webrtcbin));
    forget_ice_state_watchers (webrtcbin);
  }
  for (GstElement *e : parts) {
    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_bin_remove (host_.bin (), e);
  }
  GST_INFO_OBJECT (host_.log_object (), "viewer %s removed", peer_.c_str ());
}

GstElement *Viewer::ref_webrtcbin () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return webrtcbin_ ? GST_ELEMENT (gst_object_ref (webrtcbin_)) : nullptr;
}

bool Viewer::owns (GstElement *element) const
{
  std::lock_guard<std::mutex> guard (lock_);
  if (element == webrtcbin_)
    return element != nullptr;
  for (const Branch &branch : branches_)
    for (GstElement *e : branch.elements)
      if (e == element)
        return true;
  return false;
}

/* ---- statistics ---- */

/* The monotonic clock webrtcbin's RTP sessions stamp packets with. */
static gint64 session_clock_now ()
{
  GstClock *clock = gst_system_clock_obtain ();
  GstClockTime now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return (gint64) MIN (now, (GstClockTime) G_MAXINT64);
}

/* Transport-wide congestion control feedback, as webrtcbin's RTP session
 * sends it upstream: every packet the viewer reported, when it was sent
 * and when (if) it arrived. Taken here: the shared encoder has no use for
 * it. */
GstPadProbeReturn Viewer::feedback_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);
  if (!s || !gst_structure_has_name (s, kTwccPacketsEvent))
    return GST_PAD_PROBE_OK;
  ViewerPtr self = lock (data);
  if (!self)
    return GST_PAD_PROBE_DROP;
  std::vector<BandwidthEstimator::PacketResult> packets = twcc_packet_results (s);
  self->queue_.post (
      [self, packets = std::move (packets)] () mutable { self->feedback (packets); });
  return GST_PAD_PROBE_DROP;
}

void Viewer::feedback (std::vector<BandwidthEstimator::PacketResult> &packets)
{
  if (!estimator_)
    return;
  estimator_->on_feedback (packets, session_clock_now ());
  publish_estimate ();
  pace_video ();
  pace_file ();
  follow_probes ();
}

/* On the queue, after each feedback: while the viewer's estimate limits
 * it (below the host's bitrate), its video leaves no faster than the
 * estimate times the sink's `pacing`, so a keyframe reaches a narrow link
 * spread out instead of overflowing its queue; otherwise unpaced. */
void Viewer::pace_video ()
{
  if (!pacer_)
    return;
  const guint64 estimate = estimator_->estimate_bps ();
  const double factor = host_.pacing ();
  const bool limited = estimate > 0 && estimate < estimator_->max_bps () * 95 / 100;
  const guint64 rate = factor > 0 && limited ? (guint64) (estimate * factor) : 0;
  if (rate == pace_bps_)
    return;
  pace_bps_ = rate;
  g_object_set (pacer_, "rate", rate, nullptr);
  GST_DEBUG_OBJECT (host_.log_object (), "viewer %s: video paced at %" G_GUINT64_FORMAT " kbit/s",
                    peer_.c_str (), rate / 1000);
}

/* Share of the estimator's over-use threshold at which a file backs off. */
static constexpr double kFileYieldTrend = 0.5;

/* On the queue, after each feedback: what the video's estimator says steers
 * a file going to this viewer. */
void Viewer::pace_file ()
{
  FilePace::Signal signal;
  /* The file backs off first: at half the delay trend that makes the
   * video's estimator declare over-use. */
  signal.congested =
      estimator_->usage () == BandwidthEstimator::Usage::Overuse ||
      estimator_->state () == BandwidthEstimator::State::Decrease ||
      estimator_->loss_fraction () >= 0.02 ||
      estimator_->delay_trend_ms () > kFileYieldTrend * estimator_->delay_threshold_ms ();
  signal.video_wants_more = estimator_->estimate_bps () < estimator_->max_bps () * 95 / 100;
  const gint64 now = g_get_monotonic_time ();
  file_pace_.on_signal (signal, now);
  GST_LOG_OBJECT (
      host_.log_object (),
      "viewer %s: file pace %" G_GUINT64_FORMAT " kbit/s (congested %d, video wants more %d)",
      peer_.c_str (), file_pace_.rate_bps (now) / 1000, signal.congested, signal.video_wants_more);
}

/* Under the file channel's lock (any thread): how much of a chunk may go;
 * when none, a pump is posted for when some may. */
gsize Viewer::file_allowance (gsize want, guint64 in_flight)
{
  const gint64 now = g_get_monotonic_time ();
  gsize n = file_pace_.allowance (want, in_flight, now);
  if (n > 0 || file_pump_due_.exchange (true))
    return n;
  guint delay_ms = (guint) CLAMP (file_pace_.wait_us (want, now) / 1000 + 1, 2, 200);
  queue_.post_after (delay_ms, [weak = weak_from_this ()] () {
    if (ViewerPtr self = weak.lock ()) {
      self->file_pump_due_ = false;
      if (std::shared_ptr<FileChannel> files = self->files ())
        files->pump ();
    }
  });
  return 0;
}

/* Bursts of a probe: kProbeBursts, evenly over its duration. */
static constexpr int kProbeBursts = 5;

/* On the queue, after each feedback: the last probe's result, and the next
 * probe when the plan wants one (gvprobeplan.h). */
void Viewer::follow_probes ()
{
  const gint64 now_us = g_get_monotonic_time ();
  const BandwidthEstimator::ProbeResult &result = estimator_->last_probe ();
  if (result.id != last_probe_id_) {
    last_probe_id_ = result.id;
    probe_plan_.finished (now_us, result.bps, result.saturated);
    GST_DEBUG_OBJECT (
        host_.log_object (),
        "viewer %s: probe at %" G_GUINT64_FORMAT " kbit/s, the link delivered %" G_GUINT64_FORMAT
        " kbit/s; estimate %" G_GUINT64_FORMAT " kbit/s",
        peer_.c_str (), result.target_bps / 1000, result.bps / 1000, estimate_bps_.load () / 1000);
    std::lock_guard<std::mutex> guard (stats_lock_);
    probes_carried_ = probe_plan_.succeeded ();
  }
  if (std::shared_ptr<LayerSwitch> layers = this->layers ()) {
    const guint64 moves = layers->moves ();
    if (moves != layer_moves_seen_)
      probe_plan_.hold (now_us);
    layer_moves_seen_ = moves;
  }
  if (estimator_->probing () || !media_flowing_ || !estimator_->twcc_active ())
    return;
  const bool calm = estimator_->state () != BandwidthEstimator::State::Decrease &&
                    estimator_->loss_fraction () < 0.02;
  /* What the viewer is sent now, as its feedback covers it (the stats'
   * bitrate looks 2 s back). Unknown at the start: no probe yet. */
  const double sending = (double) estimator_->sent_bps ();
  if (sending <= 0)
    return;
  const guint64 target =
      probe_plan_.next (now_us, estimator_->estimate_bps (), (guint64) sending,
                        host_.max_bitrate_bps (), calm, estimator_->ceiling_bps ());
  if (target == 0 || target <= sending)
    return;
  GST_DEBUG_OBJECT (host_.log_object (),
                    "viewer %s: probing at %" G_GUINT64_FORMAT " kbit/s (sending %.0f kbit/s)",
                    peer_.c_str (), target / 1000, sending / 1000);
  /* The extra bytes of one burst: what brings the viewer to the target
   * for one burst's time. */
  const guint duration_ms = probe_duration_ms (target, estimator_->average_packet_bytes ());
  const guint burst_ms = duration_ms / kProbeBursts;
  const guint64 bytes = (guint64) ((target - sending) * burst_ms / 1000 / 8);
  const gint64 start = session_clock_now ();
  estimator_->probe_sent (start, start + (gint64) (duration_ms + 5) * GST_MSECOND, target);
  probe_plan_.started (now_us);
  {
    std::lock_guard<std::mutex> guard (stats_lock_);
    probes_ = probe_plan_.sent ();
  }
  send_probe_burst (0, bytes, burst_ms);
}

void Viewer::send_probe_burst (int burst, guint64 bytes, guint gap_ms)
{
  GstElement *webrtcbin = ref_webrtcbin ();
  if (!webrtcbin)
    return;
  prober_->send (webrtcbin, bytes);
  gst_object_unref (webrtcbin);
  if (burst + 1 < kProbeBursts)
    queue_.post_after (gap_ms, [self = shared_from_this (), burst, bytes, gap_ms] () {
      self->send_probe_burst (burst + 1, bytes, gap_ms);
    });
}

void Viewer::receiver_report (double fraction_lost, double rtt_s)
{
  if (!estimator_ || estimator_->twcc_active ())
    return;
  estimator_->on_receiver_report (fraction_lost, rtt_s, session_clock_now ());
  publish_estimate ();
}

/* On the queue: the estimate for readers, and for the sink when it moved. */
void Viewer::publish_estimate ()
{
  guint64 bps = estimator_->estimate_bps ();
  {
    std::lock_guard<std::mutex> guard (stats_lock_);
    estimator_state_ = BandwidthEstimator::state_name (estimator_->state ());
    const auto &c = estimator_->counters ();
    feedback_ignored_ = c.packets_ignored + c.reports_ignored + c.rtt_ignored + c.times_ignored;
  }
  guint64 before = estimate_bps_.exchange (bps);
  /* Decreases and big steps up, for reading a trace of a bad link (the
   * network bench's --gst-debug gvwebrtcsink:5). */
  if (bps < before || bps > before + before / 4)
    GST_DEBUG_OBJECT (host_.log_object (),
                      "viewer %s: estimate %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                      " kbit/s (delay-based %" G_GUINT64_FORMAT ", loss-based %" G_GUINT64_FORMAT
                      ", received %" G_GUINT64_FORMAT ", sent %" G_GUINT64_FORMAT
                      " kbit/s, loss %.0f %%, delay trend %s)",
                      peer_.c_str (), before / 1000, bps / 1000,
                      estimator_->delay_based_bps () / 1000, estimator_->loss_based_bps () / 1000,
                      estimator_->received_bps () / 1000, estimator_->sent_bps () / 1000,
                      100 * estimator_->loss_fraction (),
                      BandwidthEstimator::usage_name (estimator_->usage ()));
  if (bps != before)
    host_.estimate_changed (peer_, bps);
}

/* On the queue, once a second: {"t":"link",...} to the viewer, its figures
 * as the sink's stats have them (no lock held while sending). */
void Viewer::send_link_report ()
{
  gv::nav::LinkReport link;
  link.estimate_bps = estimate_bps_;
  if (link.estimate_bps == 0)
    return; /* nothing measured yet: the viewer shows nothing rather than a guess */
  {
    std::lock_guard<std::mutex> guard (stats_lock_);
    link.bitrate_bps = (guint64) std::llround (bitrate_);
  }
  if (std::shared_ptr<LayerSwitch> layers = this->layers ())
    link.layer = layers->active () >= 0 ? layer_size (layers->active ()) : -1;
  input_->send (gv::nav::make_link_message (link));
  const char *feedback = "none";
  if (estimator_ && estimator_->twcc_active ())
    feedback = "twcc";
  else if (estimator_ && estimator_->counters ().receiver_reports > 0)
    feedback = "receiver-reports";
  host_.link_reported (peer_, name_, link.estimate_bps, link.layer, link.bitrate_bps, feedback);
}

/* The packets webrtcbin's retransmission senders (rtprtxsend) resent. */
static guint64 count_retransmissions (GstElement *webrtcbin)
{
  guint64 total = 0;
  for_each_element_made_by (GST_BIN (webrtcbin), "rtprtxsend", [&total] (GstElement *e) {
    guint packets = 0;
    g_object_get (e, "num-rtx-packets", &packets, nullptr);
    total += packets;
    return true;
  });
  return total;
}

void Viewer::sample_stats ()
{
  queue_.post ([self = shared_from_this ()] () {
    gint64 now = g_get_monotonic_time ();
    {
      std::lock_guard<std::mutex> guard (self->stats_lock_);
      auto &samples = self->byte_samples_;
      samples.emplace_back (now, self->bytes_sent_.load ());
      while (samples.size () > 2 && now - samples[1].first >= kBitrateWindowUs)
        samples.pop_front ();
      const auto &oldest = samples.front ();
      if (now > oldest.first)
        self->bitrate_ =
            (samples.back ().second - oldest.second) * 8.0 * G_USEC_PER_SEC / (now - oldest.first);
    }
    if (self->estimator_) {
      /* Without TWCC feedback, what was sent is the evidence an increase
       * needs. */
      guint64 sent = self->bytes_sent_;
      self->estimator_->on_sent (sent - self->sent_at_last_sample_, session_clock_now ());
      self->sent_at_last_sample_ = sent;
    }
    self->send_link_report ();
    GstElement *webrtcbin = self->ref_webrtcbin ();
    if (!webrtcbin)
      return;
    guint64 resent = count_retransmissions (webrtcbin);
    {
      std::lock_guard<std::mutex> guard (self->stats_lock_);
      self->packets_retransmitted_ = resent;
    }
    GstPromise *promise = gst_promise_new_with_change_func (
        [] (GstPromise *p, gpointer data) {
          ViewerPtr viewer = lock (data);
          if (viewer && gst_promise_wait (p) == GST_PROMISE_RESULT_REPLIED &&
              gst_promise_get_reply (p))
            viewer->stats_received (gst_promise_get_reply (p));
        },
        self->weak (), [] (gpointer d) { release (d); });
    g_signal_emit_by_name (webrtcbin, "get-stats", nullptr, promise);
    gst_promise_unref (promise);
    gst_object_unref (webrtcbin);
  });
}

/* webrtcbin's thread: the receiver-report figures of every stream. */
void Viewer::stats_received (const GstStructure *stats)
{
  double rtt = -1, fraction_lost = -1;
  gint64 lost = 0;
  guint64 nacks = 0;
  auto visit = [&] (const GValue *value) {
    if (!GST_VALUE_HOLDS_STRUCTURE (value))
      return;
    const GstStructure *s = gst_value_get_structure (value);
    GstWebRTCStatsType type;
    if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr))
      return;
    guint nack_count = 0;
    if (type == GST_WEBRTC_STATS_OUTBOUND_RTP &&
        gst_structure_get_uint (s, "nack-count", &nack_count))
      nacks += nack_count;
    if (type != GST_WEBRTC_STATS_REMOTE_INBOUND_RTP)
      return;
    gst_structure_get_double (s, "round-trip-time", &rtt);
    gst_structure_get_double (s, "fraction-lost", &fraction_lost);
    /* A gint64 since GStreamer 1.22 (a gint before): read either. RFC 3550's
     * cumulative loss goes below zero with duplicates, and a GStreamer
     * receiver reports -1 on a clean link (it counts a packet from before the
     * sequence number it starts from): none lost, for the user. */
    gint64 lost64 = 0;
    gint lost32 = 0;
    if (gst_structure_get_int64 (s, "packets-lost", &lost64))
      lost += MAX (lost64, 0);
    else if (gst_structure_get_int (s, "packets-lost", &lost32))
      lost += MAX (lost32, 0);
  };
  gst_structure_foreach (
      stats,
      [] (GQuark, const GValue *value, gpointer data) -> gboolean {
        (*static_cast<decltype (visit) *> (data)) (value);
        return TRUE;
      },
      &visit);
  {
    std::lock_guard<std::mutex> guard (stats_lock_);
    rtt_ = rtt;
    packets_lost_ = lost;
    nacks_received_ = nacks;
  }
  if (fraction_lost >= 0)
    queue_.post ([self = shared_from_this (), fraction_lost, rtt] () {
      self->receiver_report (fraction_lost, rtt > 0 ? rtt : 0);
    });
}

ViewerStats Viewer::stats () const
{
  ViewerStats out;
  out.frames_sent = frames_sent_;
  out.audio_packets_sent = audio_packets_sent_;
  out.bytes_sent = bytes_sent_;
  out.input = input_->counters ();
  out.assist = assist_->counters ();
  if (std::shared_ptr<FileChannel> files = this->files ())
    out.files_refused = files->refused ();
  if (std::shared_ptr<TerminalChannel> terminal = terminal_channel ())
    out.terminal = terminal->counters ();
  out.file_pace = file_pace_.rate_bps (g_get_monotonic_time ());
  out.file_pace_cuts = file_pace_.cuts ();
  std::lock_guard<std::mutex> guard (stats_lock_);
  out.connected = connected_;
  out.bitrate = bitrate_;
  out.rtt = rtt_;
  out.packets_lost = packets_lost_;
  out.nacks_received = nacks_received_;
  out.packets_retransmitted = packets_retransmitted_;
  out.estimated_bitrate = estimate_bps_;
  out.estimator_state = estimator_state_;
  out.feedback_ignored = feedback_ignored_;
  out.probes = probes_;
  out.probes_carried = probes_carried_;
  out.retransmissions_skipped = stale_retransmissions_->skipped ();
  out.codec = codec_;
  out.rtcp_refused = rtcp_filter_ ? rtcp_filter_->refused () : 0;
  if (std::shared_ptr<LayerSwitch> layers = this->layers ()) {
    out.layer = layers->active () >= 0 ? layer_size (layers->active ()) : -1;
    out.layer_moves = layers->moves ();
  }
  return out;
}

} // namespace gv::webrtc
