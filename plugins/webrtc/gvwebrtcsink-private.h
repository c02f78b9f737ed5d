/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink internals shared by its source files: gvwebrtcsink.cpp (the
 * element, its pads, the signaller, the end of the stream),
 * gvwebrtcsink-encoder.cpp (the shared encoders, payloaders and tees) and
 * gvwebrtcsink-viewer.cpp (one webrtcbin per viewer, the input channel,
 * stats).
 */
#pragma once

#include "gvsignaller.h"
#include "gvwebrtcsink.h"
#include "gvwebrtcutils.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);

/* Input channel flood limit: a token bucket per viewer. */
inline constexpr double kInputBurst = 500;
inline constexpr double kInputPerSecond = 250;

/* The sink takes one video and one audio stream. */
enum class GvMediaKind { Video = 0, Audio = 1 };
inline constexpr int kMediaKinds = 2;

/* One input of the sink: its request pad and, once its caps are known, the
 * shared chain input -> [convert ! encoder] -> payloader -> tee. */
struct GvSinkStream {
  explicit GvSinkStream (GvMediaKind k) : kind (k) {}
  GvMediaKind kind;
  GvWebRTCSink *sink = nullptr; /* not a reference: the sink owns its streams */
  GstPad *pad = nullptr;        /* our ghost sink pad */
  GstElement *input = nullptr;  /* identity the ghost pad targets */
  GstElement *encoder = nullptr;
  GstElement *payloader = nullptr;
  GstElement *tee = nullptr;
  GstCaps *rtp_caps = nullptr; /* the payloader's output; viewers wait for it */
  bool chain_built = false;
  bool ended = false; /* EOS reached its tee (or its input, without a chain) */
};

/* A viewer's part of one stream: tee pad -> queue -> webrtcbin sink pad. */
struct GvViewerBranch {
  GstElement *queue = nullptr;
  GstPad *tee_pad = nullptr;
};

struct GvViewer {
  GvWebRTCSink *sink = nullptr; /* not a reference: viewers never outlive the sink */
  std::string id;
  std::string name;
  guint capabilities = GV_SIGNALLER_CAP_VIEW;

  GvViewerBranch branches[kMediaKinds];
  GstElement *webrtcbin = nullptr;
  GObject *channel = nullptr; /* GstWebRTCDataChannel, ours or the viewer's */
  bool offered = false;
  bool connected = false;
  /* Media reaches the webrtcbin only once it is connected: what came before
   * would arrive stale. Read without the lock by the branches' probes. */
  std::atomic<bool> media_flowing{ false };

  /* input counters (under the sink's lock) */
  guint64 input_events = 0;
  guint64 dropped_malformed = 0;
  guint64 dropped_no_control = 0;
  guint64 dropped_flood = 0;
  double tokens = kInputBurst;
  gint64 tokens_at_us = 0;

  /* media counters, updated by a pad probe (under the sink's lock) */
  guint64 frames_sent = 0; /* video frames */
  guint64 audio_packets_sent = 0;
  guint64 bytes_sent = 0; /* video and audio RTP */
  guint64 bytes_at_last_stats = 0;
  gint64 last_stats_us = 0;
};

using GvViewerPtr = std::shared_ptr<GvViewer>;

struct GvWebRTCSinkPrivate {
  std::mutex lock;

  /* properties */
  int max_viewers = 1;
  int pin_ttl = 0;
  bool allow_control = false;
  bool control_on_request = false;
  GvWebRTCSinkCodec codec = GV_WEBRTC_SINK_CODEC_VP8;
  guint bitrate_kbps = 2000;
  guint audio_bitrate_kbps = 64;
  guint keyframe_distance = 3000;
  bool ice_loopback = false;
  gv::webrtc::SignallerHold signaller;

  /* the shared streams, indexed by GvMediaKind */
  GvSinkStream streams[kMediaKinds] = { GvSinkStream (GvMediaKind::Video),
                                        GvSinkStream (GvMediaKind::Audio) };
  GvSinkStream &video () { return streams[(int) GvMediaKind::Video]; }
  bool is_h264 = false;
  int width = 0, height = 0;

  /* session */
  bool running = false;
  bool eos_seen = false;                            /* the input ended: the session is over */
  std::map<std::string, std::string> pending_joins; /* join-request handled by the app: name */
  GstStructure *session_info = nullptr;
  std::map<std::string, GvViewerPtr> viewers;
  std::vector<GvViewerPtr> waiting_for_caps;

  /* input counters of viewers already gone */
  guint64 gone_input_events = 0, gone_dropped_malformed = 0, gone_dropped_no_control = 0,
          gone_dropped_flood = 0;
};

struct _GvWebRTCSink {
  GstBin parent;
  GvWebRTCSinkPrivate *priv;
};

enum {
  GV_SINK_SIGNAL_VIEWER_ADDED,
  GV_SINK_SIGNAL_VIEWER_REMOVED,
  GV_SINK_SIGNAL_JOIN_REQUEST,
  GV_SINK_SIGNAL_CONTROL_REQUESTED,
  GV_SINK_SIGNAL_ACCEPT_VIEWER,
  GV_SINK_SIGNAL_DECLINE_VIEWER,
  GV_SINK_SIGNAL_GRANT_CONTROL,
  GV_SINK_SIGNAL_REMOVE_VIEWER,
  GV_SINK_N_SIGNALS
};
extern guint gv_webrtc_sink_signals[GV_SINK_N_SIGNALS];

/* gvwebrtcsink-viewer.cpp */
/* Creates the viewer's webrtcbin and sends the offer (or waits for the
 * stream's caps). Called on the signaller's thread. */
void gv_webrtc_sink_add_viewer (GvWebRTCSink *self, const std::string &id, const std::string &name,
                                guint capabilities);
/* Removes a viewer's branch asynchronously; `kick` also tells the server. */
void gv_webrtc_sink_remove_viewer (GvWebRTCSink *self, const std::string &id, bool kick);
void gv_webrtc_sink_remove_all_viewers (GvWebRTCSink *self);
/* When `message` (an error) comes from inside one viewer's branch, removes
 * that viewer and returns its id; empty when it is not a viewer's. */
std::string gv_webrtc_sink_viewer_of_message (GvWebRTCSink *self, GstMessage *message);
/* The stream's RTP caps are known: serve viewers that waited for them. */
void gv_webrtc_sink_stream_ready (GvWebRTCSink *self);
void gv_webrtc_sink_handle_sdp (GvWebRTCSink *self, const char *id,
                                GstWebRTCSessionDescription *desc);
void gv_webrtc_sink_handle_ice (GvWebRTCSink *self, const char *id, guint mline,
                                const char *candidate);
bool gv_webrtc_sink_set_control (GvWebRTCSink *self, const std::string &id, bool control);
GstStructure *gv_webrtc_sink_collect_stats (GvWebRTCSink *self);

/* gvwebrtcsink-encoder.cpp */
/* Watches a stream's input events: builds its shared chain on the first caps. */
void gv_webrtc_sink_watch_input (GvSinkStream *stream, GstPad *input_sink);
/* Every stream that has a pad knows its RTP caps (and there is one): a
 * viewer's webrtcbin can be made. Call with the lock held. */
bool gv_webrtc_sink_streams_ready_locked (GvWebRTCSinkPrivate *priv);
/* Asks the shared encoder (or upstream, for encoded input) for a keyframe. */
void gv_webrtc_sink_request_keyframe (GvWebRTCSink *self);
/* Applies the bitrate property to the encoder; call with the lock held. */
void gv_webrtc_sink_apply_bitrate_locked (GvWebRTCSink *self);

/* gvwebrtcsink.cpp */
/* EOS reached the end of one stream's chain: when every stream has ended,
 * the session ends (gv_webrtc_sink_stream_ended). */
void gv_webrtc_sink_stream_eos (GvSinkStream *stream, guint32 seqnum);
/* Pushes an event upstream on the video pad (navigation, release-all). */
bool gv_webrtc_sink_push_upstream (GvWebRTCSink *self, GstEvent *event);
/* "gv-release-all": gvinputinject releases every key and button it holds. */
void gv_webrtc_sink_release_all_input (GvWebRTCSink *self);
/* EOS reached the end of the shared chain (or the input, without a chain):
 * ends the session and posts EOS from the bin. Called on a streaming thread. */
void gv_webrtc_sink_stream_ended (GvWebRTCSink *self, guint32 seqnum);
