/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink internals shared by its two source files: gvwebrtcsink.cpp
 * (the element: properties, pads, state, bus messages, the end of the
 * stream) and gvwebrtcsink-viewers.cpp (its viewers: admission policy and
 * capabilities, the signaller's peers, stats). The parts it is made of live
 * in their own files: StreamEncoder (gvstreamencoder.h), Viewer
 * (gvviewer.h), TaskThread (gvtaskqueue.h).
 */
#pragma once

#include "../capture/gvcursorevent.h"
#include "gvassistjson.h"
#include "gvfallbackfeed.h"
#include "gvsignaller.h"
#include "gvstreamencoder.h"
#include "gvtaskqueue.h"
#include "gvviewer.h"
#include "gvwebrtcsink.h"
#include "gvwebrtcutils.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);

/* ~/Downloads/GhostView (the user's download folder, as XDG names it). */
std::string gv_webrtc_sink_default_download_dir ();

struct GvWebRTCSinkPrivate {
  std::mutex lock;

  /* properties */
  /* What the default policy admits viewers with (GvCapabilities; `view`
   * always); allow-control is its `control` bit. */
  guint allow = GV_CAPABILITY_VIEW;
  /* Where files from viewers land (gvwebrtcsink-files.cpp). */
  std::string download_dir = gv_webrtc_sink_default_download_dir ();
  bool control_on_request = false;
  gv::webrtc::EncoderSettings encoder_settings;
  bool ice_loopback = false;
  /* A limited viewer's video pace, times its estimate (0: off). */
  double pacing = gv::webrtc::kDefaultPacing;
  gv::webrtc::SignallerHold signaller;
  /* The shared terminal (gvwebrtcsink-terminal.cpp): `terminal`,
   * `terminal-command`, and the running one from READY to PAUSED until
   * PAUSED to READY. */
  bool terminal_enabled = false;
  std::string terminal_command;
  std::shared_ptr<gv::webrtc::Terminal> terminal;

  /* the shared streams, indexed by MediaKind; made in _init, never replaced */
  std::unique_ptr<gv::webrtc::StreamEncoder> streams[gv::webrtc::kMediaKinds];
  gv::webrtc::StreamEncoder &video () { return *streams[(int) gv::webrtc::MediaKind::Video]; }

  /* where viewers change state, from READY to PAUSED until PAUSED to READY */
  gv::webrtc::TaskThread thread{ "gvwebrtcsink" };
  std::unique_ptr<gv::webrtc::ViewerHost> viewer_host; /* the sink, as viewers see it */

  /* session */
  bool running = false;
  bool eos_seen = false;                            /* the input ended: the session is over */
  std::map<std::string, std::string> pending_joins; /* join-request handled by the app: name */
  std::map<std::string, gv::webrtc::ViewerPtr> viewers;
  std::vector<gv::webrtc::ViewerPtr> waiting_for_streams;
  gv::webrtc::InputCounters gone_input;   /* of viewers already gone */
  gv::webrtc::AssistCounters gone_assist; /* ditto */
  guint64 gone_rtcp_refused = 0;          /* ditto */
  /* The pointer, for pages that draw it (gvwebrtcsink-cursor.cpp): the
   * last shape sent ("" none) and the last position. */
  std::string cursor_shape;
  bool cursor_known = false;
  GvCursorPosition cursor;
  std::map<std::string, int> cursor_layers; /* the layer each viewer's position was scaled for */
  /* The fallback (gvwebrtcsink-fallback.cpp): viewers that asked for
   * pictures over the signalling connection, and the pictures' chain. */
  struct FallbackViewer {
    guint in_flight = 0; /* sent, not acknowledged */
    guint32 frame = 0;   /* the last picture's number */
  };
  std::map<std::string, FallbackViewer> fallback_viewers;
  std::unique_ptr<gv::webrtc::FallbackFeed> fallback_feed; /* made on first use */
  guint fallback_fps = gv::webrtc::kDefaultFallbackFps;
  guint64 fallback_pictures_sent = 0;
  /* Stills for the signalling service's snapshot API, from the same chain
   * (`allow-snapshot`): requests waiting for the next picture, with who
   * asked. */
  bool allow_snapshot = false;
  std::vector<std::pair<std::string, std::string>> snapshot_requests;
  guint64 snapshots_taken = 0;
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
  GV_SINK_SIGNAL_CONTROL_CHANGED,
  GV_SINK_SIGNAL_ACCEPT_VIEWER,
  GV_SINK_SIGNAL_DECLINE_VIEWER,
  GV_SINK_SIGNAL_GRANT_CONTROL,
  GV_SINK_SIGNAL_REMOVE_VIEWER,
  GV_SINK_SIGNAL_VIEWER_REPORT, /* gvwebrtcsink-reports.cpp */
  GV_SINK_SIGNAL_SEND_CHAT,     /* gvwebrtcsink-assist.cpp */
  GV_SINK_SIGNAL_SET_CAPABILITIES,
  GV_SINK_SIGNAL_SEND_FILE, /* gvwebrtcsink-files.cpp */
  GV_SINK_N_SIGNALS
};
extern guint gv_webrtc_sink_signals[GV_SINK_N_SIGNALS];

/* gvwebrtcsink-viewers.cpp */
/* Connects the sink's handlers to `signaller` and keeps it. */
void gv_webrtc_sink_attach_signaller (GvWebRTCSink *self, GvSignaller *signaller);
/* Makes the object viewers reach the sink through (once, in _init). */
void gv_webrtc_sink_init_viewers (GvWebRTCSink *self);
/* Every stream that has a pad knows its RTP caps: viewers that waited get
 * their webrtcbin. */
void gv_webrtc_sink_streams_ready (GvWebRTCSink *self);
/* Removes one viewer; `tell_signaller`: also from the session. */
void gv_webrtc_sink_remove_viewer (GvWebRTCSink *self, const std::string &peer,
                                   bool tell_signaller);
/* Stops every viewer; returns once they are gone (PAUSED to READY). */
void gv_webrtc_sink_remove_all_viewers (GvWebRTCSink *self);
/* The viewer whose webrtcbin or queue is `element` (a direct child of the
 * sink); empty if none. Changes nothing. */
std::string gv_webrtc_sink_viewer_of (GvWebRTCSink *self, GstElement *element);
/* Sets the shared video encoder's bitrate from the viewers' estimates. */
void gv_webrtc_sink_follow_estimates (GvWebRTCSink *self);
bool gv_webrtc_sink_set_control (GvWebRTCSink *self, const std::string &peer, bool control);
/* Replaces one viewer's capabilities (`view` always stays) and tells the
 * signaller (its `grant`); false for an unknown viewer. */
bool gv_webrtc_sink_set_capabilities (GvWebRTCSink *self, const std::string &peer,
                                      GvCapabilities capabilities);
GstStructure *gv_webrtc_sink_collect_stats (GvWebRTCSink *self);
/* The application's answer to a join-request. */
void gv_webrtc_sink_accept (GvWebRTCSink *self, const std::string &peer, bool control);
/* Admits with exactly `caps` (a viewer who came with an invite link). */
void gv_webrtc_sink_accept_with (GvWebRTCSink *self, const std::string &peer, GvCapabilities caps);
void gv_webrtc_sink_decline (GvWebRTCSink *self, const std::string &peer, const char *reason);

/* gvwebrtcsink-reports.cpp: viewers' reports and retries (issue 19) */
/* "viewer-report" (peer-id, problem, detail, codec), in class_init. */
void gv_webrtc_sink_install_report_signal (GType type);
/* The signaller's "peer-report" and "peer-restart". */
void gv_webrtc_sink_on_peer_report (GvSignaller *signaller, const char *peer, GstStructure *report,
                                    gpointer sink);
void gv_webrtc_sink_on_peer_restart (GvSignaller *signaller, const char *peer, gpointer sink);
/* True (with a warning and a report posted) when `desc` is an answer that
 * rejects a media section: webrtcbin 1.22 aborts on one (an assertion in
 * _connect_rtpfunnel), so it must not be given it. */
bool gv_webrtc_sink_refuse_rejecting_answer (GvWebRTCSink *self, const std::string &peer,
                                             const GstWebRTCSessionDescription *desc);

/* gvwebrtcsink-assist.cpp: the assistance channel (chat) */
/* "send-chat" and "set-capabilities", in class_init. */
void gv_webrtc_sink_install_assist_signals (GType type);
/* A viewer's chat line (it has `chat`): posted on the bus and relayed to
 * every viewer with `chat`, the sender included. Any thread. */
void gv_webrtc_sink_chat_received (GvWebRTCSink *self, const std::string &peer,
                                   const std::string &name, const std::string &text);

/* gvwebrtcsink-sources.cpp: what is shared changed (from gvscreensrc), to
 * every viewer; a viewer's "list-sources" or "share" (it has `source`),
 * answered with the text to send back to it ("" for none). */
void gv_webrtc_sink_shared (GvWebRTCSink *self, const GvShareableSource &source,
                            const std::string &by, const std::string &reason);
/* What a viewer whose assistance channel just opened is told first: what
 * is shared now ({"t":"shared"} with no `by`: nobody switched), and the
 * pointer's shape and position when the source sends them. */
std::vector<std::string> gv_webrtc_sink_greeting (GvWebRTCSink *self, const std::string &peer);
/* gvwebrtcsink-cursor.cpp: a gv-cursor or gv-cursor-shape event from
 * upstream, to every viewer (positions scaled to the layer it sees). */
void gv_webrtc_sink_cursor (GvWebRTCSink *self, GstEvent *event);
std::vector<std::string> gv_webrtc_sink_cursor_greeting (GvWebRTCSink *self, int layer);
/* Once a second per viewer (its link report): a viewer now on another layer
 * gets the pointer's position again, in that layer's pixels. */
void gv_webrtc_sink_cursor_layer (GvWebRTCSink *self, const std::string &peer, int layer);
std::string gv_webrtc_sink_source_request (GvWebRTCSink *self, const std::string &peer,
                                           const std::string &name,
                                           const gv::assist::Message &request);

/* gvwebrtcsink-clipboard.cpp: what the host copied, to every viewer with
 * `clipboard`; what a viewer with it copied, upstream to gvinputinject. */
void gv_webrtc_sink_clipboard_from_host (GvWebRTCSink *self, const char *mime, GBytes *data);
void gv_webrtc_sink_clipboard_from_viewer (GvWebRTCSink *self, const std::string &peer,
                                           const std::string &mime, const std::string &bytes);

/* gvwebrtcsink-files.cpp */
void gv_webrtc_sink_install_file_signals (GType type);

/* gvwebrtcsink-terminal.cpp: the shared terminal. Its properties (the
 * prop ids the sink's enum gives them), and its life: started before the
 * session (false, with an error posted, when it cannot start), stopped
 * after the viewers are gone. */
void gv_webrtc_sink_install_terminal_properties (GObjectClass *klass, guint prop_terminal,
                                                 guint prop_command);
void gv_webrtc_sink_set_terminal_property (GvWebRTCSink *self, bool command, const GValue *value);
void gv_webrtc_sink_get_terminal_property (GvWebRTCSink *self, bool command, GValue *value);
bool gv_webrtc_sink_start_terminal (GvWebRTCSink *self);
void gv_webrtc_sink_stop_terminal (GvWebRTCSink *self);
/* The running terminal, or nullptr. */
std::shared_ptr<gv::webrtc::Terminal> gv_webrtc_sink_terminal (GvWebRTCSink *self);
void gv_webrtc_sink_file_event (GvWebRTCSink *self, const std::string &peer,
                                const std::string &name, const gv::webrtc::FileEvent &event);

/* gvwebrtcsink-fallback.cpp: the fallback for viewers whose peer
 * connection did not connect (signaling/PROTOCOL.md, "Fallback") */
/* The signaller's "peer-fallback" and "peer-input". */
void gv_webrtc_sink_on_peer_fallback (GvSignaller *signaller, const char *peer, const char *action,
                                      guint frame, gpointer sink);
void gv_webrtc_sink_on_peer_input (GvSignaller *signaller, const char *peer, const char *events,
                                   gpointer sink);
/* The signaller's "snapshot-requested". */
void gv_webrtc_sink_on_snapshot_requested (GvSignaller *signaller, const char *request,
                                           const char *by, gpointer sink);
/* The viewer is gone: no more pictures for it. */
void gv_webrtc_sink_fallback_forget (GvWebRTCSink *self, const std::string &peer);
/* Whether `peer` is on the fallback now. */
bool gv_webrtc_sink_on_fallback (GvWebRTCSink *self, const std::string &peer);
/* The pictures' rate for `fallback-pictures` = `fps` (0, no fallback:
 * snapshots still come at the default rate). */
inline guint gv_webrtc_sink_feed_fps (guint fps)
{
  return fps ? fps : gv::webrtc::kDefaultFallbackFps;
}
/* "fallback-viewers", "fallback-pictures" and "snapshots-taken" into the
 * sink's stats. */
void gv_webrtc_sink_fallback_stats (GvWebRTCSink *self, GstStructure *stats);

/* gvwebrtcsink.cpp */
/* "gv-release-all": gvinputinject releases every key and button it holds. */
void gv_webrtc_sink_release_all_input (GvWebRTCSink *self);
