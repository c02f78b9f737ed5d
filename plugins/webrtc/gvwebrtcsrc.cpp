/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-gvwebrtcsrc
 * @title: gvwebrtcsrc
 * @short_description: join a GhostView session by PIN and receive its video
 * and audio
 *
 * gvwebrtcsrc joins the session with PIN `pin` through the signalling
 * server, answers the host's offer and exposes one `video_%u` source pad
 * per stream: raw video with `decode=true` (the default), or depayloaded,
 * parsed encoded video with `decode=false` (video/x-vp8, video/x-vp9,
 * video/x-h264 — caps that matroskamux/mp4mux accept) for recording without
 * re-encoding. When the host also sends sound, an `audio_%u` pad appears:
 * raw audio with `decode=true`, Opus (audio/x-opus) with `decode=false` or
 * `decode-audio=false`. The Opus pad is there as soon as the host's offer
 * is answered, before any media, so a muxer's audio pad can be asked for
 * only when there is sound: `src.audio_0 ! mux.audio_0` (no element in
 * between; one would be linked to the muxer from the start and hold it
 * waiting when the host sends no sound).
 * The jitterbuffer latency starts at `latency`, 20 ms (webrtcbin's
 * default, 200 ms, is tuned for calls, not screens). Lost video packets are
 * asked for again (NACK; the host resends them), and with
 * `adaptive-latency` (the default) the latency follows what a
 * retransmission takes on this path: the measured retransmission round
 * trip and jitter, up at once when packets come too late, back down within
 * a few seconds once the path has been clean for three, never below what
 * nine frames in ten took to arrive lately (a narrow link spreads a frame's
 * packets), never above `max-latency` (`current-latency` tells where it
 * is). Each change posts a latency message: an application passes it on
 * with gst_bin_recalculate_latency () (gst-launch-1.0 and `ghostview` do),
 * or its sink keeps the latency of the first frame. The receiver reports
 * every 25 ms at most, so its requests and congestion feedback reach the
 * host in time.
 *
 * The answer accepts only the video codecs this receiver can handle
 * (`video-codecs`, best first; by default every codec whose depayloader and
 * decoder are installed): a host that offers a fallback codec sends that
 * when its first choice is not among them, and with nothing in common a
 * warning says which codecs each side has.
 *
 * Navigation events from downstream (the window of autovideosink, say) are
 * sent to the host over the input data channel in the compact form
 * documented in gvwebrtcsink, once the host has granted control;
 * `request-control=true` asks the host for it when the channel opens.
 *
 * The host tells its viewer about once a second, on the same channel, what
 * it knows of the link between them: `link-estimate` (its bandwidth
 * estimate, bit/s), `link-layer` (the video layer sent: 0 full size, 1 half,
 * 2 quarter) and `link-bitrate` (what it sent lately, bit/s). They are 0, -1
 * and 0 until the first report; each change is notified, from webrtcbin's
 * thread.
 *
 * ## Chat
 * A host that shares a terminal (gvwebrtcsink `terminal=true`) opens a
 * `terminal` channel: with `terminal-location` set the element writes it
 * there as an asciicast v2 file (`asciinema play FILE`), and posts a
 * `gvwebrtcsrc-terminal` element message (`status`, `message`) when the
 * host's program ends. A host sharing only a terminal sends no media: no
 * pad is added.
 * |[
 * gst-launch-1.0 gvwebrtcsrc signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     terminal-location=session.cast
 * ]|
 *
 * The host also opens an assistance channel (`assist`, see gvwebrtcsink):
 * each chat line the host sends posts the element message
 * `gvwebrtcsrc-chat` (`from`, `peer` strings: the sender's name and peer id,
 * "host" for the host's own lines; `text`; `time`, gint64 Unix milliseconds
 * of the host's clock); a refusal posts `gvwebrtcsrc-refused` (`what`: the
 * capability the message needed, "chat"; `message`: a sentence). The
 * `send-chat` action signal (text) sends one line; it returns FALSE for
 * text that is not chat text (1 to 4000 bytes of UTF-8, no control
 * characters but newline and tab) or before the channel is open. The host
 * relays lines only to viewers it granted `chat`, this one included.
 * |[
 * gst-launch-1.0 -m gvwebrtcsrc signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     ! fakesink
 * ]| prints the host's chat lines as `gvwebrtcsrc-chat` messages.
 *
 * ## Clipboard
 * What the host copies reaches a receiver it granted `clipboard` as the
 * element message `gvwebrtcsrc-clipboard` (`mime`: "text/plain;charset=utf-8"
 * or "image/png"; `data`: GBytes) and, before the next buffer, as a
 * serialized custom downstream event "gv-clipboard" (the same fields,
 * gvclipboardevent.h) on the video pad; `send-clipboard` (mime, GBytes)
 * sends the receiver's to the host (refused, `gvwebrtcsrc-refused` with
 * what "clipboard", without the capability). A custom upstream
 * "gv-clipboard" event reaching a video pad is sent the same way when the
 * host granted `clipboard` (sending the event returns TRUE), and refused
 * without it (FALSE, counted in `clipboard-refused`). `gvclipboard` speaks both events, so
 * `gvwebrtcsrc ! gvclipboard ! videoconvert ! autovideosink` shares the
 * local X11 clipboard with the host.
 *
 * ## Files
 * The host's `file` channel (see gvwebrtcsink, "File transfer"): files the
 * host sends land in `download-dir` (default: GhostView in the user's
 * downloads; the same rules: sanitised names, no overwriting, a hidden
 * partial until the SHA-256 matches, 1 GiB a file); `send-file` (path)
 * offers one to the host, which takes it only when it granted `file`. Each
 * step posts `gvwebrtcsrc-file` (`direction`, `state`, `file`, `size`,
 * `bytes`, `code`, `message`, as gvwebrtcsink's `gvwebrtcsink-file`).
 *
 * The host's RTCP is checked before GStreamer's RTP session reads it
 * (gvrtcpguard.h); `rtcp-refused` counts the compound packets dropped.
 *
 * A wrong, used or expired PIN, a declined join, a host that never answers
 * and an unreachable server each end in an error message a person can act
 * on ("PIN 123456 has expired."), never a hang. When the host ends the
 * session, the pads get EOS, so a recording is finalised. Once every stream
 * of the host's offer has its pad, the element signals `no-more-pads`.
 * When the media stops (the network cut), a warning says so after 5 s and
 * an error ends the session after `media-timeout` seconds (30; 10 once the
 * signalling server is unreachable too): never a frozen picture with
 * nothing said (gvmediawatch.h).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 gvwebrtcsrc signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     ! videoconvert ! autovideosink
 * ]|
 * |[
 * gst-launch-1.0 -e gvwebrtcsrc signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     decode=false ! matroskamux ! filesink location=session.mkv
 * ]|
 * |[
 * gst-launch-1.0 gvwebrtcsrc name=src signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     src.video_0 ! videoconvert ! autovideosink  src.audio_0 ! audioconvert ! autoaudiosink
 * ]| plays a host's video and sound.
 * |[
 * gst-launch-1.0 -e gvwebrtcsrc signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     decode=false video-codecs=vp8 ! matroskamux ! filesink location=session.mkv
 * ]| records VP8 whatever the host's first codec (it sends its fallback, VP8 by default).
 * |[
 * gst-launch-1.0 -e gvwebrtcsrc name=src signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     decode-audio=false src.video_0 ! queue ! videoconvert ! x264enc tune=zerolatency \
 *     ! h264parse ! mux.video_0  src.audio_0 ! mux.audio_0  mp4mux name=mux \
 *     ! filesink location=session.mp4
 * ]| transcodes the picture to H.264 and keeps the Opus sound, in MP4; a host
 * without sound gives a file without it (the muxer's audio pad is only asked
 * for when the sound's pad comes; gst-launch-1.0 warns "Delayed linking
 * failed." about the link it could not make).
 *
 * A pad left unlinked (say the sound, below a pipeline written for video
 * only) is dropped rather than stopping the other streams.
 */
#include "gvwebrtcsrc-private.h"

#include "gvnavjson.h"
#include "gvpinsignaller.h"
#include "gvsdpcodecs.h"
#include "gvwebrtctexts.h"

#include <gst/webrtc/webrtc.h>

GST_DEBUG_CATEGORY (gv_webrtc_src_debug);
#define GST_CAT_DEFAULT gv_webrtc_src_debug

enum {
  PROP_0,
  PROP_SIGNALLER,
  PROP_PIN,
  PROP_DISPLAY_NAME,
  PROP_DECODE,
  PROP_DECODE_AUDIO,
  PROP_LATENCY,
  PROP_MAX_LATENCY,
  PROP_ADAPTIVE_LATENCY,
  PROP_CURRENT_LATENCY,
  PROP_ICE_LOOPBACK,
  PROP_COMPLETE_ANSWER,
  PROP_REQUEST_CONTROL,
  PROP_VIDEO_CODECS,
  PROP_CONTROL,
  PROP_LINK_ESTIMATE,
  PROP_LINK_LAYER,
  PROP_LINK_BITRATE,
  PROP_MEDIA_TIMEOUT,
  PROP_RTCP_REFUSED,
  PROP_CLIPBOARD_REFUSED,
  PROP_DOWNLOAD_DIR,
  PROP_TERMINAL_LOCATION,
};

static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);

static void gv_webrtc_src_child_proxy_init (gpointer g_iface, gpointer iface_data);

#define gv_webrtc_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GvWebRTCSrc, gv_webrtc_src, GST_TYPE_BIN,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                gv_webrtc_src_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE (gvwebrtcsrc, "gvwebrtcsrc", GST_RANK_NONE, GV_TYPE_WEBRTC_SRC);

static GvSignaller *ref_signaller (GvWebRTCSrc *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->signaller.ref ();
}

GvSignaller *gv_webrtc_src_ref_signaller (GvWebRTCSrc *self)
{
  return ref_signaller (self);
}

static GstElement *ref_webrtcbin (GvWebRTCSrc *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->webrtcbin ? GST_ELEMENT (gst_object_ref (self->priv->webrtcbin)) : nullptr;
}

static void send_control_request (GvWebRTCSrc *self, GObject *channel)
{
  gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel),
                                       gv::nav::make_request_control ().c_str ());
  GST_INFO_OBJECT (self, "asked the host for control");
}

static void on_channel_open (GObject *channel, GParamSpec *, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GstWebRTCDataChannelState state;
  g_object_get (channel, "ready-state", &state, nullptr);
  bool ask;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    ask = self->priv->request_control && !(self->priv->capabilities & GV_CAPABILITY_CONTROL);
  }
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN && ask)
    send_control_request (self, channel);
}

/* The host's last link report; each property that changed is notified. */
static void set_link (GvWebRTCSrc *self, const gv::nav::LinkReport &link)
{
  bool estimate, layer, bitrate;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    gv::nav::LinkReport &was = self->priv->link;
    estimate = was.estimate_bps != link.estimate_bps;
    layer = was.layer != link.layer;
    bitrate = was.bitrate_bps != link.bitrate_bps;
    was = link;
  }
  if (estimate)
    g_object_notify (G_OBJECT (self), "link-estimate");
  if (layer)
    g_object_notify (G_OBJECT (self), "link-layer");
  if (bitrate)
    g_object_notify (G_OBJECT (self), "link-bitrate");
}

static void on_host_message (GObject *, const gchar *text, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  gv::nav::LinkReport link;
  std::string error;
  if (!gv::nav::parse_host_message (text, text ? strlen (text) : 0, link, error)) {
    GST_DEBUG_OBJECT (self, "ignoring a message from the host: %s", error.c_str ());
    return;
  }
  GST_LOG_OBJECT (self,
                  "link: estimate %" G_GUINT64_FORMAT " bit/s, layer %d, sent %" G_GUINT64_FORMAT
                  " bit/s",
                  link.estimate_bps, link.layer, link.bitrate_bps);
  set_link (self, link);
}

static void on_data_channel (GstElement *, GObject *channel, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  gchar *label = nullptr;
  g_object_get (channel, "label", &label, nullptr);
  GST_DEBUG_OBJECT (self, "data channel \"%s\"", label);
  g_free (label);
  if (gv_webrtc_src_attach_assist (self, channel) || gv_webrtc_src_attach_files (self, channel) ||
      gv_webrtc_src_attach_terminal (self, channel))
    return;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (self->priv->channel)
      return;
    self->priv->channel = G_OBJECT (g_object_ref (channel));
  }
  g_signal_connect_object (channel, "notify::ready-state", G_CALLBACK (on_channel_open), self,
                           (GConnectFlags) 0);
  g_signal_connect_object (channel, "on-message-string", G_CALLBACK (on_host_message), self,
                           (GConnectFlags) 0);
  on_channel_open (channel, nullptr, self);
}

static void on_ice_candidate (GstElement *, guint mline, const gchar *candidate, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GvSignaller *signaller = ref_signaller (self);
  gv_signaller_add_ice (signaller, "", candidate, mline, nullptr);
  g_object_unref (signaller);
}

static void on_connection_state (GstElement *webrtcbin, GParamSpec *, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GstWebRTCPeerConnectionState state;
  g_object_get (webrtcbin, "connection-state", &state, nullptr);
  GST_DEBUG_OBJECT (self, "connection state %d", state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("%s", gv::webrtc::texts::kConnectionToHostFailed),
                       ("webrtcbin connection-state failed"));
}

/* Keeps in `sdp` (a copy of the offer, then the answer) only the video
 * codecs this receiver takes, in its order of preference: the host sends
 * the first (a host with a fallback codec sends that to a receiver that
 * cannot decode its first choice). With none in common the video section
 * is rejected and, with `warn`, a warning says why. */
static void accept_video_codecs (GvWebRTCSrc *self, GstSDPMessage *answer, bool warn)
{
  std::string configured;
  bool decode;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    configured = self->priv->video_codecs;
    decode = self->priv->decode;
  }
  std::vector<std::string> accepted = configured.empty ()
                                          ? gv::webrtc::receivable_video_codecs (decode)
                                          : gv::webrtc::parse_codec_list (configured.c_str ());
  const std::vector<std::string> offered = gv::webrtc::video_codec_names (answer);
  if (offered.empty ())
    return; /* no video */
  /* Chosen codecs in our order; by default the host's order decides. */
  std::vector<std::string> kept =
      gv::webrtc::keep_video_codecs (answer, accepted, !configured.empty ());
  if (kept.empty () && warn) {
    std::string have, sent;
    for (const std::string &c : accepted)
      have += (have.empty () ? "" : ", ") + c;
    for (const std::string &c : offered)
      sent += (sent.empty () ? "" : ", ") + c;
    GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND,
                         ("%s", gv::webrtc::texts::no_common_codec (sent, have).c_str ()),
                         (nullptr));
    return;
  }
  if (!kept.empty ())
    GST_INFO_OBJECT (self, "accepting video codecs %s%s", kept[0].c_str (),
                     kept.size () > 1 ? " and others" : "");
}

static void on_answer_created (GstPromise *promise, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GstWebRTCSessionDescription *answer = nullptr;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED && gst_promise_get_reply (promise))
    gst_structure_get (gst_promise_get_reply (promise), "answer",
                       GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  gst_promise_unref (promise);
  GstElement *webrtcbin = ref_webrtcbin (self);
  if (!answer || !webrtcbin) {
    if (!answer)
      GST_ELEMENT_ERROR (self, STREAM, FAILED, ("%s", gv::webrtc::texts::kCannotAnswer), (nullptr));
    if (answer)
      gst_webrtc_session_description_free (answer);
    if (webrtcbin)
      gst_object_unref (webrtcbin);
    return;
  }
  accept_video_codecs (self, answer->sdp, false);
  g_signal_emit_by_name (webrtcbin, "set-local-description", answer, nullptr);
  gv_webrtc_src_send_answer (self, webrtcbin, answer);
  gst_webrtc_session_description_free (answer);
  gst_object_unref (webrtcbin);
}

/* ---- signaller ---- */

/* The capabilities the host gives us; `control` is notified when it changes. */
static void set_capabilities (GvWebRTCSrc *self, guint caps)
{
  bool had;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    had = self->priv->capabilities & GV_CAPABILITY_CONTROL;
    self->priv->capabilities = caps;
  }
  GST_INFO_OBJECT (self, "capabilities now 0x%x", caps);
  if (had != ((caps & GV_CAPABILITY_CONTROL) != 0))
    g_object_notify (G_OBJECT (self), "control");
}

static void on_admitted (GvSignaller *signaller, GvCapabilities caps, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GST_INFO_OBJECT (self, "admitted");
  set_capabilities (self, caps);
  GstElement *webrtcbin = ref_webrtcbin (self);
  if (webrtcbin) {
    GStrv stun = nullptr, turn = nullptr;
    gv_signaller_dup_ice_servers (signaller, &stun, &turn);
    gv::webrtc::configure_ice_servers (webrtcbin, stun, turn);
    g_strfreev (stun);
    g_strfreev (turn);
    gst_object_unref (webrtcbin);
  }
}

/* The offer's RTP header extensions ("a=extmap", as extmap-N caps fields)
 * onto every format of `caps`, so that the answer keeps them: transport-wide
 * congestion control feedback needs its extension on both sides. */
static void copy_header_extensions (const GstSDPMedia *media, GstCaps *caps)
{
  GstCaps *attributes = gst_caps_new_empty_simple ("application/x-rtp");
  gst_sdp_media_attributes_to_caps (media, attributes);
  const GstStructure *from = gst_caps_get_structure (attributes, 0);
  for (guint i = 0; i < (guint) gst_structure_n_fields (from); i++) {
    const char *field = gst_structure_nth_field_name (from, i);
    if (!g_str_has_prefix (field, "extmap-"))
      continue;
    for (guint k = 0; k < gst_caps_get_size (caps); k++)
      gst_structure_set_value (gst_caps_get_structure (caps, k), field,
                               gst_structure_get_value (from, field));
  }
  gst_caps_unref (attributes);
}

static void on_session_description (GvSignaller *, const char *, GstWebRTCSessionDescription *desc,
                                    gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  if (desc->type != GST_WEBRTC_SDP_TYPE_OFFER) {
    GST_WARNING_OBJECT (self, "expected an offer from the host");
    return;
  }
  GstElement *webrtcbin = ref_webrtcbin (self);
  if (!webrtcbin)
    return;
  /* One receive-only transceiver per offered video/audio section, with the
   * offer's codecs that this receiver takes (webrtcbin answers the first),
   * so that webrtcbin answers them instead of rejecting. */
  GstSDPMessage *wanted = nullptr;
  gst_sdp_message_copy (desc->sdp, &wanted);
  accept_video_codecs (self, wanted, true);
  for (guint i = 0; i < gst_sdp_message_medias_len (wanted); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (wanted, i);
    const char *kind = gst_sdp_media_get_media (media);
    if (g_strcmp0 (kind, "video") != 0 && g_strcmp0 (kind, "audio") != 0)
      continue;
    if (gv::webrtc::section_rejected (media))
      continue; /* nothing in common: the answer rejects it */
    {
      std::lock_guard<std::mutex> guard (self->priv->lock);
      self->priv->streams_offered++;
    }
    GstCaps *caps = gst_caps_new_empty ();
    for (guint f = 0; f < gst_sdp_media_formats_len (media); f++) {
      gint pt = atoi (gst_sdp_media_get_format (media, f));
      GstCaps *one = gst_sdp_media_get_caps_from_media (media, pt);
      if (!one)
        continue;
      for (guint k = 0; k < gst_caps_get_size (one); k++)
        gst_structure_set_name (gst_caps_get_structure (one, k), "application/x-rtp");
      gst_caps_append (caps, one);
    }
    copy_header_extensions (media, caps);
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_signal_emit_by_name (webrtcbin, "add-transceiver",
                           GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
    if (trans) {
      /* Ask for lost video packets again (NACK) instead of waiting for the
       * next keyframe; the jitterbuffer latency follows what that takes. */
      if (g_strcmp0 (kind, "video") == 0)
        g_object_set (trans, "do-nack", TRUE, nullptr);
      gst_object_unref (trans);
    }
    gst_caps_unref (caps);
  }
  gst_sdp_message_free (wanted);
  g_signal_emit_by_name (webrtcbin, "set-remote-description", desc, nullptr);
  GstPromise *promise = gst_promise_new_with_change_func (on_answer_created, self, nullptr);
  g_signal_emit_by_name (webrtcbin, "create-answer", nullptr, promise);
  gst_object_unref (webrtcbin);
  /* A host that shares a terminal alone offers no media: no pad will come
   * (a launch line's branches for them are fed by nothing). */
  bool no_media;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    no_media = self->priv->streams_offered == 0;
  }
  if (no_media) {
    GST_INFO_OBJECT (self, "the host offers no audio or video");
    gst_element_no_more_pads (GST_ELEMENT (self));
  }
}

static void on_handle_ice (GvSignaller *, const char *, guint mline, const char *,
                           const char *candidate, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GstElement *webrtcbin = ref_webrtcbin (self);
  if (!webrtcbin)
    return;
  gv::webrtc::add_remote_candidate (webrtcbin, mline, candidate, GST_OBJECT (self));
  gst_object_unref (webrtcbin);
}

static void on_capabilities_changed (GvSignaller *, GvCapabilities caps, gpointer user)
{
  set_capabilities (GV_WEBRTC_SRC (user), caps);
}

static void on_session_ended (GvSignaller *, const char *reason, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GST_INFO_OBJECT (self, "session ended (%s), sending EOS", reason);
  self->priv->media_watch.on_ended ();
  std::vector<GstElement *> heads;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (GstElement *e : self->priv->depayloaders)
      heads.push_back (GST_ELEMENT (gst_object_ref (e)));
  }
  if (heads.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
                       ("%s", gv::webrtc::texts::host_ended (reason).c_str ()), (nullptr));
    return;
  }
  for (GstElement *e : heads) {
    GstPad *sink = gst_element_get_static_pad (e, "sink");
    gst_pad_send_event (sink, gst_event_new_eos ());
    gst_object_unref (sink);
    gst_object_unref (e);
  }
}

static void on_signaller_error (GvSignaller *, const char *code, const char *message,
                                gboolean fatal, gpointer user)
{
  if (g_strcmp0 (code, GV_SIGNALLER_ERROR_DISCONNECTED) == 0)
    GV_WEBRTC_SRC (user)->priv->media_watch.on_signalling_lost ();
  gv::webrtc::post_signaller_error (GST_ELEMENT (user), code, message, fatal);
}

static void connect_signaller (GvWebRTCSrc *self, GvSignaller *signaller)
{
  self->priv->signaller.attach (
      signaller, GV_SIGNALLER_ROLE_VIEWER,
      {
          { "admitted", G_CALLBACK (on_admitted) },
          { "session-description", G_CALLBACK (on_session_description) },
          { "handle-ice", G_CALLBACK (on_handle_ice) },
          { "capabilities-changed", G_CALLBACK (on_capabilities_changed) },
          { "session-ended", G_CALLBACK (on_session_ended) },
          { "error", G_CALLBACK (on_signaller_error) },
      },
      self);
}

/* ---- GstElement ---- */

static bool setup_webrtcbin (GvWebRTCSrc *self)
{
  GstElement *webrtcbin = gst_element_factory_make ("webrtcbin", "webrtcbin");
  if (!webrtcbin) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("%s", gv::webrtc::texts::kMissingWebrtcbin),
                       (nullptr));
    return false;
  }
  guint latency, max_latency;
  bool loopback, adaptive;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    latency = self->priv->latency;
    max_latency = self->priv->max_latency;
    adaptive = self->priv->adaptive_latency;
    loopback = self->priv->ice_loopback;
  }
  g_object_set (webrtcbin, "latency", latency, nullptr);
  self->priv->jitter_latency->start (webrtcbin, latency, max_latency, adaptive);
  gst_util_set_object_arg (G_OBJECT (webrtcbin), "bundle-policy", "max-bundle");
  gv::webrtc::maybe_add_loopback (webrtcbin, loopback, GST_OBJECT (self));
  gv::webrtc::disable_upnp (webrtcbin, GST_OBJECT (self));
  /* The host's RTCP is checked before webrtcbin's RTP session reads it
   * (gvrtcpguard.h: GStreamer 1.22 reads some malformed packets past
   * their end). */
  std::shared_ptr<gv::webrtc::RtcpFilter> rtcp_filter =
      gv::webrtc::RtcpFilter::attach (webrtcbin, "the host");
  g_signal_connect (webrtcbin, "pad-added", G_CALLBACK (gv_webrtc_src_on_stream), self);
  g_signal_connect (webrtcbin, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (webrtcbin, "on-data-channel", G_CALLBACK (on_data_channel), self);
  g_signal_connect (webrtcbin, "notify::connection-state", G_CALLBACK (on_connection_state), self);
  gst_bin_add (GST_BIN (self), webrtcbin);
  /* webrtcbin holds network sinks, which would make this source a sink in
   * its parent's eyes, and the pipeline would wait for EOS from it. */
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK);
  std::lock_guard<std::mutex> guard (self->priv->lock);
  self->priv->webrtcbin = webrtcbin;
  self->priv->rtcp_filter = rtcp_filter;
  return true;
}

static void teardown (GvWebRTCSrc *self)
{
  GvWebRTCSrcPrivate *priv = self->priv;
  priv->jitter_latency->stop ();
  std::vector<GstElement *> heads;
  GstElement *webrtcbin;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    heads.swap (priv->depayloaders);
    webrtcbin = priv->webrtcbin;
    priv->webrtcbin = nullptr;
    if (priv->rtcp_filter)
      priv->gone_rtcp_refused += priv->rtcp_filter->refused ();
    priv->rtcp_filter.reset ();
    g_clear_object (&priv->channel);
    g_clear_object (&priv->assist_channel);
    priv->clipboard_down.reset ();
    priv->capabilities = 0;
  }
  gv_webrtc_src_close_files (self);
  gv_webrtc_src_close_terminal (self);
  if (webrtcbin)
    gv::webrtc::forget_ice_state_watchers (webrtcbin);
  for (GstElement *e : heads)
    gst_object_unref (e);
  /* Remove everything we added: webrtcbin and the per-stream chains. */
  GList *children = nullptr;
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_BIN_CHILDREN (self); l; l = l->next)
    children = g_list_prepend (children, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);
  for (GList *l = children; l; l = l->next) {
    gst_element_set_state (GST_ELEMENT (l->data), GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), GST_ELEMENT (l->data));
  }
  g_list_free_full (children, gst_object_unref);
  GList *pads = nullptr;
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT_PADS (self); l; l = l->next)
    pads = g_list_prepend (pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);
  for (GList *l = pads; l; l = l->next)
    gst_element_remove_pad (GST_ELEMENT (self), GST_PAD (l->data));
  g_list_free_full (pads, gst_object_unref);
  set_link (self, gv::nav::LinkReport ());
  std::lock_guard<std::mutex> guard (priv->lock);
  priv->video_pads = priv->audio_pads = 0;
  priv->streams_offered = priv->streams_settled = 0;
}

/* Once a second while PLAYING: a warning when the media stopped, an error
 * when it will not come back (gvmediawatch.h). */
static void watch_media (GvWebRTCSrc *self)
{
  gv::webrtc::MediaWatch &watch = self->priv->media_watch;
  gint64 now = g_get_monotonic_time ();
  guint stalled = watch.stalled_s (now);
  switch (watch.check (now)) {
  case gv::webrtc::MediaWatch::Verdict::kWarn:
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
                         ("%s", gv::webrtc::texts::media_stalled (stalled).c_str ()),
                         ("no buffer for %u s", stalled));
    break;
  case gv::webrtc::MediaWatch::Verdict::kGiveUp:
    GST_ELEMENT_ERROR (
        self, RESOURCE, READ,
        ("%s", gv::webrtc::texts::media_lost (stalled, watch.signalling_lost ()).c_str ()),
        ("no buffer for %u s (media-timeout %u s)", stalled, watch.timeout ()));
    break;
  case gv::webrtc::MediaWatch::Verdict::kFine:
    break;
  }
}

static GstStateChangeReturn gv_webrtc_src_change_state (GstElement *element,
                                                        GstStateChange transition)
{
  auto *self = GV_WEBRTC_SRC (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    gv::webrtc::prepare_dtls_certificate (); /* while the join goes on */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (!setup_webrtcbin (self))
      return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    self->priv->watch_thread.stop (); /* media stops for a good reason */
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition) {
  case GST_STATE_CHANGE_READY_TO_PAUSED: {
    GvSignaller *signaller = ref_signaller (self);
    gv_signaller_start (signaller);
    g_object_unref (signaller);
    ret = GST_STATE_CHANGE_NO_PREROLL;
    break;
  }
  case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
    self->priv->media_watch.restart (g_get_monotonic_time ());
    self->priv->watch_thread.start ();
    self->priv->watch_thread.every (1000, [self] () { watch_media (self); });
    break;
  case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
    ret = GST_STATE_CHANGE_NO_PREROLL;
    break;
  case GST_STATE_CHANGE_PAUSED_TO_READY: {
    GvSignaller *signaller = ref_signaller (self);
    gv_signaller_stop (signaller);
    g_object_unref (signaller);
    teardown (self);
    break;
  }
  default:
    break;
  }
  return ret;
}

/* ---- GObject ---- */

static void gv_webrtc_src_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  auto *self = GV_WEBRTC_SRC (object);
  GvWebRTCSrcPrivate *priv = self->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  switch (prop_id) {
  case PROP_SIGNALLER:
    if (g_value_get_object (value))
      connect_signaller (self, GV_SIGNALLER (g_value_get_object (value)));
    break;
  case PROP_PIN:
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (priv->signaller.signaller), "pin"))
      g_object_set_property (G_OBJECT (priv->signaller.signaller), "pin", value);
    break;
  case PROP_DISPLAY_NAME:
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (priv->signaller.signaller), "name"))
      g_object_set_property (G_OBJECT (priv->signaller.signaller), "name", value);
    break;
  case PROP_DECODE:
    priv->decode = g_value_get_boolean (value);
    break;
  case PROP_DECODE_AUDIO:
    priv->decode_audio = g_value_get_boolean (value);
    break;
  case PROP_TERMINAL_LOCATION:
    priv->terminal_location = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  case PROP_DOWNLOAD_DIR:
    priv->download_dir = g_value_get_string (value) && *g_value_get_string (value)
                             ? g_value_get_string (value)
                             : gv_webrtc_src_default_download_dir ();
    break;
  case PROP_LATENCY:
    priv->latency = g_value_get_uint (value);
    if (priv->webrtcbin)
      g_object_set (priv->webrtcbin, "latency", priv->latency, nullptr);
    priv->jitter_latency->set_bounds (priv->latency, priv->max_latency, priv->adaptive_latency);
    break;
  case PROP_MAX_LATENCY:
  case PROP_ADAPTIVE_LATENCY:
    if (prop_id == PROP_MAX_LATENCY)
      priv->max_latency = g_value_get_uint (value);
    else
      priv->adaptive_latency = g_value_get_boolean (value);
    priv->jitter_latency->set_bounds (priv->latency, priv->max_latency, priv->adaptive_latency);
    break;
  case PROP_ICE_LOOPBACK:
    priv->ice_loopback = g_value_get_boolean (value);
    break;
  case PROP_COMPLETE_ANSWER:
    priv->complete_answer = g_value_get_boolean (value);
    break;
  case PROP_MEDIA_TIMEOUT:
    priv->media_watch.set_timeout (g_value_get_uint (value));
    break;
  case PROP_REQUEST_CONTROL:
    priv->request_control = g_value_get_boolean (value);
    break;
  case PROP_VIDEO_CODECS:
    priv->video_codecs = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_webrtc_src_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  auto *self = GV_WEBRTC_SRC (object);
  GvWebRTCSrcPrivate *priv = self->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  switch (prop_id) {
  case PROP_SIGNALLER:
    g_value_set_object (value, priv->signaller.signaller);
    break;
  case PROP_PIN:
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (priv->signaller.signaller), "pin"))
      g_object_get_property (G_OBJECT (priv->signaller.signaller), "pin", value);
    break;
  case PROP_DISPLAY_NAME:
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (priv->signaller.signaller), "name"))
      g_object_get_property (G_OBJECT (priv->signaller.signaller), "name", value);
    break;
  case PROP_DECODE:
    g_value_set_boolean (value, priv->decode);
    break;
  case PROP_DECODE_AUDIO:
    g_value_set_boolean (value, priv->decode_audio);
    break;
  case PROP_TERMINAL_LOCATION:
    g_value_set_string (value, priv->terminal_location.empty () ? nullptr
                                                                : priv->terminal_location.c_str ());
    break;
  case PROP_DOWNLOAD_DIR:
    g_value_set_string (value, priv->download_dir.c_str ());
    break;
  case PROP_LATENCY:
    g_value_set_uint (value, priv->latency);
    break;
  case PROP_MAX_LATENCY:
    g_value_set_uint (value, priv->max_latency);
    break;
  case PROP_ADAPTIVE_LATENCY:
    g_value_set_boolean (value, priv->adaptive_latency);
    break;
  case PROP_CURRENT_LATENCY:
    g_value_set_uint (value, priv->jitter_latency->current_ms ());
    break;
  case PROP_ICE_LOOPBACK:
    g_value_set_boolean (value, priv->ice_loopback);
    break;
  case PROP_COMPLETE_ANSWER:
    g_value_set_boolean (value, priv->complete_answer);
    break;
  case PROP_MEDIA_TIMEOUT:
    g_value_set_uint (value, priv->media_watch.timeout ());
    break;
  case PROP_REQUEST_CONTROL:
    g_value_set_boolean (value, priv->request_control);
    break;
  case PROP_VIDEO_CODECS:
    g_value_set_string (value, priv->video_codecs.empty () ? nullptr : priv->video_codecs.c_str ());
    break;
  case PROP_CONTROL:
    g_value_set_boolean (value, (priv->capabilities & GV_CAPABILITY_CONTROL) != 0);
    break;
  case PROP_LINK_ESTIMATE:
    g_value_set_uint64 (value, priv->link.estimate_bps);
    break;
  case PROP_LINK_LAYER:
    g_value_set_int (value, priv->link.layer);
    break;
  case PROP_LINK_BITRATE:
    g_value_set_uint64 (value, priv->link.bitrate_bps);
    break;
  case PROP_RTCP_REFUSED:
    g_value_set_uint64 (value, priv->gone_rtcp_refused +
                                   (priv->rtcp_filter ? priv->rtcp_filter->refused () : 0));
    break;
  case PROP_CLIPBOARD_REFUSED:
    g_value_set_uint64 (value, priv->clipboard_refused);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_webrtc_src_dispose (GObject *object)
{
  auto *self = GV_WEBRTC_SRC (object);
  GvWebRTCSrcPrivate *priv = self->priv;
  priv->watch_thread.stop ();
  priv->signaller.release ();
  g_clear_object (&priv->channel);
  for (GstElement *e : priv->depayloaders)
    gst_object_unref (e);
  priv->depayloaders.clear ();
  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void gv_webrtc_src_finalize (GObject *object)
{
  delete GV_WEBRTC_SRC (object)->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static GObject *child_proxy_get_child_by_name (GstChildProxy *proxy, const gchar *name)
{
  auto *self = GV_WEBRTC_SRC (proxy);
  return gv::webrtc::signaller_or_child (proxy, name, self->priv->lock, self->priv->signaller,
                                         parent_class);
}

static void gv_webrtc_src_child_proxy_init (gpointer g_iface, gpointer)
{
  auto *iface = static_cast<GstChildProxyInterface *> (g_iface);
  iface->get_child_by_name = child_proxy_get_child_by_name;
}

/* The data channel's transport (SCTP) failing loses the input channel and
 * the link reports, not the picture: a warning, so the streams go on and a
 * host that ends the session (browsers close the peer connection right
 * after saying so) still ends it with EOS. */
static void gv_webrtc_src_handle_message (GstBin *bin, GstMessage *message)
{
  GstElementFactory *factory =
      GST_IS_ELEMENT (GST_MESSAGE_SRC (message))
          ? gst_element_get_factory (GST_ELEMENT (GST_MESSAGE_SRC (message)))
          : nullptr;
  const char *name = factory ? GST_OBJECT_NAME (factory) : "";
  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR ||
      (g_strcmp0 (name, "sctpenc") != 0 && g_strcmp0 (name, "sctpdec") != 0)) {
    GST_BIN_CLASS (parent_class)->handle_message (bin, message);
    return;
  }
  GstMessage *converted =
      gv::webrtc::error_as_warning (message, GST_OBJECT (bin), [bin] (const char *error) {
        GST_INFO_OBJECT (bin, "data channel transport failed: %s", error);
        return std::string (gv::webrtc::texts::kInputChannelLost);
      });
  GST_BIN_CLASS (parent_class)->handle_message (bin, converted);
}

static void gv_webrtc_src_class_init (GvWebRTCSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GST_BIN_CLASS (klass)->handle_message = gv_webrtc_src_handle_message;
  gobject_class->set_property = gv_webrtc_src_set_property;
  gobject_class->get_property = gv_webrtc_src_get_property;
  gobject_class->dispose = gv_webrtc_src_dispose;
  gobject_class->finalize = gv_webrtc_src_finalize;
  gv_webrtc_src_install_assist_signals (G_TYPE_FROM_CLASS (klass));
  gv_webrtc_src_install_file_signals (G_TYPE_FROM_CLASS (klass));

  const auto rw =
      (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (gobject_class, PROP_SIGNALLER,
                                   gv::webrtc::signaller_param_spec ());
  g_object_class_install_property (
      gobject_class, PROP_PIN,
      g_param_spec_string ("pin", "PIN",
                           "The PIN of the session to join, 6 digits or 9 (sets the "
                           "signaller's pin)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_DISPLAY_NAME,
      g_param_spec_string ("display-name", "Display name",
                           "Name shown to the host (sets the signaller's name)", nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_DECODE,
      g_param_spec_boolean ("decode", "Decode",
                            "Output raw video (true) or depayloaded, parsed encoded video (false)",
                            DEFAULT_DECODE, rw));
  g_object_class_install_property (
      gobject_class, PROP_DECODE_AUDIO,
      g_param_spec_boolean ("decode-audio", "Decode audio",
                            "With decode=true: output raw audio (true) or Opus as sent (false, "
                            "for a muxer beside decoded video); with decode=false audio is Opus",
                            TRUE, rw));
  gv_webrtc_src_install_terminal_property (gobject_class, PROP_TERMINAL_LOCATION);
  g_object_class_install_property (
      gobject_class, PROP_DOWNLOAD_DIR,
      g_param_spec_string ("download-dir", "Download folder",
                           "Where files the host sends land (made when the first one comes; "
                           "default: GhostView in the user's downloads)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CODECS,
      g_param_spec_string ("video-codecs", "Video codecs",
                           "Video codecs to accept, best first, comma-separated (vp8, vp9, h264); "
                           "the host sends the first it has. Default: every codec this "
                           "machine can depayload and decode (with decode=false: depayload)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_LATENCY,
      g_param_spec_uint (
          "latency", "Latency",
          "Jitterbuffer latency in milliseconds; with adaptive-latency, the smallest it gets", 0,
          10000, DEFAULT_LATENCY,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_MAX_LATENCY,
      g_param_spec_uint (
          "max-latency", "Maximum latency",
          "With adaptive-latency, the largest jitterbuffer latency, milliseconds", 0, 10000,
          DEFAULT_MAX_LATENCY,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_ADAPTIVE_LATENCY,
      g_param_spec_boolean (
          "adaptive-latency", "Adaptive latency",
          "Let the jitterbuffer latency follow the measured retransmission round trip and jitter "
          "(between latency and max-latency), so lost packets come back in time",
          DEFAULT_ADAPTIVE_LATENCY,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_CURRENT_LATENCY,
      g_param_spec_uint ("current-latency", "Current latency",
                         "The jitterbuffer latency now, milliseconds", 0, 10000, DEFAULT_LATENCY,
                         (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_ICE_LOOPBACK,
      g_param_spec_boolean ("ice-loopback", "ICE on loopback",
                            "Gather ICE candidates on 127.0.0.1 only (tests, same-machine use); "
                            "done anyway when no interface but lo exists",
                            DEFAULT_ICE_LOOPBACK, rw));
  g_object_class_install_property (
      gobject_class, PROP_COMPLETE_ANSWER,
      g_param_spec_boolean ("complete-answer", "Complete answer",
                            "Send the answer once ICE gathering is complete (3 s at most), "
                            "with every candidate in it, instead of trickling them after it "
                            "(a WHIP publisher takes none trickled)",
                            FALSE, rw));
  g_object_class_install_property (
      gobject_class, PROP_REQUEST_CONTROL,
      g_param_spec_boolean ("request-control", "Request control",
                            "Ask the host for mouse/keyboard control when the input channel opens",
                            DEFAULT_REQUEST_CONTROL, rw));
  g_object_class_install_property (
      gobject_class, PROP_CONTROL,
      g_param_spec_boolean ("control", "Control", "Whether the host has granted control", FALSE,
                            (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  const auto ro = (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_LINK_ESTIMATE,
      g_param_spec_uint64 ("link-estimate", "Link estimate",
                           "The host's estimate of what the link from it takes, bit/s "
                           "(0 until the host's first report)",
                           0, (guint64) gv::nav::kMaxLinkBps, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_LINK_LAYER,
      g_param_spec_int ("link-layer", "Link layer",
                        "The video layer the host sends: 0 full size, 1 half, 2 quarter "
                        "(-1 until the host's first report, or without video)",
                        -1, gv::nav::kMaxLinkLayer, -1, ro));
  g_object_class_install_property (
      gobject_class, PROP_LINK_BITRATE,
      g_param_spec_uint64 ("link-bitrate", "Link bitrate",
                           "What the host sent lately, bit/s, by its own count "
                           "(0 until the host's first report)",
                           0, (guint64) gv::nav::kMaxLinkBps, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_RTCP_REFUSED,
      g_param_spec_uint64 ("rtcp-refused", "RTCP refused",
                           "The host's RTCP compound packets dropped before the RTP session "
                           "read them: malformed, or TWCC feedback naming too many packets",
                           0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_CLIPBOARD_REFUSED,
      g_param_spec_uint64 ("clipboard-refused", "Clipboard refused",
                           "gv-clipboard events from downstream (gvclipboard) not sent to the "
                           "host because it has not granted clipboard",
                           0, G_MAXUINT64, 0, ro));

  g_object_class_install_property (
      gobject_class, PROP_MEDIA_TIMEOUT,
      g_param_spec_uint ("media-timeout", "Media timeout",
                         "Seconds without media, once it has flowed, after which the session "
                         "ends with an error (a warning comes after 5 s); 0: only warn. Without "
                         "the signalling server the limit is 10 s: nothing could end the "
                         "session otherwise",
                         0, 3600, DEFAULT_MEDIA_TIMEOUT,
                         (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));

  element_class->change_state = gv_webrtc_src_change_state;
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (
      element_class, "GhostView WebRTC source", "Source/Network/WebRTC",
      "Joins a GhostView session by PIN and outputs its video; sends input back",
      "GhostView contributors");
  GST_DEBUG_CATEGORY_INIT (gv_webrtc_src_debug, "gvwebrtcsrc", 0, "GhostView WebRTC source");
}

static void gv_webrtc_src_init (GvWebRTCSrc *self)
{
  self->priv = new GvWebRTCSrcPrivate ();
  self->priv->jitter_latency = std::make_unique<gv::webrtc::JitterLatency> (GST_ELEMENT (self));
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
  GvPinSignaller *signaller = gv_pin_signaller_new (GV_SIGNALLER_ROLE_VIEWER);
  connect_signaller (self, GV_SIGNALLER (signaller));
  g_object_unref (signaller);
}
