/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One viewer of gvwebrtcsink: its webrtcbin, one branch per stream (a tee
 * pad of the stream's encoder -> queue -> webrtcbin sink pad), the
 * negotiation, its input and assistance channels and its statistics.
 *
 * Ownership runs one way: the sink owns its viewers, a viewer owns its
 * webrtcbin and branches. A viewer reaches back only through ViewerHost,
 * which the sink implements; encoders are only seen as the StreamFeeds the
 * viewer subscribes to. Every change of a viewer's state runs on its
 * TaskQueue; webrtcbin's callbacks only post to it.
 */
#pragma once

#include "gvassistchannel.h"
#include "gvfilechannel.h"
#include "gvfilepace.h"
#include "gvbandwidthestimator.h"
#include "gvinputchannel.h"
#include "gvlayerswitch.h"
#include "gvprobeplan.h"
#include "gvremoteoffer.h"
#include "gvrtcpfilter.h"
#include "gvrtxprober.h"
#include "gvsignaller.h"
#include "gvstaleretransmissions.h"
#include "gvstreamencoder.h"
#include "gvtaskqueue.h"
#include "gvterminalchannel.h"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gv::webrtc {

/* gvwebrtcsink's `pacing` by default: off. Measured on the network bench
 * (tests/bench/network/README.md, "Pacing"), 1 doubled the latency on a
 * 1 Mbit/s link and 2 did not shorten the 0.5 Mbit/s dip's freezes
 * beyond the runs' spread. */
inline constexpr double kDefaultPacing = 0;

class Viewer;
using ViewerPtr = std::shared_ptr<Viewer>;

/* What a viewer asks of the element that owns it. Called on the viewer's
 * task queue unless said otherwise. */
class ViewerHost {
public:
  virtual ~ViewerHost () = default;
  virtual GstBin *bin () = 0;
  virtual GObject *log_object () = 0;
  /* The ICE servers and whether to gather on loopback only. */
  virtual void ice_settings (GStrv *stun, GStrv *turn, bool *loopback) = 0;
  virtual void send_sdp (const std::string &peer, const GstWebRTCSessionDescription *offer) = 0;
  virtual void send_ice (const std::string &peer, guint mline, const std::string &candidate) = 0;
  /* Video layers (StreamEncoder): start or stop watching one (its tee of
   * encoded frames, a reference), ask it for a keyframe. */
  virtual GstElement *watch_layer (int layer) = 0;
  virtual void unwatch_layer (int layer) = 0;
  virtual void request_keyframe (int layer) = 0;
  /* The peer connection failed: the viewer should go. */
  virtual void failed (const std::string &peer) = 0;
  /* The viewer's offer cannot be answered (`reason`, for the viewer). */
  virtual void refuse_offer (const std::string &peer, const std::string &reason) = 0;
  /* From the input channel's thread. */
  virtual void video_size (int &width, int &height) = 0;
  virtual void navigate (GstEvent *event) = 0;
  virtual void control_requested (const std::string &peer) = 0;
  /* From the assistance channel's thread: a chat line of a viewer that
   * has the `chat` capability (valid text, gvassistjson.h). */
  virtual void chat_received (const std::string &peer, const std::string &name,
                              const std::string &text) = 0;
  /* From the assistance channel's thread: whole clipboard content of a
   * viewer that has the `clipboard` capability. */
  virtual void clipboard_received (const std::string &peer, const std::string &mime,
                                   const std::string &bytes) = 0;
  /* From the assistance channel's thread: a "list-sources" or "share" of
   * a viewer that has the `source` capability; the answer to send it back
   * ("" for none). */
  virtual std::string source_request (const std::string &peer, const std::string &name,
                                      const gv::assist::Message &request) = 0;
  /* The first messages for a viewer whose assistance channel just opened
   * (what is shared now, the pointer). */
  virtual std::vector<std::string> greeting (const std::string &peer) = 0;
  /* Where files from viewers land (made when the first one comes). */
  virtual std::string download_dir () = 0;
  /* From the file channel's thread: what a transfer to or from the viewer
   * did (gvfiletransfer.h). */
  virtual void file_event (const std::string &peer, const std::string &name,
                           const FileEvent &event) = 0;
  /* The viewer's bandwidth estimate changed (bit/s). */
  virtual void estimate_changed (const std::string &peer, guint64 bps) = 0;
  /* Once a second, what the viewer was told of its link ({"t":"link"}), and
   * what its estimate is fed by: "twcc", "receiver-reports" or "none". */
  virtual void link_reported (const std::string &peer, const std::string &name,
                              guint64 estimate_bps, int layer, guint64 bitrate_bps,
                              const char *feedback) = 0;
  /* The most the host sends a viewer (its configured bitrate), bit/s. */
  virtual guint64 max_bitrate_bps () = 0;
  /* A limited viewer's video leaves at most this many times its estimate
   * (the sink's `pacing`); 0: not paced. */
  virtual double pacing () = 0;
  /* The viewer's answer picked a video codec (its RTP encoding name), or
   * accepted none of those offered (nullptr). */
  virtual void codec_chosen (const std::string &peer, const std::string &name,
                             const char *codec) = 0;
  /* The shared terminal (gvterminal.h), or nullptr when the host shares
   * none: a viewer started with one gets a "terminal" channel to it. */
  virtual std::shared_ptr<Terminal> terminal () = 0;
};

/* A viewer's figures, read without waiting and without changing anything. */
struct ViewerStats {
  bool connected = false;
  guint64 frames_sent = 0; /* video frames (RTP marker bits) */
  guint64 audio_packets_sent = 0;
  guint64 bytes_sent = 0; /* video and audio RTP */
  double bitrate = 0;     /* bit/s over the last sampling window */
  double rtt = -1;        /* seconds, from the viewer's receiver reports; -1: none yet */
  gint64 packets_lost = 0;
  guint64 nacks_received = 0;          /* the viewer's requests to resend a packet */
  guint64 packets_retransmitted = 0;   /* packets resent (RTX) */
  guint64 estimated_bitrate = 0;       /* what the viewer's link takes, bit/s; 0: not yet */
  std::string estimator_state;         /* "increase", "hold", "decrease" */
  guint64 feedback_ignored = 0;        /* congestion feedback refused as malformed */
  guint64 probes = 0;                  /* bandwidth probes sent (gvprobeplan.h) */
  guint64 probes_carried = 0;          /* ... that the link carried */
  guint64 retransmissions_skipped = 0; /* asked for, older than a keyframe sent since */
  int layer = -1;                      /* the video layer (size) it sees; -1: none yet */
  std::string codec; /* its video codec ("VP8"...); "none"; "": not answered yet */
  guint64 layer_moves = 0;
  guint64 rtcp_refused = 0; /* its RTCP compound packets dropped unread (gvrtcpfilter.h) */
  InputCounters input;
  AssistCounters assist;
  guint64 files_refused = 0;  /* files offered without the `file` capability */
  guint64 file_pace = 0;      /* bit/s a file to this viewer may take now; 0: not limited */
  guint64 file_pace_cuts = 0; /* times the file's rate halved for the video */
  TerminalCounters terminal;  /* its terminal channel (all 0 without a terminal) */
};

class Viewer : public std::enable_shared_from_this<Viewer> {
public:
  Viewer (std::string peer, std::string name, GvCapabilities capabilities, ViewerHost &host,
          TaskThread &thread);
  ~Viewer ();
  Viewer (const Viewer &) = delete;
  Viewer &operator= (const Viewer &) = delete;

  const std::string &peer () const { return peer_; }
  const std::string &name () const { return name_; }
  GvCapabilities capabilities () const { return (GvCapabilities) capabilities_.load (); }
  /* Returns the previous set. Any thread. */
  GvCapabilities set_capabilities (GvCapabilities capabilities);
  /* Sends `text` (a host -> viewer message of gvassistjson.h) on the
   * viewer's assistance channel once it is open. Any thread, never waits. */
  void send_assist (const std::string &text) { assist_->send (text); }
  /* One input message that came over the signalling connection (the
   * fallback): checked by the input channel like its own. Any thread. */
  void fallback_input (const std::string &text) { input_->handle_text (text); }
  /* Offers the file at `path` to the viewer (its file channel, once open). */
  bool send_file (const std::string &path, GError **error)
  {
    std::shared_ptr<FileChannel> files = this->files ();
    if (files)
      return files->offer (path, error);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "the viewer is not connected yet");
    return false;
  }

  /* Posted to the viewer's queue: */
  /* Makes the webrtcbin and its branches from `feeds`, and offers. */
  /* Before start (): this viewer sends the offer (a WHEP player) and the
   * host answers it (gvviewer-answer.cpp); the webrtcbin is made once both
   * the streams and the offer are there. Such a viewer has no data
   * channels. */
  void expect_offer () { answering_ = true; }
  void start (std::vector<StreamFeed> feeds);
  /* The viewer's answer to our offer, or its own offer (expect_offer). */
  void set_remote_description (GstWebRTCSessionDescription *answer);
  void add_remote_candidate (guint mline, const std::string &candidate);
  /* Moves the viewer to video layer (size) `layer` of its codec, at the
   * next keyframe. */
  void switch_layer (int layer);
  /* Samples the byte counters for the bitrate, asks webrtcbin for the
   * receiver-report figures (answered later, on webrtcbin's thread) and
   * tells the viewer its link (estimate, layer, bitrate) on its input
   * channel, once there is an estimate. */
  void sample_stats ();
  /* Removes the webrtcbin and branches from the bin; the last task: later
   * ones are dropped. `done` runs after, on the queue. */
  void stop (std::function<void ()> done);

  /* Any thread: */
  ViewerStats stats () const;
  /* What the viewer's link takes, bit/s; 0 before the first estimate. */
  guint64 estimate_bps () const { return estimate_bps_; }
  /* The video layer (size: 0 full, 1 half, 2 quarter) the viewer sees or
   * is moving to (0 before it starts). */
  int layer () const;
  /* The codec slot its answer picked (gvstreamencoder.h); -1 before the
   * answer, or when it took no video codec. */
  int codec_slot () const { return codec_slot_; }
  /* The sink's bookkeeping for moves up (gvlayerplan.h), under its lock. */
  LayerFit layer_fit;
  /* Whether `element` (a direct child of the sink's bin) is one of ours. */
  bool owns (GstElement *element) const;

private:
  /* One stream's part of the viewer's pipeline: audio, a tee pad into a
   * queue; video, a funnel of layers into the viewer's payloader and a
   * queue. */
  struct Branch {
    MediaKind kind = MediaKind::Video;
    std::vector<GstElement *> elements; /* in the bin, first to last */
    GstPad *tee_pad = nullptr;          /* audio */
    GstElement *tee = nullptr;          /* audio; a reference */
  };
  /* Video: the payloader, made once the answer picked the codec. */
  void choose_codec (const GstWebRTCSessionDescription *answer);
  void use_codec (int slot);
  bool attach_payloader (int slot);
  /* The layer (across codecs) the viewer sees or moves to; -1: none. */
  int layer_index_now () const;

  void do_start (std::vector<StreamFeed> &feeds);
  GstElement *make_webrtcbin ();
  void start_branches ();
  void add_branch (GstElement *webrtcbin, const StreamFeed &feed);
  /* gvviewer-answer.cpp: the viewer's offer answered */
  void offer_received (std::shared_ptr<GstWebRTCSessionDescription> offer);
  void start_answering (GstElement *webrtcbin, const std::vector<StreamFeed> &feeds);
  void answer_created (GstWebRTCSessionDescription *answer);
  void send_answer ();
  void refuse_offer (const std::string &reason);
  void offer_created (GstWebRTCSessionDescription *offer);
  void connection_state_changed (GstWebRTCPeerConnectionState state);
  void do_stop ();
  GstElement *ref_webrtcbin () const;
  std::shared_ptr<LayerSwitch> layers () const;
  void stats_received (const GstStructure *stats);
  static GstPadProbeReturn feedback_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  void feedback (std::vector<BandwidthEstimator::PacketResult> &packets);
  void receiver_report (double fraction_lost, double rtt_s);
  void publish_estimate ();
  void follow_probes ();
  void send_probe_burst (int burst, guint64 bytes, guint gap_ms);
  void send_link_report ();
  template <MediaKind kind>
  static GstPadProbeReturn count_sent (GstPad *, GstPadProbeInfo *info, gpointer self);
  /* A weak pointer to this viewer for a callback's user data: callbacks
   * never keep a viewer alive. */
  gpointer weak ();
  static void release (gpointer data, GClosure * = nullptr);
  static ViewerPtr lock (gpointer data);

  const std::string peer_;
  const std::string name_;
  ViewerHost &host_;
  TaskQueue queue_;
  std::atomic<guint> capabilities_;
  std::shared_ptr<InputChannel> input_;
  std::shared_ptr<AssistChannel> assist_;
  std::shared_ptr<FileChannel> files_; /* under lock_; made in do_start */
  std::shared_ptr<FileChannel> files () const;
  std::shared_ptr<TerminalChannel> terminal_; /* under lock_; made in do_start with a terminal */
  std::shared_ptr<TerminalChannel> terminal_channel () const;
  /* A file to the viewer yields to its video (gvfilepace.h): steered by
   * the estimator after each feedback; a pump is due when the pace held
   * the file back. */
  FilePace file_pace_;
  std::atomic<bool> file_pump_due_{ false };
  gsize file_allowance (gsize want, guint64 in_flight);
  void pace_file ();
  /* Video: the pacer in front of webrtcbin (a reference; set on the queue
   * in do_start) and the rate it was last given. */
  GstElement *pacer_ = nullptr;
  guint64 pace_bps_ = 0;
  void pace_video ();
  /* Media reaches the webrtcbin only once it is connected: what came before
   * would arrive stale. Read by the branches' probes. */
  std::atomic<bool> media_flowing_{ false };

  /* On the queue only (read under lock_ by owns ()). */
  mutable std::mutex lock_;
  GstElement *webrtcbin_ = nullptr;
  std::vector<Branch> branches_;
  std::vector<GvWebRTCSinkCodec> video_codecs_; /* offered, by codec slot */
  std::shared_ptr<LayerSwitch> layer_switch_;   /* video; under lock_ */
  std::atomic<int> codec_slot_{ -1 };

  /* Answering a viewer's offer (expect_offer); on the queue only. */
  bool answering_ = false;
  std::shared_ptr<GstWebRTCSessionDescription> remote_offer_;
  std::optional<std::vector<StreamFeed>> waiting_feeds_;
  std::vector<AnsweredMedia> answered_;
  bool answer_sent_ = false;
  /* The payload type and congestion control extension id the viewer's
   * video is sent with: the offer's when answering (0: no extension),
   * else the slot's and ours. */
  guint video_pt_ = 0;
  guint video_twcc_id_ = kTwccExtensionId;

  /* On the queue only: the estimate of this viewer's link. */
  std::unique_ptr<BandwidthEstimator> estimator_;
  guint64 sent_at_last_sample_ = 0;
  std::atomic<guint64> estimate_bps_{ 0 };
  ProbePlan probe_plan_;
  gint64 last_probe_id_ = 0;
  guint64 layer_moves_seen_ = 0;
  std::unique_ptr<RtxProber> prober_;
  /* Made with the viewer: stats () reads it from any thread. */
  const std::unique_ptr<StaleRetransmissions> stale_retransmissions_;

  /* Counted by the branches' probes. */
  std::atomic<guint64> frames_sent_{ 0 }, audio_packets_sent_{ 0 }, bytes_sent_{ 0 };
  /* Stats kept for readers, under stats_lock_. */
  mutable std::mutex stats_lock_;
  bool connected_ = false;
  std::deque<std::pair<gint64, guint64>> byte_samples_; /* (time, bytes sent) */
  double bitrate_ = 0;
  double rtt_ = -1;
  gint64 packets_lost_ = 0;
  guint64 nacks_received_ = 0;
  guint64 packets_retransmitted_ = 0;
  std::string estimator_state_;
  guint64 feedback_ignored_ = 0;
  guint64 probes_ = 0, probes_carried_ = 0;
  std::string codec_;
  std::shared_ptr<RtcpFilter> rtcp_filter_;
};

} // namespace gv::webrtc
