/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsrc internals shared by its source files: gvwebrtcsrc.cpp (the
 * element, its signaller and webrtcbin, the negotiation) and
 * gvwebrtcsrc-streams.cpp (each received stream: depayloading, decoding,
 * its source pad, and navigation sent back on the input channel).
 */
#pragma once

#include "gvjitterlatency.h"
#include "gvmediawatch.h"
#include "gvnavjson.h"
#include "gvrtcpfilter.h"
#include "gvsignaller.h"
#include "gvasciicast.h"
#include "gvassistjson.h"
#include "gvfilechannel.h"
#include "gvtaskqueue.h"
#include "gvwebrtcsrc.h"
#include "gvwebrtcutils.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_src_debug);

#define DEFAULT_DECODE TRUE
#define DEFAULT_LATENCY 20
#define DEFAULT_MAX_LATENCY 400
#define DEFAULT_ADAPTIVE_LATENCY TRUE
#define DEFAULT_ICE_LOOPBACK FALSE
#define DEFAULT_REQUEST_CONTROL FALSE
#define DEFAULT_MEDIA_TIMEOUT 30

/* ~/Downloads/GhostView (the user's download folder, as XDG names it). */
std::string gv_webrtc_src_default_download_dir ();

struct GvWebRTCSrcPrivate {
  std::mutex lock;
  /* Held while a pad is added: the streams' pads come from different
   * streaming threads, and pad-added handlers such as gst-launch's delayed
   * links are not safe to run concurrently (seen as "no handler with id"
   * criticals with video_0 and audio_0 linked by name). */
  std::mutex expose_lock;
  bool decode = DEFAULT_DECODE;
  bool decode_audio = true;        /* with decode: raw audio, or Opus as sent */
  guint latency = DEFAULT_LATENCY; /* the floor when adaptive */
  guint max_latency = DEFAULT_MAX_LATENCY;
  bool adaptive_latency = DEFAULT_ADAPTIVE_LATENCY;
  bool ice_loopback = DEFAULT_ICE_LOOPBACK;
  bool request_control = DEFAULT_REQUEST_CONTROL;
  bool complete_answer = false; /* the answer waits for every ICE candidate */
  std::string video_codecs; /* accepted, best first ("vp8,h264"); empty: what this machine can */
  gv::webrtc::SignallerHold signaller;

  GstElement *webrtcbin = nullptr;
  std::unique_ptr<gv::webrtc::JitterLatency> jitter_latency;
  std::shared_ptr<gv::webrtc::RtcpFilter> rtcp_filter; /* the host's RTCP, checked */
  guint64 gone_rtcp_refused = 0;            /* refused by filters of earlier webrtcbins */
  GObject *channel = nullptr;               /* the input data channel, owned */
  GObject *assist_channel = nullptr;        /* the assistance channel ("assist"), owned */
  gv::assist::ClipboardAssembler clipboard; /* the host's clipboard, in pieces */
  /* The host's newest whole clipboard, waiting to go down a video pad as a
   * "gv-clipboard" event before its next buffer (in stream order). */
  std::string clipboard_down_mime;
  std::shared_ptr<GBytes> clipboard_down;
  /* "gv-clipboard" events from downstream refused: no `clipboard` granted */
  guint64 clipboard_refused = 0;
  /* The host's file-transfer channel (gvwebrtcsrc-files.cpp), and where
   * the host's files land. */
  std::shared_ptr<gv::webrtc::FileChannel> files;
  std::string download_dir = gv_webrtc_src_default_download_dir ();
  /* The host's shared terminal, recorded (gvwebrtcsrc-terminal.cpp). */
  std::string terminal_location;
  std::shared_ptr<gv::webrtc::AsciicastWriter> asciicast;
  gv::nav::LinkReport link; /* the host's last report of the link */
  guint capabilities = 0;
  std::vector<GstElement *> depayloaders; /* first element of each stream's chain */
  guint video_pads = 0, audio_pads = 0;
  guint streams_offered = 0; /* audio/video sections of the host's offer */
  guint streams_settled = 0; /* of those: exposed as a pad, or ignored */
  /* No frozen picture with nothing said (gvmediawatch.h): checked once a
   * second on a thread of its own while PLAYING. */
  gv::webrtc::MediaWatch media_watch{ DEFAULT_MEDIA_TIMEOUT };
  gv::webrtc::TaskThread watch_thread{ "gvwebrtcsrc-watch" };
};

struct _GvWebRTCSrc {
  GstBin parent;
  GvWebRTCSrcPrivate *priv;
};

/* gvwebrtcsrc-assist.cpp: the host's assistance channel. True when
 * `channel` is it (labelled "assist"), which it then listens to. */
bool gv_webrtc_src_attach_assist (GvWebRTCSrc *self, GObject *channel);
/* The signaller, a reference (nullptr when there is none). */
GvSignaller *gv_webrtc_src_ref_signaller (GvWebRTCSrc *self);
/* gvwebrtcsrc-answer.cpp: sends `answer` (already webrtcbin's local
 * description) now, or with `complete-answer` once ICE gathering is
 * complete, with its candidates. */
void gv_webrtc_src_send_answer (GvWebRTCSrc *self, GstElement *webrtcbin,
                                GstWebRTCSessionDescription *answer);
/* "send-chat", "send-clipboard", in class_init. */
void gv_webrtc_src_install_assist_signals (GType type);
/* What the receiver copied, to the host on the assistance channel (the
 * host takes it only when it granted `clipboard`). False when it is not
 * clipboard content or the channel is not open. */
bool gv_webrtc_src_send_clipboard (GvWebRTCSrc *self, const char *mime, GBytes *data);
/* A video pad's streaming thread, before a buffer: the host's clipboard
 * waiting, if any, as a downstream "gv-clipboard" event on `pad`. */
void gv_webrtc_src_push_clipboard (GvWebRTCSrc *self, GstPad *pad);
/* A "gv-clipboard" event from downstream (gvclipboard): sent to the host
 * when it granted `clipboard`, else refused and counted. */
bool gv_webrtc_src_clipboard_from_downstream (GvWebRTCSrc *self, GstEvent *event);

/* gvwebrtcsrc-files.cpp: the host's file-transfer channel. True when
 * `channel` is it (labelled "file"). */
bool gv_webrtc_src_attach_files (GvWebRTCSrc *self, GObject *channel);
/* The webrtcbin is going: no more transfers (a partial file stays). */
void gv_webrtc_src_close_files (GvWebRTCSrc *self);

/* gvwebrtcsrc-terminal.cpp: the host's terminal channel. True when
 * `channel` is it (labelled "terminal"); recorded when terminal-location
 * is set. */
bool gv_webrtc_src_attach_terminal (GvWebRTCSrc *self, GObject *channel);
void gv_webrtc_src_close_terminal (GvWebRTCSrc *self);
void gv_webrtc_src_install_terminal_property (GObjectClass *klass, guint prop_id);
void gv_webrtc_src_install_file_signals (GType type);

/* gvwebrtcsrc-streams.cpp: webrtcbin's "pad-added": a received stream. */
void gv_webrtc_src_on_stream (GstElement *webrtcbin, GstPad *pad, gpointer self);
