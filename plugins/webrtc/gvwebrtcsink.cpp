/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-gvwebrtcsink
 * @title: gvwebrtcsink
 * @short_description: share a video stream with many viewers over WebRTC,
 * signalled by a PIN (6 digits; 9 while the server sees a flood of wrong PINs)
 *
 * gvwebrtcsink registers a session with the GhostView signalling server and
 * posts its PIN on the bus. Each viewer that joins with the PIN gets a
 * webrtcbin of its own; all of them are fed by shared encoders (encode
 * once per quality layer, never once per viewer; see "Real networks"), and
 * a new viewer gets a keyframe at once. Raw video is
 * encoded with `video-codec` (vp8, vp9, or H.264 constrained-baseline,
 * offered as profile-level-id 42e01f) using low-latency settings; encoded
 * video (video/x-vp8, video/x-vp9, video/x-h264) is payloaded as is.
 *
 * Every viewer gets the codec it can decode: raw video is offered in
 * `video-codec` and, after it, in `fallback-codec` (VP8 by default), and
 * the viewer's answer picks one. The viewers of the fallback codec share
 * its encoders as the others share theirs (one more ladder, encoded only
 * while someone watches it), so a Firefox without H.264 watching an H.264
 * host costs one more encoder, not one per viewer. Stats and the
 * `gvwebrtcsink-codec` message say who gets which.
 *
 * An `audio_%u` pad (one, beside the one `video_%u` pad) adds an audio
 * track to the same peer connection: raw audio is encoded once to Opus at
 * 48 kHz (`audio-bitrate`), Opus is payloaded as is. Viewers wait until every
 * requested pad has started; a pad requested once viewers are connected is
 * sent to the viewers who join after it.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! gvwebrtcsink signaller::server=ws://127.0.0.1:8443/ws
 * ]| prints (with -m) a `gvwebrtcsink-session` element message carrying the PIN.
 * |[
 * gst-launch-1.0 -m videotestsrc is-live=true ! video/x-raw,width=1280,height=720 ! \
 *     gvwebrtcsink signaller::server=ws://127.0.0.1:8443/ws video-codec=h264 max-viewers=3 \
 *     allow-control=true
 * ]|
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! gvwebrtcsink name=s \
 *     signaller::server=ws://127.0.0.1:8443/ws  audiotestsrc is-live=true ! s.audio_0
 * ]| shares video and sound.
 *
 * ## Bus messages
 * - element message `gvwebrtcsink-session`: what the signaller announces
 *   about the session, unread by the element. With the default
 *   GvPinSignaller: `pin` (string), `viewer-url` (string), `expires-at`
 *   (gint64, Unix seconds), `session-id` (string), `max-viewers` (int).
 *   Posted on every registration, also after a reconnection (a new PIN).
 * - element message `gvwebrtcsink-invite`: an invite link the signaller
 *   asked for (GvPinSignaller's `invite`): `invite-url` (string), `capabilities`
 *   (string, comma list), `uses` (int), `expires-at` (gint64, Unix seconds).
 *   A viewer who joins with it is admitted with what it stands for.
 * - element message `gvwebrtcsink-codec`, once per viewer when its answer
 *   arrived: `peer-id`, `name` and `codec` (string: the RTP encoding name
 *   of the video codec it gets, "VP8", "VP9", "H264", or "none" when it
 *   accepted none of those offered).
 * - element message `gvwebrtcsink-link`, about once a second per viewer
 *   once it has an estimate: what the viewer is told of its link
 *   (`{"t":"link"}`): `peer-id`, `name` (strings), `estimated-bitrate`
 *   (guint64, bit/s), `layer` (int, -1: no video), `bitrate` (guint64,
 *   bit/s sent lately), and `feedback` (string: "twcc" when the viewer's
 *   transport-wide congestion control feedback drives the estimate,
 *   "receiver-reports" when only its RTCP receiver reports do, "none").
 * - element message `gvwebrtcsink-viewer-report`: a viewer sees no
 *   picture, and why (or that it is back): `peer-id`, `name`, `problem`
 *   (string: "no-common-codec": its browser decodes none of the video
 *   codecs offered; "connection-blocked": the peer connection never
 *   connected, a TURN server would help; "connection-lost"; "no-media":
 *   connected, and nothing arrives; "media-stopped": the video played, then
 *   stopped arriving; "cannot-decode": packets arrive, no frame decodes;
 *   "resolved": frames again), `detail` (one line for people), `codec`
 *   (e.g. "VP9", may be empty), `observed-by` ("viewer": the viewer's page
 *   reported it through the signaller; "host": the sink saw it itself, an
 *   answer that rejects a media section, which is not applied). The
 *   `viewer-report` signal (peer-id, problem, detail, codec) says the same.
 * - element message `gvwebrtcsink-viewer-restart` (`peer-id`, `name`): the
 *   viewer asked for the video again (its Retry): its webrtcbin is replaced
 *   by a fresh one with a fresh offer; it stays admitted, with its
 *   capabilities (no viewer-removed / viewer-added).
 * - element message `gvwebrtcsink-viewer-fallback` (`peer-id`, `name`,
 *   `active`, `reason`): a viewer whose peer connection did not connect
 *   now gets pictures over the signalling connection (`active` true), was
 *   refused them (`reason` says why), or left the fallback. See "Fallback".
 * - warning messages when the signalling connection is lost or refused (the
 *   element retries with a backoff; viewers already connected keep
 *   streaming), error messages for a configuration that cannot work.
 * - EOS: when EOS has reached every sink pad the encoders are drained, the session
 *   is ended (every viewer is told, and its gvwebrtcsrc sends EOS
 *   downstream) and the bin posts EOS, so `gst-launch-1.0 -e` finishes.
 *
 * ## Sessions, viewers and control
 * The session's rules are the signaller's: with GvPinSignaller the PIN, its
 * lifetime (`signaller::pin-ttl`) and how many viewers it admits
 * (`signaller::max-viewers`, default 1). The element's own `max-viewers`
 * and `pin-ttl` are kept as aliases of those two.
 *
 * The element decides who of the viewers the signaller lets through gets
 * in, and with which capabilities: every one, with the `view` capability
 * plus `control` when `allow-control` is true; or, when an application
 * connects to `join-request` and returns TRUE, as the application says with
 * the `accept-viewer` / `decline-viewer` action signals. `grant-control`
 * grants or revokes control per viewer; `control-changed` (peer-id,
 * gboolean) tells when a viewer gains or loses control, also when it is
 * admitted with control. `remove-viewer` removes one. With `control-on-request=true` a
 * viewer that sends `{"t":"request-control"}` is granted control
 * (`control-requested` is emitted either way).
 *
 * Signals are emitted from GStreamer's threads: `join-request`,
 * `viewer-added` and the `control-changed` of an admission from the
 * signaller's, `viewer-removed`,
 * `control-requested` and a `control-changed` that follows a request from
 * the sink's own thread (where viewers change state), a `control-changed`
 * after `grant-control` from the caller's. Do not change the pipeline's
 * state from their handlers.
 *
 * ## Fallback
 * A viewer whose peer connection cannot connect (UDP blocked and no TURN
 * server) may ask for the fallback through the signaller (GvPinSignaller:
 * signaling/PROTOCOL.md, "Fallback"): JPEG pictures of the raw video, at
 * most 1280x720 with the input's aspect and at most `fallback-pictures` a
 * second (default 10; 0 refuses the fallback), sent over the signalling
 * WebSocket with no more than two unacknowledged per viewer, so a slow
 * link gets fewer pictures rather than late ones. Nothing is scaled or
 * encoded while no viewer is on it. Its input comes back the same way and
 * passes the input data channel's checks (control, size, flood). Encoded
 * input has no pictures to give: the viewer is told why. The stats count
 * `fallback-viewers` and `fallback-pictures`, and each viewer's `fallback`.
 *
 * ## Terminal
 * With `terminal=true` the sink runs `terminal-command` (default: the
 * user's $SHELL, else /bin/sh) in a pseudo-terminal from READY to PAUSED
 * until PAUSED to READY, and opens a data channel labelled `terminal` to
 * every viewer (messages: gvterminaljson.h). Output goes to every viewer
 * as binary messages, the last 64 KiB first to one who joins later; the
 * terminal's size as `{"t":"size","cols":C,"rows":R}`. A viewer types with
 * `{"t":"input","data":TEXT}`, heeded only while it has `control` (else
 * answered `{"t":"refused","what":"input",...}` and counted in the stats as
 * `terminal-refused`), and resizes with `{"t":"resize","cols":C,"rows":R}`,
 * heeded from a viewer with control (the last one wins). When the program
 * ends, viewers get `{"t":"exit","status":N,"message":"[process exited
 * with status N]"}` and the sink posts a `gvwebrtcsink-terminal` element
 * message (`status` int, `message` string). Stopping the sink hangs the
 * program's process group up (SIGHUP, then SIGKILL) and reaps it. With no
 * video or audio pad the viewers get the terminal alone, no media:
 * |[
 * gst-launch-1.0 gvwebrtcsink signaller::server=ws://127.0.0.1:8443/ws terminal=true
 * ]| gvwebrtcsrc's `terminal-location` records it as asciicast v2.
 *
 * ## Input data channel
 * The sink opens a data channel labelled `control` to every viewer (and
 * accepts channels a viewer opens). Each text message is one JSON object:
 *
 * Compact form, coordinates normalised to 0..1 of the picture:
 * - `{"t":"mm","x":0.5,"y":0.25}` mouse move
 * - `{"t":"md","x":..,"y":..,"b":1}` / `{"t":"mu",...}` button down / up (1 left, 2 middle, 3
 * right)
 * - `{"t":"wh","x":..,"y":..,"dx":0,"dy":-1}` wheel
 * - `{"t":"kd","k":"a"}` / `{"t":"ku","k":"Return"}` key down / up, X11 keysym names ("Shift_L")
 * - `{"t":"td","id":0,"x":..,"y":..,"p":0.5}` / `"tm"` / `"tu"` touch down / motion / up,
 *   `{"t":"tf"}` touch frame, `{"t":"tc"}` touch cancel
 * - `{"t":"request-control"}` ask the host for control
 * - optional `"modifier_state":"shift-mask+control-mask"` on any event
 *
 * gst-plugins-rs control form (its gstwebrtc-api drives us unchanged),
 * coordinates in pixels of the stream:
 * `{"id":N,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":640,"y":360}}}`
 * with events MouseMove, MouseButtonPress/Release (`button`), MouseScroll
 * (`delta_x`, `delta_y`), KeyPress/KeyRelease (`key`), TouchDown/Motion/Up
 * (`identifier`, `pressure`), TouchFrame, TouchCancel; answered with
 * `{"type":"ControlResponseMessage","id":N,"error":null}` or an error string.
 * The host sends each viewer `{"t":"link","estimate":N,"layer":0..2,
 * "bitrate":N}` (bit/s) about once a second: its bandwidth estimate, the
 * layer it watches and what it was sent; a viewer sending it is malformed
 * input. The messages are defined once in gvnavjson.h; the browser's copy
 * (web/js/protocol.js) is checked against it.
 *
 * Events become GstNavigation events pushed upstream on the video pad, in
 * pixels of the negotiated caps (videoscale/videoconvert map them further,
 * gvinputinject injects them). Messages over 4 KiB, malformed ones, and
 * those beyond 500 in a burst / 250 per second per viewer are dropped and
 * counted; so are events from a viewer without control. When a viewer with
 * control leaves or loses control, a custom upstream event `gv-release-all`
 * is pushed so that held keys and buttons are released.
 *
 * ## Assistance channel: chat
 * The sink also opens a data channel labelled `assist` to every viewer
 * (ordered, reliable; messages of at most 64 KiB, defined once in
 * gvassistjson.h, the browser's copy web/js/assist.js). A viewer sends
 * `{"t":"chat","text":TEXT}` (UTF-8, 1 to 4000 bytes, no control
 * characters but newline and tab). From a viewer with the `chat`
 * capability the line is posted as the element message
 * `gvwebrtcsink-chat` (`peer-id`, `name`, `text` strings, `time` gint64
 * Unix milliseconds) and relayed as
 * `{"t":"chat","from":NAME,"peer":PEER,"text":TEXT,"time":MS}` to every
 * viewer with `chat`, the sender included (every viewer sees one ordered
 * history). A viewer without `chat` is answered
 * `{"t":"refused","what":"chat","message":"The host has not allowed chat."}`
 * and counted (`assist-refused`); malformed messages (`assist-malformed`)
 * and those beyond 20 in a burst / 5 per second (`assist-flood`) are
 * dropped and counted, per viewer and for the sink, in `stats`.
 *
 * `allow` (GvCapabilities: view, control, clipboard, file, chat, source) is what every viewer
 * admitted by the default policy gets; `allow-control` is its control bit. The `set-capabilities`
 * action signal (peer-id, GvCapabilities) replaces one viewer's set at any time (the signaller
 * tells the viewer), `send-chat` (text) sends the host's own line, from "Host" with peer "host", to
 * every viewer with `chat` (and posts it as `gvwebrtcsink-chat` too); it returns FALSE for text
 * that is not valid chat text.
 * |[
 * gst-launch-1.0 -m videotestsrc is-live=true ! gvwebrtcsink \
 *     signaller::server=ws://127.0.0.1:8443/ws allow=view+chat
 * ]| prints every viewer's chat line as a `gvwebrtcsink-chat` message.
 *
 * ## Clipboard
 * Clipboard content (UTF-8 text or a PNG, at most 10 MiB) travels the
 * `assist` channel in 32 KiB pieces (gvassistjson.h, "clipboard") and the
 * pipeline as "gv-clipboard" events (plugins/input/gvclipboardevent.h),
 * which gvinputinject turns into the host's X11 clipboard and back: what a
 * viewer with the `clipboard` capability copies leaves the sink upstream
 * (naming the viewer); what the host copies (the event coming down the
 * video pad) goes to every viewer with `clipboard`, and goes no further
 * down. A viewer without it is answered `{"t":"refused","what":"clipboard",
 * ...}` and counted (`assist-refused`). Each exchange posts
 * `gvwebrtcsink-clipboard` (`direction` "from-viewer" or "to-viewers",
 * `peer-id`, `mime`, `size`, `viewers`).
 * |[
 * gst-launch-1.0 gvscreensrc ! gvinputinject backend=xtest ! videoconvert ! \
 *     gvwebrtcsink signaller::server=ws://127.0.0.1:8443/ws allow=view+control+clipboard
 * ]|
 *
 * ## What is shared
 * A viewer with the `source` capability sends `{"t":"list-sources"}` and
 * `{"t":"share","source":ID}` on the `assist` channel (gvassistjson.h);
 * the sink asks upstream with the "gv-sources" query and the "gv-share"
 * event (plugins/capture/gvsharedsource.h), which gvscreensrc answers, and
 * answers the viewer with `{"t":"sources",...}` or a refusal. Every change
 * gvscreensrc announces ("gv-shared", whoever asked: a viewer, the host's
 * `source` property, a closed window) goes to every viewer as
 * `{"t":"shared",...}` and is posted as `gvwebrtcsink-shared` (`source`,
 * `name`, `width`, `height`, `by`, `reason`, `viewers`). The scaled layers
 * of the ladder follow a new picture size. Without `source` the viewer is
 * refused and counted (`assist-refused`).
 * |[
 * gst-launch-1.0 -m gvscreensrc source=display:0 ! videoconvert ! \
 *     gvwebrtcsink signaller::server=ws://127.0.0.1:8443/ws allow=view+source
 * ]|
 *
 * ## File transfer
 * A third data channel, `file` (gvfilejson.h; the browser's copy
 * web/js/filetransfer.js), carries files both ways, one at a time each way:
 * an offer (name, size, SHA-256), an accept (from an offset, to resume a
 * transfer a lost connection cut), 60 KiB chunks sent while the channel
 * holds under 1 MiB, progress, done or failed with a code. Files from a
 * viewer with the `file` capability land in `download-dir` (default:
 * GhostView in the user's downloads): the name sanitised (no path, no
 * `..`, no control characters or device names), never overwriting, hidden
 * as `.ghostview-ID.part` until the SHA-256 matches; at most 1 GiB a file
 * and 4 GiB a connection. A viewer without `file` is answered
 * `NOT_ALLOWED` and counted (`files-refused`). `send-file` (peer-id, path)
 * offers a file to a viewer. Every step posts `gvwebrtcsink-file`:
 * `peer-id`, `name`, `direction` ("incoming", "outgoing"), `state`
 * ("offered", "accepted", "progress", "done", "failed"), `file` (the name
 * offered; for an incoming file done, the path it was saved as), `size`,
 * `bytes` (guint64), `code` and `message` (a failure's).
 * |[
 * gst-launch-1.0 -m videotestsrc is-live=true ! gvwebrtcsink \
 *     signaller::server=ws://127.0.0.1:8443/ws allow=view+file download-dir=/tmp/in
 * ]|
 *
 * ## Real networks
 * All on by default, properties only tune it:
 * - Lost video packets are resent: every viewer negotiates NACK and RTX.
 *   Keyframe requests (a viewer's PLI/FIR, new viewers) are coalesced per
 *   encoder: two in quick succession (a keyframe that arrived too late is
 *   asked for again; the second at least 150 ms after the first), then one
 *   per `keyframe-min-interval` (500 ms), so one lossy viewer cannot flood
 *   the others with keyframes.
 * - Every viewer has a bandwidth estimate (delay- and loss-based, in the
 *   spirit of Google Congestion Control), fed by its transport-wide
 *   congestion control feedback, or its receiver reports where it sends
 *   none. It never exceeds `bitrate`.
 * - Raw video is encoded once per quality layer in use (`video-layers`,
 *   up to 3): full size from `bitrate` down to half of it, half size from
 *   a quarter up to a third of it, quarter size. Each viewer watches the
 *   layer its link takes and moves between layers at a keyframe (through
 *   its own payloader: one continuous RTP stream); each layer is encoded
 *   at the narrowest link of its viewers. A viewer far below the best
 *   viewer's link does not hold the full-size layer down: it moves to a
 *   smaller one. With `video-layers=1` one encoder follows the narrowest
 *   viewer. Encoded input is one layer.
 * - VP8 and VP9 hold their bitrate the way WebRTC stacks set libvpx: a
 *   one-second rate buffer and keyframes of at most three average frames;
 *   below a layer's top (a link asked for less) frames are dropped rather
 *   than the target overshot when the content is too busy for the size.
 * - `stats` gives, per viewer, `estimated-bitrate`, `estimator-state`,
 *   `layer`, `layer-moves`, `nacks-received`, `packets-retransmitted`,
 *   `codec`, `probes` and `probes-carried` (short bursts of retransmitted packets
 *   that test whether a viewer's link takes more, after a dip or while a
 *   small layer sends less than the link could take), `retransmissions-skipped`
 *   (NACKed packets not resent because a keyframe went to the viewer after
 *   them: gvstaleretransmissions.h), and
 *   `feedback-ignored` (malformed congestion feedback, counted and
 *   dropped), `rtcp-refused` (RTCP compound packets refused before
 *   GStreamer's RTP session reads them: gvrtcpguard.h; the sink's own is the
 *   total of every viewer, gone ones included), `file-pace` and `file-pace-cuts`
 *   (the rate a file to that viewer may take now, 0 when nothing limits it,
 *   and how often it halved for the video: gvfilepace.h), and for the sink `layer-bitrates` (and
 * `fallback-layer-bitrates`), `encoders-running`, `keyframe-requests`, `keyframes-forced`.
 * - Each viewer's video reaches its webrtcbin through a gvpacer. With
 *   `pacing` above 0 (off by default), a viewer whose estimate is below
 *   `bitrate` gets its video no faster than the estimate times `pacing`
 *   (a keyframe spread out rather than bursting into a narrow link's
 *   queue); retransmissions and probes are not paced (webrtcbin makes
 *   them after the pacer).
 *
 * ## ICE
 * ICE servers (STUN, TURN with short-term credentials) come from the
 * signalling server. `ice-loopback=true` (or a machine with no interface but
 * `lo`) adds 127.0.0.1 to libnice, which otherwise gathers nothing there.
 * Browsers' mDNS `.local` candidates are resolved with GResolver and dropped
 * (debug log) when they do not resolve.
 */
#include "gvwebrtcsink-private.h"

#include "gvpinsignaller.h"
#include "gvwebrtctexts.h"

GST_DEBUG_CATEGORY (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::MediaKind;
using gv::webrtc::StreamEncoder;

enum {
  PROP_0,
  PROP_SIGNALLER,
  PROP_MAX_VIEWERS,
  PROP_PIN_TTL,
  PROP_ALLOW_CONTROL,
  PROP_ALLOW,
  PROP_CONTROL_ON_REQUEST,
  PROP_VIDEO_CODEC,
  PROP_FALLBACK_CODEC,
  PROP_BITRATE,
  PROP_AUDIO_BITRATE,
  PROP_KEYFRAME_DISTANCE,
  PROP_KEYFRAME_MIN_INTERVAL,
  PROP_VIDEO_LAYERS,
  PROP_PACING,
  PROP_FALLBACK_PICTURES,
  PROP_ALLOW_SNAPSHOT,
  PROP_ICE_LOOPBACK,
  PROP_DOWNLOAD_DIR,
  PROP_STATS,
  PROP_TERMINAL,
  PROP_TERMINAL_COMMAND,
};

#define DEFAULT_ALLOW_CONTROL FALSE
#define DEFAULT_CONTROL_ON_REQUEST FALSE
#define DEFAULT_VIDEO_CODEC GV_WEBRTC_SINK_CODEC_VP8
#define DEFAULT_FALLBACK_CODEC GV_WEBRTC_SINK_FALLBACK_VP8
#define DEFAULT_BITRATE 2000
#define DEFAULT_AUDIO_BITRATE 64
#define DEFAULT_KEYFRAME_DISTANCE 3000
#define DEFAULT_KEYFRAME_MIN_INTERVAL 500
#define DEFAULT_ICE_LOOPBACK FALSE
/* How often each viewer's bitrate and receiver reports are sampled. */
#define STATS_INTERVAL_MS 1000

guint gv_webrtc_sink_signals[GV_SINK_N_SIGNALS];

/* Raw video in any format, I420 first: a source that can give anything
 * (videotestsrc) then gives what the encoders take, instead of the first
 * format on its list (16-bit RGBA, converted at a cost for every frame). */
static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw, format=(string)I420; video/x-raw; video/x-vp8; video/x-vp9; "
                     "video/x-h264, stream-format=(string){ avc, byte-stream }"));

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("audio/x-raw; audio/x-opus"));

static void gv_webrtc_sink_child_proxy_init (gpointer g_iface, gpointer iface_data);

#define gv_webrtc_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GvWebRTCSink, gv_webrtc_sink, GST_TYPE_BIN,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                gv_webrtc_sink_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE (gvwebrtcsink, "gvwebrtcsink", GST_RANK_NONE, GV_TYPE_WEBRTC_SINK);

GType gv_webrtc_sink_codec_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GV_WEBRTC_SINK_CODEC_VP8, "VP8", "vp8" },
    { GV_WEBRTC_SINK_CODEC_VP9, "VP9", "vp9" },
    { GV_WEBRTC_SINK_CODEC_H264, "H.264 constrained baseline", "h264" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GvWebRTCSinkCodec", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType gv_webrtc_sink_fallback_codec_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GV_WEBRTC_SINK_FALLBACK_VP8, "VP8", "vp8" },
    { GV_WEBRTC_SINK_FALLBACK_VP9, "VP9", "vp9" },
    { GV_WEBRTC_SINK_FALLBACK_H264, "H.264 constrained baseline", "h264" },
    { GV_WEBRTC_SINK_FALLBACK_NONE, "No fallback: such viewers get no video", "none" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GvWebRTCSinkFallbackCodec", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

void gv_webrtc_sink_release_all_input (GvWebRTCSink *self)
{
  GST_DEBUG_OBJECT (self, "releasing all held input upstream");
  self->priv->video ().push_upstream (
      gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty ("gv-release-all")));
}

/* ---- pads ---- */

static GstPad *gv_webrtc_sink_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                               const gchar *name, const GstCaps *)
{
  auto *self = GV_WEBRTC_SINK (element);
  bool video = g_str_has_prefix (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video");
  return self->priv->streams[(int) (video ? MediaKind::Video : MediaKind::Audio)]->add_input (
      name, templ);
}

static void gv_webrtc_sink_release_pad (GstElement *element, GstPad *pad)
{
  auto *self = GV_WEBRTC_SINK (element);
  for (auto &stream : self->priv->streams)
    stream->release_input (pad);
  gst_element_remove_pad (element, pad);
}

/* ---- end of stream ---- */

/* GstBin posts EOS once every sink child has, and ours never would: without
 * a viewer it has no sink child at all, and a viewer's webrtcbin, though a
 * sink, never posts EOS (`gst-launch-1.0 -e` hung either way on 1.22). So the
 * bin ends the session itself: the signaller tells every viewer (their
 * gvwebrtcsrc sends EOS downstream), then EOS is posted, and
 * `gst-launch-1.0 -e` or a launcher's Ctrl-C finish. */
static void end_session_and_post_eos (GstElement *element, gpointer data)
{
  auto *self = GV_WEBRTC_SINK (element);
  GvSignaller *signaller;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    signaller = self->priv->signaller.ref ();
  }
  gv_signaller_stop (signaller); /* the host's "end" goes out before it returns */
  g_object_unref (signaller);
  GST_INFO_OBJECT (self, "session ended, posting EOS");
  GstMessage *eos = gst_message_new_eos (GST_OBJECT (self));
  gst_message_set_seqnum (eos, GPOINTER_TO_UINT (data));
  gst_element_post_message (element, eos);
}

/* A stream's EOS went through its chain: when every stream has ended, the
 * session ends. On a streaming thread. */
static void stream_ended (GvWebRTCSink *self, guint32 seqnum)
{
  for (auto &stream : self->priv->streams)
    if (stream->has_input () && !stream->ended ())
      return;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (self->priv->eos_seen || !self->priv->running)
      return;
    self->priv->eos_seen = true;
  }
  GST_INFO_OBJECT (self, "end of stream: ending the session");
  /* Not on the streaming thread: stopping the signaller waits for it. */
  gst_element_call_async (GST_ELEMENT (self), end_session_and_post_eos, GUINT_TO_POINTER (seqnum),
                          nullptr);
}

/* ---- action signals ---- */

static void accept_viewer_action (GvWebRTCSink *self, const char *peer, gboolean control)
{
  gv_webrtc_sink_accept (self, peer ? peer : "", control);
}

static void decline_viewer_action (GvWebRTCSink *self, const char *peer, const char *reason)
{
  gv_webrtc_sink_decline (self, peer ? peer : "", reason);
}

static gboolean grant_control_action (GvWebRTCSink *self, const char *peer, gboolean control)
{
  return gv_webrtc_sink_set_control (self, peer ? peer : "", control);
}

static void remove_viewer_action (GvWebRTCSink *self, const char *peer)
{
  gv_webrtc_sink_remove_viewer (self, peer ? peer : "", true);
}

/* ---- GstElement ---- */

static bool start_session (GvWebRTCSink *self)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  if (!gv_webrtc_sink_start_terminal (self))
    return false;
  priv->thread.start ();
  priv->thread.every (STATS_INTERVAL_MS, [self] () {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (const auto &kv : self->priv->viewers)
      kv.second->sample_stats ();
  });
  /* Moves up the ladder wait for a settled estimate: looked at every
   * second even when no estimate changes. */
  priv->thread.every (STATS_INTERVAL_MS, [self] () { gv_webrtc_sink_follow_estimates (self); });
  GvSignaller *signaller;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->running = true;
    priv->eos_seen = false;
    priv->pending_joins.clear ();
    signaller = priv->signaller.ref ();
  }
  gv_signaller_start (signaller);
  g_object_unref (signaller);
  return true;
}

static void stop_session (GvWebRTCSink *self)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  GvSignaller *signaller;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->running = false;
    signaller = priv->signaller.ref ();
  }
  gv_signaller_stop (signaller);
  g_object_unref (signaller);
  gv_webrtc_sink_remove_all_viewers (self);
  priv->thread.stop (); /* runs the viewers' last tasks: their teardown */
  gv_webrtc_sink_stop_terminal (self);
}

static GstStateChangeReturn gv_webrtc_sink_change_state (GstElement *element,
                                                         GstStateChange transition)
{
  auto *self = GV_WEBRTC_SINK (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    gv::webrtc::prepare_dtls_certificate (); /* long before the first viewer */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start_session (self))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    stop_session (self);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    for (auto &stream : self->priv->streams)
      stream->reset ();
  return ret;
}

/* The element directly inside the sink that `obj` belongs to, or nullptr. */
static GstElement *branch_root (GvWebRTCSink *self, GstObject *obj)
{
  GstObject *cur = obj ? GST_OBJECT (gst_object_ref (obj)) : nullptr;
  while (cur) {
    GstObject *parent = gst_object_get_parent (cur);
    if (parent == GST_OBJECT (self)) {
      gst_object_unref (parent);
      if (GST_IS_ELEMENT (cur))
        return GST_ELEMENT (cur);
      gst_object_unref (cur);
      return nullptr;
    }
    gst_object_unref (cur);
    cur = parent;
  }
  return nullptr;
}

static bool is_webrtcbin (GstElement *element)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  return factory && g_strcmp0 (GST_OBJECT_NAME (factory), "webrtcbin") == 0;
}

/* The bin's EOS is its own (stream_ended): a child's would make GstBin post
 * a second one. An error inside one viewer's branch is that viewer's
 * problem: the viewer is removed and the error becomes a warning, so the
 * host and the other viewers go on. A branch already being removed still
 * counts (sctpenc failing to write once the peer has gone, say). */
static void gv_webrtc_sink_handle_message (GstBin *bin, GstMessage *message)
{
  auto *self = GV_WEBRTC_SINK (bin);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS) {
    GST_DEBUG_OBJECT (bin, "dropping EOS from %s", GST_MESSAGE_SRC_NAME (message));
    gst_message_unref (message);
    return;
  }
  GstElement *root = GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR
                         ? branch_root (self, GST_MESSAGE_SRC (message))
                         : nullptr;
  std::string viewer = root ? gv_webrtc_sink_viewer_of (self, root) : std::string ();
  bool leaving = root && viewer.empty () && is_webrtcbin (root);
  if (root)
    gst_object_unref (root);
  if (viewer.empty () && !leaving) {
    GST_BIN_CLASS (parent_class)->handle_message (bin, message);
    return;
  }
  if (!viewer.empty ())
    gv_webrtc_sink_remove_viewer (self, viewer, true);
  std::string who = viewer.empty () ? std::string ("(leaving)") : viewer;
  GstMessage *converted =
      gv::webrtc::error_as_warning (message, GST_OBJECT (bin), [&] (const char *error) {
        GST_WARNING_OBJECT (bin, "viewer %s: %s; removing it", who.c_str (), error);
        return gv::webrtc::texts::viewer_failed (who, error);
      });
  GST_BIN_CLASS (parent_class)->handle_message (bin, converted);
}

/* ---- GObject ---- */

/* max-viewers and pin-ttl are the PIN signaller's: the element's properties
 * of those names read and write the signaller's. */
static bool forward_to_signaller (GvWebRTCSinkPrivate *priv, const char *name, GValue *get,
                                  const GValue *set)
{
  GObject *signaller = G_OBJECT (priv->signaller.signaller);
  if (!signaller || !g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), name))
    return false;
  if (set)
    g_object_set_property (signaller, name, set);
  else
    g_object_get_property (signaller, name, get);
  return true;
}

static void gv_webrtc_sink_set_property (GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
  auto *self = GV_WEBRTC_SINK (object);
  GvWebRTCSinkPrivate *priv = self->priv;
  if (prop_id == PROP_TERMINAL || prop_id == PROP_TERMINAL_COMMAND) {
    gv_webrtc_sink_set_terminal_property (self, prop_id == PROP_TERMINAL_COMMAND, value);
    return;
  }
  std::unique_lock<std::mutex> guard (priv->lock);
  gv::webrtc::EncoderSettings &settings = priv->encoder_settings;
  switch (prop_id) {
  case PROP_SIGNALLER:
    if (g_value_get_object (value))
      gv_webrtc_sink_attach_signaller (self, GV_SIGNALLER (g_value_get_object (value)));
    break;
  case PROP_MAX_VIEWERS:
  case PROP_PIN_TTL:
    forward_to_signaller (priv, pspec->name, nullptr, value);
    break;
  case PROP_ALLOW_CONTROL:
    priv->allow = g_value_get_boolean (value) ? priv->allow | GV_CAPABILITY_CONTROL
                                              : priv->allow & ~GV_CAPABILITY_CONTROL;
    break;
  case PROP_ALLOW:
    priv->allow = (g_value_get_flags (value) & gv::kAllCapabilities) | GV_CAPABILITY_VIEW;
    break;
  case PROP_DOWNLOAD_DIR:
    priv->download_dir = g_value_get_string (value) && *g_value_get_string (value)
                             ? g_value_get_string (value)
                             : gv_webrtc_sink_default_download_dir ();
    break;
  case PROP_CONTROL_ON_REQUEST:
    priv->control_on_request = g_value_get_boolean (value);
    break;
  case PROP_VIDEO_CODEC:
    settings.codec = (GvWebRTCSinkCodec) g_value_get_enum (value);
    break;
  case PROP_FALLBACK_CODEC:
    settings.fallback_codec = (GvWebRTCSinkFallbackCodec) g_value_get_enum (value);
    break;
  case PROP_BITRATE:
  case PROP_AUDIO_BITRATE: {
    (prop_id == PROP_BITRATE ? settings.bitrate_kbps : settings.audio_bitrate_kbps) =
        g_value_get_uint (value);
    gv::webrtc::EncoderSettings now = settings;
    guard.unlock ();
    for (auto &stream : priv->streams)
      stream->apply_settings (now);
    break;
  }
  case PROP_KEYFRAME_DISTANCE:
    settings.keyframe_distance = g_value_get_uint (value);
    break;
  case PROP_VIDEO_LAYERS:
    settings.video_layers = g_value_get_int (value);
    break;
  case PROP_PACING:
    priv->pacing = g_value_get_double (value);
    break;
  case PROP_FALLBACK_PICTURES:
    priv->fallback_fps = g_value_get_uint (value);
    if (priv->fallback_feed)
      priv->fallback_feed->set_fps (gv_webrtc_sink_feed_fps (priv->fallback_fps));
    break;
  case PROP_ALLOW_SNAPSHOT:
    priv->allow_snapshot = g_value_get_boolean (value);
    break;
  case PROP_KEYFRAME_MIN_INTERVAL: {
    settings.keyframe_min_interval_ms = g_value_get_uint (value);
    gv::webrtc::EncoderSettings now = settings;
    guard.unlock ();
    for (auto &stream : priv->streams)
      stream->apply_settings (now);
    break;
  }
  case PROP_ICE_LOOPBACK:
    priv->ice_loopback = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_webrtc_sink_get_property (GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
  auto *self = GV_WEBRTC_SINK (object);
  GvWebRTCSinkPrivate *priv = self->priv;
  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gv_webrtc_sink_collect_stats (self));
    return;
  }
  if (prop_id == PROP_TERMINAL || prop_id == PROP_TERMINAL_COMMAND) {
    gv_webrtc_sink_get_terminal_property (self, prop_id == PROP_TERMINAL_COMMAND, value);
    return;
  }
  std::lock_guard<std::mutex> guard (priv->lock);
  const gv::webrtc::EncoderSettings &settings = priv->encoder_settings;
  switch (prop_id) {
  case PROP_SIGNALLER:
    g_value_set_object (value, priv->signaller.signaller);
    break;
  case PROP_MAX_VIEWERS:
  case PROP_PIN_TTL:
    if (!forward_to_signaller (priv, pspec->name, value, nullptr))
      g_param_value_set_default (pspec, value);
    break;
  case PROP_ALLOW_CONTROL:
    g_value_set_boolean (value, (priv->allow & GV_CAPABILITY_CONTROL) != 0);
    break;
  case PROP_ALLOW:
    g_value_set_flags (value, priv->allow);
    break;
  case PROP_DOWNLOAD_DIR:
    g_value_set_string (value, priv->download_dir.c_str ());
    break;
  case PROP_CONTROL_ON_REQUEST:
    g_value_set_boolean (value, priv->control_on_request);
    break;
  case PROP_VIDEO_CODEC:
    g_value_set_enum (value, settings.codec);
    break;
  case PROP_FALLBACK_CODEC:
    g_value_set_enum (value, settings.fallback_codec);
    break;
  case PROP_BITRATE:
    g_value_set_uint (value, settings.bitrate_kbps);
    break;
  case PROP_AUDIO_BITRATE:
    g_value_set_uint (value, settings.audio_bitrate_kbps);
    break;
  case PROP_KEYFRAME_DISTANCE:
    g_value_set_uint (value, settings.keyframe_distance);
    break;
  case PROP_KEYFRAME_MIN_INTERVAL:
    g_value_set_uint (value, settings.keyframe_min_interval_ms);
    break;
  case PROP_VIDEO_LAYERS:
    g_value_set_int (value, settings.video_layers);
    break;
  case PROP_PACING:
    g_value_set_double (value, priv->pacing);
    break;
  case PROP_FALLBACK_PICTURES:
    g_value_set_uint (value, priv->fallback_fps);
    break;
  case PROP_ALLOW_SNAPSHOT:
    g_value_set_boolean (value, priv->allow_snapshot);
    break;
  case PROP_ICE_LOOPBACK:
    g_value_set_boolean (value, priv->ice_loopback);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_webrtc_sink_dispose (GObject *object)
{
  auto *self = GV_WEBRTC_SINK (object);
  self->priv->signaller.release ();
  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void gv_webrtc_sink_finalize (GObject *object)
{
  delete GV_WEBRTC_SINK (object)->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static GObject *child_proxy_get_child_by_name (GstChildProxy *proxy, const gchar *name)
{
  auto *self = GV_WEBRTC_SINK (proxy);
  return gv::webrtc::signaller_or_child (proxy, name, self->priv->lock, self->priv->signaller,
                                         parent_class);
}

static void gv_webrtc_sink_child_proxy_init (gpointer g_iface, gpointer)
{
  auto *iface = static_cast<GstChildProxyInterface *> (g_iface);
  iface->get_child_by_name = child_proxy_get_child_by_name;
}

static void install_properties (GObjectClass *gobject_class)
{
  const auto rw =
      (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto rw_playing =
      (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto alias = (GParamFlags) (rw | G_PARAM_DEPRECATED);
  g_object_class_install_property (gobject_class, PROP_SIGNALLER,
                                   gv::webrtc::signaller_param_spec ());
  g_object_class_install_property (
      gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_int ("max-viewers", "Max viewers",
                        "The signaller's max-viewers (GvPinSignaller: viewers admitted at once, "
                        "and the PIN's number of uses); prefer signaller::max-viewers",
                        1, 64, 1, alias));
  g_object_class_install_property (
      gobject_class, PROP_PIN_TTL,
      g_param_spec_int ("pin-ttl", "PIN TTL",
                        "The signaller's pin-ttl (seconds the PIN stays valid; 0: the server's "
                        "default, 10 minutes); prefer signaller::pin-ttl",
                        0, 24 * 3600, 0, alias));
  g_object_class_install_property (
      gobject_class, PROP_ALLOW_CONTROL,
      g_param_spec_boolean ("allow-control", "Allow control",
                            "Grant mouse/keyboard control to every viewer admitted by the default "
                            "policy (default: view only); the control bit of allow",
                            DEFAULT_ALLOW_CONTROL, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_ALLOW,
      g_param_spec_flags ("allow", "Allow",
                          "Capabilities every viewer gets when admitted (view always; e.g. "
                          "\"view+control+chat\"); allow-control sets its control bit",
                          GV_TYPE_CAPABILITIES, GV_CAPABILITY_VIEW, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_DOWNLOAD_DIR,
      g_param_spec_string ("download-dir", "Download folder",
                           "Where files from viewers with the file capability land (made when "
                           "the first one comes; default: GhostView in the user's downloads)",
                           nullptr, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_CONTROL_ON_REQUEST,
      g_param_spec_boolean ("control-on-request", "Control on request",
                            "Grant control to a viewer that asks for it on the input channel",
                            DEFAULT_CONTROL_ON_REQUEST, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CODEC,
      g_param_spec_enum ("video-codec", "Video codec", "Codec used to encode raw video",
                         GV_TYPE_WEBRTC_SINK_CODEC, DEFAULT_VIDEO_CODEC, rw));
  g_object_class_install_property (
      gobject_class, PROP_FALLBACK_CODEC,
      g_param_spec_enum ("fallback-codec", "Fallback codec",
                         "Codec for viewers that cannot decode video-codec (offered beside it; "
                         "each viewer's answer picks one), encoded once for all of them; "
                         "none: such viewers get no video. Raw input only",
                         GV_TYPE_WEBRTC_SINK_FALLBACK_CODEC, DEFAULT_FALLBACK_CODEC, rw));
  g_object_class_install_property (
      gobject_class, PROP_BITRATE,
      g_param_spec_uint ("bitrate", "Bitrate", "Target bitrate of the shared encoder, kbit/s", 50,
                         100000, DEFAULT_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_BITRATE,
      g_param_spec_uint ("audio-bitrate", "Audio bitrate",
                         "Bitrate of the shared Opus encoder (raw audio on audio_%u), kbit/s", 6,
                         510, DEFAULT_AUDIO_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_KEYFRAME_DISTANCE,
      g_param_spec_uint ("keyframe-distance", "Keyframe distance",
                         "Maximum frames between keyframes (new viewers and losses ask for one)", 1,
                         100000, DEFAULT_KEYFRAME_DISTANCE, rw));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_LAYERS,
      g_param_spec_int ("video-layers", "Video layers",
                        "Quality layers of raw video, each encoded once while a viewer watches "
                        "it: full size (bitrate down to half of it), half size, quarter size. "
                        "A viewer watches the layer its link takes and moves at a keyframe; "
                        "1: one encoder, slowed to the narrowest viewer's link",
                        1, gv::webrtc::kMaxLayers, gv::webrtc::kMaxLayers, rw));
  g_object_class_install_property (
      gobject_class, PROP_PACING,
      g_param_spec_double ("pacing", "Pacing",
                           "While a viewer's bandwidth estimate is below bitrate, its video "
                           "leaves no faster than the estimate times this (bursts such as "
                           "keyframes spread out instead of overflowing a narrow link); 0: "
                           "not paced",
                           0, 10, gv::webrtc::kDefaultPacing, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_FALLBACK_PICTURES,
      g_param_spec_uint ("fallback-pictures", "Fallback pictures per second",
                         "Most JPEG pictures a second for a viewer whose peer connection did not "
                         "connect and that asks for the fallback over the signalling connection "
                         "(raw video input only); 0: no fallback",
                         0, 30, gv::webrtc::kDefaultFallbackFps, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_ALLOW_SNAPSHOT,
      g_param_spec_boolean ("allow-snapshot", "Allow snapshots",
                            "Answer the signalling service's snapshot requests (its session "
                            "API, behind API keys) with one JPEG still of the raw video each "
                            "(default: refused)",
                            FALSE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_KEYFRAME_MIN_INTERVAL,
      g_param_spec_uint ("keyframe-min-interval", "Keyframe minimum interval",
                         "Keyframe requests (new viewers, a viewer's PLI/FIR): two are served in "
                         "quick succession (150 ms apart at least), then one per this many "
                         "milliseconds (one more at the end of the interval), so one lossy viewer "
                         "cannot flood the others (0: no limit)",
                         0, 10000, DEFAULT_KEYFRAME_MIN_INTERVAL, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_ICE_LOOPBACK,
      g_param_spec_boolean ("ice-loopback", "ICE on loopback",
                            "Gather ICE candidates on 127.0.0.1 only (tests, same-machine use); "
                            "done anyway when no interface but lo exists",
                            DEFAULT_ICE_LOOPBACK, rw));
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Stats",
                          "gvwebrtcsink-stats: input counters and a `viewers` array of "
                          "gvwebrtcsink-viewer structures (peer-id, bitrate over the last 2 s, "
                          "rtt, packets-lost, frames-sent, ...), as last sampled (every second); "
                          "reading it never waits",
                          GST_TYPE_STRUCTURE,
                          (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  gv_webrtc_sink_install_terminal_properties (gobject_class, PROP_TERMINAL, PROP_TERMINAL_COMMAND);
}

static void install_signals (GType type)
{
  auto &signals = gv_webrtc_sink_signals;
  signals[GV_SINK_SIGNAL_VIEWER_ADDED] =
      g_signal_new ("viewer-added", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                    G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[GV_SINK_SIGNAL_VIEWER_REMOVED] =
      g_signal_new ("viewer-removed", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                    G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[GV_SINK_SIGNAL_JOIN_REQUEST] =
      g_signal_new ("join-request", type, G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled,
                    nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[GV_SINK_SIGNAL_CONTROL_REQUESTED] =
      g_signal_new ("control-requested", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                    G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[GV_SINK_SIGNAL_CONTROL_CHANGED] =
      g_signal_new ("control-changed", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                    G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
  const auto action = (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
  signals[GV_SINK_SIGNAL_ACCEPT_VIEWER] = g_signal_new_class_handler (
      "accept-viewer", type, action, G_CALLBACK (accept_viewer_action), nullptr, nullptr, nullptr,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[GV_SINK_SIGNAL_DECLINE_VIEWER] = g_signal_new_class_handler (
      "decline-viewer", type, action, G_CALLBACK (decline_viewer_action), nullptr, nullptr, nullptr,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[GV_SINK_SIGNAL_GRANT_CONTROL] = g_signal_new_class_handler (
      "grant-control", type, action, G_CALLBACK (grant_control_action), nullptr, nullptr, nullptr,
      G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[GV_SINK_SIGNAL_REMOVE_VIEWER] =
      g_signal_new_class_handler ("remove-viewer", type, action, G_CALLBACK (remove_viewer_action),
                                  nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  gv_webrtc_sink_install_report_signal (type);
  gv_webrtc_sink_install_assist_signals (type);
  gv_webrtc_sink_install_file_signals (type);
}

static void gv_webrtc_sink_class_init (GvWebRTCSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  bin_class->handle_message = gv_webrtc_sink_handle_message;
  gobject_class->set_property = gv_webrtc_sink_set_property;
  gobject_class->get_property = gv_webrtc_sink_get_property;
  gobject_class->dispose = gv_webrtc_sink_dispose;
  gobject_class->finalize = gv_webrtc_sink_finalize;
  install_properties (gobject_class);
  install_signals (G_TYPE_FROM_CLASS (klass));

  element_class->request_new_pad = gv_webrtc_sink_request_new_pad;
  element_class->release_pad = gv_webrtc_sink_release_pad;
  element_class->change_state = gv_webrtc_sink_change_state;
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class, "GhostView WebRTC sink",
                                         "Sink/Network/WebRTC",
                                         "Shares video and audio with viewers who join by PIN, one "
                                         "shared encoder for all, input back-channel",
                                         "GhostView contributors");

  gst_type_mark_as_plugin_api (GV_TYPE_WEBRTC_SINK_CODEC, (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GV_TYPE_CAPABILITIES, (GstPluginAPIFlags) 0);
  GST_DEBUG_CATEGORY_INIT (gv_webrtc_sink_debug, "gvwebrtcsink", 0, "GhostView WebRTC sink");
}

static void gv_webrtc_sink_init (GvWebRTCSink *self)
{
  GvWebRTCSinkPrivate *priv = new GvWebRTCSinkPrivate ();
  self->priv = priv;
  for (MediaKind kind : { MediaKind::Video, MediaKind::Audio })
    priv->streams[(int) kind] = std::make_unique<StreamEncoder> (
        kind, GST_ELEMENT (self),
        StreamEncoder::Callbacks{
            [priv] () {
              std::lock_guard<std::mutex> guard (priv->lock);
              return priv->encoder_settings;
            },
            [self] () { gv_webrtc_sink_streams_ready (self); },
            [self] (guint32 seqnum) { stream_ended (self, seqnum); },
            [self] (const char *mime, GBytes *data) {
              gv_webrtc_sink_clipboard_from_host (self, mime, data);
            },
            [self] (const GvShareableSource &source, const std::string &by,
                    const std::string &reason) {
              gv_webrtc_sink_shared (self, source, by, reason);
            },
            [self] (GstEvent *event) { gv_webrtc_sink_cursor (self, event); },
        });
  gv_webrtc_sink_init_viewers (self);
  /* A sink, whatever the viewers' webrtcbins are: not a source because they
   * hold network sources (the pipeline would send EOS into them), and still a
   * sink once the last viewer's webrtcbin (a sink) is removed. */
  gst_bin_set_suppressed_flags (
      GST_BIN (self), (GstElementFlags) (GST_ELEMENT_FLAG_SOURCE | GST_ELEMENT_FLAG_SINK));
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
  GvPinSignaller *signaller = gv_pin_signaller_new (GV_SIGNALLER_ROLE_HOST);
  gv_webrtc_sink_attach_signaller (self, GV_SIGNALLER (signaller));
  g_object_unref (signaller);
}
