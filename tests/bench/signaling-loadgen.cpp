/* ghostview-signaling-loadgen: a load generator for signalling servers.
 *
 * Holds N concurrent sessions against one server, each a host connection
 * and a viewer connection, and drives the set-up a real session does: the
 * host registers, the viewer joins by PIN, the host accepts and sends an SDP
 * offer and ICE candidates, the viewer answers with its own. Then, on
 * command, it relays ICE candidates back and forth in every session as fast
 * as the server passes them (a closed loop with a fixed window per session)
 * and reports messages/s, or runs "probe" sessions one at a time while the N
 * sessions stay live, to measure join latency on a loaded but quiet server.
 *
 * Two wire protocols:
 *   ghostview  GhostView's (signaling/protocol.h builders and parser), at
 *              ws://HOST:PORT/ws
 *   peerjs     the PeerJS server's (npm "peer"), at ws://HOST:PORT/peerjs:
 *              two peers per session exchange OFFER / ANSWER / CANDIDATE by
 *              id. PeerJS has no PINs: the viewer opens with its OFFER and
 *              the host answers (what a PeerJS caller does).
 *
 * One GMainContext, non-blocking libsoup WebSocket clients, one file
 * descriptor per connection (2 per session): the process raises its soft
 * open-files limit to the hard one and refuses a load it cannot hold; run
 * several processes for more (tests/bench/run-signaling-load.py does).
 *
 * Protocol with the driver: after the sessions are set up it prints one JSON
 * line {"event":"ready",...}; then it reads commands from stdin, one per
 * line, runs them in order and answers each with one JSON line:
 *   relay SECONDS   steady relay phase (1 s warm-up not counted)
 *   probe COUNT     COUNT extra sessions, one at a time, each closed after
 *                   its negotiation; join latency with the N sessions live
 *   stats           counters so far
 *   quit            close everything and exit (also at end of input)
 */
#include "protocol.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace gv;

enum class Wire { GhostView, PeerJS };

struct Options {
  Wire wire = Wire::GhostView;
  std::string url;
  int sessions = 100;
  int concurrency = 64;
  int candidates = 3;
  int sdp_bytes = 4096;
  int candidate_bytes = 100;
  int window = 0; /* relay messages in flight per session; 0: automatic */
  std::string id_prefix = "lg";
  int setup_timeout_s = 90;
};

struct Session;

struct Conn {
  Session *session = nullptr;
  bool is_host = false;
  SoupWebsocketConnection *ws = nullptr;
  bool open = false;
  bool peerjs_open = false; /* PeerJS: OPEN received */
  bool started = false;     /* connect () called */
};

struct Session {
  int index = 0;
  bool probe = false;
  Conn host, viewer;
  std::string pin;
  std::string host_id, viewer_id; /* ids as the server knows them */
  gint64 t_start = 0, t_join = 0, t_joined = 0, t_sdp = 0;
  int host_ice = 0, viewer_ice = 0;
  bool host_sdp = false, viewer_sdp = false;
  bool join_sent = false;
  bool negotiated = false, failed = false, closed = false;
  /* Relay phase: the message each side sends, built once. */
  std::string host_relay, viewer_relay;
};

struct Latencies {
  std::vector<double> joined_ms; /* join sent -> joined (GhostView only) */
  std::vector<double> sdp_ms;    /* first viewer message -> host's SDP at the viewer */
  std::vector<double> setup_ms;  /* session start (connects) -> negotiated */
};

class Generator {
public:
  explicit Generator (Options o);
  ~Generator ();
  int run ();

private:
  /* sessions */
  Session *new_session (bool probe);
  void start_session (Session *s);
  void connect (Conn &c);
  static void on_connected (GObject *source, GAsyncResult *res, gpointer data);
  static void on_message (SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer data);
  static void on_closed (SoupWebsocketConnection *, gpointer data);
  void handle (Conn &c, const char *text, gsize len);
  void handle_ghostview (Conn &c, const char *text, gsize len);
  void handle_peerjs (Conn &c, const char *text, gsize len);
  void maybe_join (Session *s);
  void host_offer (Session *s);
  void check_done (Session *s);
  void fail (Session *s, const std::string &why);
  void finished (Session *s);
  void close_session (Session *s);
  void send (Conn &c, const std::string &text);
  std::string peerjs_message (const char *type, const std::string &dst, const char *payload_kind,
                              const std::string &payload_text);

  /* phases */
  void setup_next ();
  void setup_done ();
  static gboolean on_setup_timeout (gpointer data);
  void read_command ();
  static void on_line (GObject *source, GAsyncResult *res, gpointer data);
  void run_command (const std::string &line);
  void command_done () { read_command (); }
  void start_relay (double seconds);
  static gboolean on_relay_warm (gpointer data);
  static gboolean on_relay_end (gpointer data);
  static gboolean on_relay_drained (gpointer data);
  void start_probes (int count);
  void quit ();
  static gboolean on_quit_timeout (gpointer data);

  std::string counters_json () const;
  static std::string latency_json (std::vector<double> v);
  double cpu_s () const;

  Options opt_;
  GMainLoop *loop_ = nullptr;
  SoupSession *soup_ = nullptr;
  std::string sdp_offer_, sdp_answer_, candidate_;
  std::vector<std::unique_ptr<Session>> sessions_; /* the N held sessions */
  std::vector<std::unique_ptr<Session>> probes_;
  int next_ = 0, in_flight_ = 0, done_ = 0;
  bool setup_finished_ = false;
  gint64 setup_t0_ = 0;
  double setup_cpu0_ = 0;
  guint setup_timeout_id_ = 0;
  Latencies ramp_, probe_lat_;
  std::map<std::string, int> errors_;
  int failed_ = 0, unexpected_closes_ = 0;
  int cut_ = 0; /* sessions still in set-up when the set-up time ran out */
  int window_ = 1;

  /* relay */
  bool relay_active_ = false;
  guint64 relay_count_ = 0, relay_count0_ = 0;
  gint64 relay_t0_ = 0;
  double relay_cpu0_ = 0;
  double relay_seconds_ = 0;

  /* probes */
  int probes_left_ = 0;
  int probe_failed_ = 0;

  /* commands */
  GDataInputStream *stdin_ = nullptr;
  bool quitting_ = false;
  int open_conns_ = 0;
};

/* The one generator; libsoup callbacks get a Conn and reach it here. */
Generator *g_gen = nullptr;

/* ---- payloads of realistic size ---- */

std::string make_sdp_text (const char *kind, int bytes)
{
  /* A Chromium-like SDP: one audio-less BUNDLE with a video and a data
   * m-line, then ssrc and rtpmap lines until it reaches `bytes`. */
  std::string s = "v=0\r\n"
                  "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
                  "s=-\r\nt=0 0\r\n"
                  "a=group:BUNDLE 0 1\r\n"
                  "a=extmap-allow-mixed\r\n"
                  "a=msid-semantic: WMS ghostview\r\n"
                  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102\r\n"
                  "c=IN IP4 0.0.0.0\r\n"
                  "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                  "a=ice-ufrag:EsAw\r\n"
                  "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
                  "a=ice-options:trickle\r\n"
                  "a=fingerprint:sha-256 D7:87:1A:4D:9B:5C:6E:2F:30:41:52:63:74:85:96:A7:B8:C9:"
                  "DA:EB:FC:0D:1E:2F:30:41:52:63:74:85:96:A7\r\n";
  s += std::string ("a=setup:") + (strcmp (kind, "offer") == 0 ? "actpass" : "active") + "\r\n";
  s += "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtcp-rsize\r\n";
  int pt = 96;
  while ((int) s.size () < bytes - 200) {
    char line[256];
    g_snprintf (line, sizeof line,
                "a=rtpmap:%d VP8/90000\r\na=rtcp-fb:%d goog-remb\r\na=rtcp-fb:%d transport-cc\r\n"
                "a=rtcp-fb:%d ccm fir\r\na=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\n",
                pt, pt, pt, pt, pt, pt);
    s += line;
    pt++;
  }
  s += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
       "a=sctp-port:5000\r\n";
  while ((int) s.size () < bytes)
    s += "a=x-pad\r\n";
  s.resize (bytes);
  return s;
}

std::string make_candidate_text (int bytes)
{
  std::string c = "candidate:1467250027 1 udp 2122260223 192.0.2.10 46243 typ host generation 0 "
                  "ufrag EsAw network-id 1 network-cost 10";
  while ((int) c.size () < bytes)
    c += " x";
  c.resize (bytes);
  return c;
}

gint64 now_us ()
{
  return g_get_monotonic_time ();
}

/* ---- Generator ---- */

Generator::Generator (Options o) : opt_ (std::move (o))
{
  loop_ = g_main_loop_new (nullptr, FALSE);
  soup_ = soup_session_new_with_options ("max-conns", 1 << 20, "max-conns-per-host", 1 << 20,
                                         "timeout", 60, "idle-timeout", 0, nullptr);
  sdp_offer_ = make_sdp_text ("offer", opt_.sdp_bytes);
  sdp_answer_ = make_sdp_text ("answer", opt_.sdp_bytes);
  candidate_ = make_candidate_text (opt_.candidate_bytes);
  window_ = opt_.window > 0 ? opt_.window : std::clamp (4000 / std::max (1, opt_.sessions), 1, 64);
}

Generator::~Generator ()
{
  g_clear_object (&stdin_);
  g_clear_object (&soup_);
  g_main_loop_unref (loop_);
}

double Generator::cpu_s () const
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Session *Generator::new_session (bool probe)
{
  auto s = std::make_unique<Session> ();
  s->probe = probe;
  s->index = probe ? (int) probes_.size () : (int) sessions_.size ();
  s->host.session = s.get ();
  s->host.is_host = true;
  s->viewer.session = s.get ();
  if (opt_.wire == Wire::PeerJS) {
    /* Our own ids: "<prefix>-<h|v><p?><index>" */
    std::string base = opt_.id_prefix + (probe ? "-p" : "-") + std::to_string (s->index);
    s->host_id = base + "h";
    s->viewer_id = base + "v";
  }
  Session *raw = s.get ();
  (probe ? probes_ : sessions_).push_back (std::move (s));
  return raw;
}

void Generator::start_session (Session *s)
{
  s->t_start = now_us ();
  in_flight_++;
  /* The viewer connects once the host is ready (registered / OPEN), as a
   * person would, and so that at most one connect per session in set-up
   * is waiting on the server's listen queue at a time. */
  connect (s->host);
}

void Generator::connect (Conn &c)
{
  if (c.started)
    return;
  c.started = true;
  std::string url = opt_.url;
  if (opt_.wire == Wire::PeerJS) {
    const std::string &id = c.is_host ? c.session->host_id : c.session->viewer_id;
    url += "?key=peerjs&id=" + id + "&token=tk" + id;
  }
  SoupMessage *msg = soup_message_new ("GET", url.c_str ());
  if (!msg) {
    g_printerr ("loadgen: bad URL %s\n", url.c_str ());
    exit (2);
  }
  soup_session_websocket_connect_async (soup_, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
                                        on_connected, &c);
  g_object_unref (msg);
}

void Generator::on_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  auto &c = *static_cast<Conn *> (data);
  Session *s = c.session;
  GError *error = nullptr;
  SoupWebsocketConnection *ws =
      soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &error);
  Generator *self = g_gen;
  if (!ws) {
    self->fail (s, std::string ("connect: ") + error->message);
    g_error_free (error);
    return;
  }
  c.ws = ws;
  c.open = true;
  self->open_conns_++;
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1024 * 1024);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), &c);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), &c);
  if (s->failed || s->closed) {
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    return;
  }
  if (self->opt_.wire == Wire::GhostView) {
    if (c.is_host) {
      proto::RegisterParams p;
      p.max_viewers = 1;
      p.name = "bench host " + std::to_string (s->index);
      self->send (c, proto::make_register (p));
    } else {
      self->maybe_join (s);
    }
  }
  /* PeerJS: wait for OPEN. */
}

void Generator::on_message (SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer data)
{
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  auto &c = *static_cast<Conn *> (data);
  gsize len = 0;
  const char *text = static_cast<const char *> (g_bytes_get_data (bytes, &len));
  g_gen->handle (c, text, len);
}

void Generator::on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  auto &c = *static_cast<Conn *> (data);
  Generator *self = g_gen;
  c.open = false;
  self->open_conns_--;
  Session *s = c.session;
  if (!s->closed && !self->quitting_) {
    self->unexpected_closes_++;
    gushort code = soup_websocket_connection_get_close_code (ws);
    self->fail (s, "closed by server (" + std::to_string (code) + ")");
  }
  g_signal_handlers_disconnect_by_data (ws, data);
  g_object_unref (ws);
  c.ws = nullptr;
  if (self->quitting_ && self->open_conns_ <= 0)
    g_main_loop_quit (self->loop_);
}

void Generator::send (Conn &c, const std::string &text)
{
  if (c.ws && c.open && soup_websocket_connection_get_state (c.ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (c.ws, text.c_str ());
}

std::string Generator::peerjs_message (const char *type, const std::string &dst,
                                       const char *payload_kind, const std::string &payload_text)
{
  /* What the PeerJS client library sends (peerjs/lib/negotiator.ts). */
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "dst");
  json_builder_add_string_value (b, dst.c_str ());
  json_builder_set_member_name (b, "payload");
  json_builder_begin_object (b);
  if (strcmp (payload_kind, "candidate") == 0) {
    json_builder_set_member_name (b, "candidate");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "candidate");
    json_builder_add_string_value (b, payload_text.c_str ());
    json_builder_set_member_name (b, "sdpMLineIndex");
    json_builder_add_int_value (b, 0);
    json_builder_set_member_name (b, "sdpMid");
    json_builder_add_string_value (b, "0");
    json_builder_end_object (b);
  } else {
    json_builder_set_member_name (b, "sdp");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, payload_kind);
    json_builder_set_member_name (b, "sdp");
    json_builder_add_string_value (b, payload_text.c_str ());
    json_builder_end_object (b);
  }
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "media");
  json_builder_set_member_name (b, "connectionId");
  json_builder_add_string_value (b, "mc_ghostviewbench");
  json_builder_end_object (b);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out (text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

void Generator::handle (Conn &c, const char *text, gsize len)
{
  Session *s = c.session;
  if (s->closed)
    return; /* being closed by us: what the server still says is moot */
  if (s->negotiated) {
    /* Fast path for the relay phase: the only traffic after negotiation
     * is relayed candidates, recognised by their type without parsing. */
    const char *tag = opt_.wire == Wire::GhostView ? "\"ice\"" : "\"CANDIDATE\"";
    gsize head = std::min<gsize> (len, 24);
    bool is_candidate = g_strstr_len (text, head, tag) != nullptr;
    if (is_candidate) {
      if (relay_active_ && !s->probe) {
        relay_count_++;
        send (c, c.is_host ? s->host_relay : s->viewer_relay);
      }
      return;
    }
  }
  if (opt_.wire == Wire::GhostView)
    handle_ghostview (c, text, len);
  else
    handle_peerjs (c, text, len);
}

void Generator::maybe_join (Session *s)
{
  if (s->join_sent || s->pin.empty () || !s->viewer.open)
    return;
  s->join_sent = true;
  s->t_join = now_us ();
  send (s->viewer, proto::make_join (s->pin, "bench viewer " + std::to_string (s->index)));
}

void Generator::handle_ghostview (Conn &c, const char *text, gsize len)
{
  Session *s = c.session;
  proto::Message m;
  proto::ParseError perr;
  if (!proto::parse (text, len, m, perr)) {
    fail (s, std::string ("unparsable message from server: ") + perr.message);
    return;
  }
  using proto::Type;
  if (m.type == Type::Error) {
    std::string code = proto::get_string (m, "code");
    errors_[code]++;
    fail (s, "error " + code + ": " + proto::get_string (m, "message"));
    return;
  }
  if (c.is_host) {
    switch (m.type) {
    case Type::Registered:
      s->pin = proto::get_string (m, "pin");
      s->host_id = proto::get_string (m, "peer");
      connect (s->viewer);
      break;
    case Type::JoinRequest:
      s->viewer_id = proto::get_string (m, "peer");
      host_offer (s);
      break;
    case Type::Sdp:
      s->host_sdp = true;
      check_done (s);
      break;
    case Type::Ice:
      s->host_ice++;
      check_done (s);
      break;
    case Type::PeerLeft:
      fail (s, "peer-left");
      break;
    default:
      break;
    }
  } else {
    switch (m.type) {
    case Type::Waiting:
      break;
    case Type::Joined:
      s->t_joined = now_us ();
      break;
    case Type::Sdp:
      s->t_sdp = now_us ();
      s->viewer_sdp = true;
      send (c, proto::make_sdp ("", "answer", sdp_answer_));
      for (int i = 0; i < opt_.candidates; i++)
        send (c, proto::make_ice ("", candidate_, 0, "0"));
      s->viewer_relay = proto::make_ice ("", candidate_, 0, "0");
      check_done (s);
      break;
    case Type::Ice:
      s->viewer_ice++;
      check_done (s);
      break;
    case Type::SessionEnded:
      fail (s, "session-ended");
      break;
    default:
      break;
    }
  }
}

void Generator::host_offer (Session *s)
{
  /* What gvwebrtcsink does on a join request it admits: accept, then its
   * offer and its candidates as they are gathered. */
  send (s->host, proto::make_accept (s->viewer_id, proto::kCapView));
  send (s->host, proto::make_sdp (s->viewer_id, "offer", sdp_offer_));
  std::string ice = proto::make_ice (s->viewer_id, candidate_, 0, "0");
  for (int i = 0; i < opt_.candidates; i++)
    send (s->host, ice);
  s->host_relay = ice;
}

void Generator::handle_peerjs (Conn &c, const char *text, gsize len)
{
  Session *s = c.session;
  JsonParser *parser = json_parser_new ();
  std::string type;
  if (json_parser_load_from_data (parser, text, (gssize) len, nullptr)) {
    JsonNode *root = json_parser_get_root (parser);
    if (root && JSON_NODE_HOLDS_OBJECT (root)) {
      JsonObject *o = json_node_get_object (root);
      if (json_object_has_member (o, "type"))
        type = json_object_get_string_member_with_default (o, "type", "");
    }
  }
  g_object_unref (parser);

  if (type == "OPEN") {
    c.peerjs_open = true;
    if (c.is_host && !s->viewer.started) {
      connect (s->viewer);
      return;
    }
    if (s->host.peerjs_open && s->viewer.peerjs_open && !s->join_sent) {
      /* The viewer calls the host: its offer and candidates. */
      s->join_sent = true;
      s->t_join = now_us ();
      send (s->viewer, peerjs_message ("OFFER", s->host_id, "offer", sdp_offer_));
      std::string ice = peerjs_message ("CANDIDATE", s->host_id, "candidate", candidate_);
      for (int i = 0; i < opt_.candidates; i++)
        send (s->viewer, ice);
      s->viewer_relay = ice;
    }
  } else if (type == "OFFER" && c.is_host) {
    s->host_sdp = true;
    send (s->host, peerjs_message ("ANSWER", s->viewer_id, "answer", sdp_answer_));
    std::string ice = peerjs_message ("CANDIDATE", s->viewer_id, "candidate", candidate_);
    for (int i = 0; i < opt_.candidates; i++)
      send (s->host, ice);
    s->host_relay = ice;
    check_done (s);
  } else if (type == "ANSWER" && !c.is_host) {
    s->t_sdp = now_us ();
    s->viewer_sdp = true;
    check_done (s);
  } else if (type == "CANDIDATE") {
    (c.is_host ? s->host_ice : s->viewer_ice)++;
    check_done (s);
  } else {
    errors_["peerjs " + (type.empty () ? std::string ("unparsable") : type)]++;
    fail (s, "PeerJS message " + std::string (text, std::min<gsize> (len, 200)));
  }
}

void Generator::check_done (Session *s)
{
  if (s->negotiated || s->failed)
    return;
  if (!(s->host_sdp && s->viewer_sdp && s->host_ice >= opt_.candidates &&
        s->viewer_ice >= opt_.candidates))
    return;
  s->negotiated = true;
  Latencies &l = s->probe ? probe_lat_ : ramp_;
  gint64 t = now_us ();
  if (s->t_joined)
    l.joined_ms.push_back ((s->t_joined - s->t_join) / 1000.0);
  l.sdp_ms.push_back ((s->t_sdp - s->t_join) / 1000.0);
  l.setup_ms.push_back ((t - s->t_start) / 1000.0);
  finished (s);
}

void Generator::fail (Session *s, const std::string &why)
{
  if (s->failed)
    return;
  bool was_negotiated = s->negotiated;
  s->failed = true;
  if (s->probe)
    probe_failed_++;
  else
    failed_++;
  static int printed = 0;
  if (printed++ < 10)
    g_printerr ("loadgen: session %s%d failed: %s\n", s->probe ? "probe " : "", s->index,
                why.c_str ());
  close_session (s);
  if (!was_negotiated)
    finished (s);
}

void Generator::close_session (Session *s)
{
  s->closed = true;
  for (Conn *c : { &s->viewer, &s->host })
    if (c->ws && c->open &&
        soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
}

void Generator::finished (Session *s)
{
  in_flight_--;
  if (s->probe) {
    if (!s->failed)
      close_session (s);
    if (probes_left_ > 0) {
      probes_left_--;
      start_session (new_session (true));
    } else if (in_flight_ == 0) {
      std::string out = "{\"event\":\"probe\",\"count\":" + std::to_string (probes_.size ()) +
                        ",\"failed\":" + std::to_string (probe_failed_) +
                        ",\"join_joined_ms\":" + latency_json (probe_lat_.joined_ms) +
                        ",\"join_sdp_ms\":" + latency_json (probe_lat_.sdp_ms) +
                        ",\"setup_ms\":" + latency_json (probe_lat_.setup_ms) + "}";
      std::printf ("%s\n", out.c_str ());
      std::fflush (stdout);
      command_done ();
    }
    return;
  }
  done_++;
  if (!setup_finished_)
    setup_next ();
}

/* ---- setup phase ---- */

void Generator::setup_next ()
{
  while (in_flight_ < opt_.concurrency && next_ < opt_.sessions) {
    next_++;
    start_session (new_session (false));
  }
  if (done_ >= opt_.sessions)
    setup_done ();
}

gboolean Generator::on_setup_timeout (gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  self->setup_timeout_id_ = 0;
  g_printerr ("loadgen: set-up did not finish in %d s (%d of %d done)\n",
              self->opt_.setup_timeout_s, self->done_, self->opt_.sessions);
  self->next_ = self->opt_.sessions; /* start no more */
  for (auto &s : self->sessions_)
    if (!s->negotiated && !s->failed) {
      self->cut_++;
      self->failed_--; /* counted as cut, not failed */
      self->fail (s.get (), "set-up timeout");
    }
  self->setup_done ();
  return G_SOURCE_REMOVE;
}

void Generator::setup_done ()
{
  if (setup_finished_)
    return;
  setup_finished_ = true;
  if (setup_timeout_id_)
    g_source_remove (setup_timeout_id_);
  setup_timeout_id_ = 0;
  int live = 0;
  for (auto &s : sessions_)
    live += s->negotiated && !s->failed;
  std::string out =
      "{\"event\":\"ready\",\"sessions\":" + std::to_string (opt_.sessions) +
      ",\"live\":" + std::to_string (live) + ",\"failed\":" + std::to_string (failed_) +
      ",\"cut\":" + std::to_string (cut_) +
      ",\"setup_s\":" + std::to_string ((now_us () - setup_t0_) / 1e6) +
      ",\"cpu_s\":" + std::to_string (cpu_s () - setup_cpu0_) +
      ",\"concurrency\":" + std::to_string (opt_.concurrency) +
      ",\"window\":" + std::to_string (window_) +
      ",\"join_joined_ms\":" + latency_json (ramp_.joined_ms) +
      ",\"join_sdp_ms\":" + latency_json (ramp_.sdp_ms) +
      ",\"setup_ms\":" + latency_json (ramp_.setup_ms) + ",\"counters\":" + counters_json () + "}";
  std::printf ("%s\n", out.c_str ());
  std::fflush (stdout);
  read_command ();
}

/* ---- commands ---- */

void Generator::read_command ()
{
  if (quitting_)
    return;
  g_data_input_stream_read_line_async (stdin_, G_PRIORITY_DEFAULT, nullptr, on_line, this);
}

void Generator::on_line (GObject *source, GAsyncResult *res, gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  gsize len = 0;
  gchar *line =
      g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), res, &len, nullptr);
  if (!line) {
    self->quit ();
    return;
  }
  std::string cmd = g_strstrip (line);
  g_free (line);
  self->run_command (cmd);
}

void Generator::run_command (const std::string &line)
{
  gchar **argv = g_strsplit (line.c_str (), " ", 2);
  std::string cmd = argv[0] ? argv[0] : "";
  std::string arg = argv[0] && argv[1] ? argv[1] : "";
  g_strfreev (argv);
  if (cmd.empty ()) {
    command_done ();
  } else if (cmd == "relay") {
    start_relay (arg.empty () ? 5.0 : g_ascii_strtod (arg.c_str (), nullptr));
  } else if (cmd == "probe") {
    start_probes (arg.empty () ? 20 : atoi (arg.c_str ()));
  } else if (cmd == "stats") {
    std::printf ("{\"event\":\"stats\",\"counters\":%s}\n", counters_json ().c_str ());
    std::fflush (stdout);
    command_done ();
  } else if (cmd == "quit") {
    quit ();
  } else {
    std::printf ("{\"event\":\"error\",\"message\":\"unknown command\"}\n");
    std::fflush (stdout);
    command_done ();
  }
}

/* ---- relay phase ---- */

void Generator::start_relay (double seconds)
{
  relay_seconds_ = std::max (0.1, seconds);
  relay_active_ = true;
  relay_count_ = 0;
  for (auto &s : sessions_) {
    if (!s->negotiated || s->failed)
      continue;
    for (int i = 0; i < window_; i++)
      send (s->host, s->host_relay);
  }
  /* One second of warm-up, then the measured window. */
  g_timeout_add (1000, on_relay_warm, this);
}

gboolean Generator::on_relay_warm (gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  self->relay_count0_ = self->relay_count_;
  self->relay_t0_ = now_us ();
  self->relay_cpu0_ = self->cpu_s ();
  g_timeout_add ((guint) (self->relay_seconds_ * 1000), on_relay_end, self);
  return G_SOURCE_REMOVE;
}

gboolean Generator::on_relay_end (gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  self->relay_active_ = false;
  double secs = (now_us () - self->relay_t0_) / 1e6;
  guint64 n = self->relay_count_ - self->relay_count0_;
  char buf[512];
  g_snprintf (buf, sizeof buf,
              "{\"event\":\"relay\",\"messages\":%" G_GUINT64_FORMAT
              ",\"seconds\":%.3f,\"rate\":%.1f,\"window\":%d,\"cpu_s\":%.3f,\"failed\":%d,"
              "\"counters\":%s}",
              n, secs, n / secs, self->window_, self->cpu_s () - self->relay_cpu0_, self->failed_,
              self->counters_json ().c_str ());
  std::printf ("%s\n", buf);
  std::fflush (stdout);
  /* Let what is still in flight arrive (and be ignored) before the next
   * command measures anything. */
  g_timeout_add (300, on_relay_drained, self);
  return G_SOURCE_REMOVE;
}

gboolean Generator::on_relay_drained (gpointer data)
{
  static_cast<Generator *> (data)->command_done ();
  return G_SOURCE_REMOVE;
}

/* ---- probes ---- */

void Generator::start_probes (int count)
{
  probe_lat_ = Latencies ();
  probe_failed_ = 0;
  probes_.clear ();
  if (count <= 0) {
    std::printf ("{\"event\":\"probe\",\"count\":0}\n");
    std::fflush (stdout);
    command_done ();
    return;
  }
  probes_left_ = count - 1;
  start_session (new_session (true));
}

/* ---- end ---- */

void Generator::quit ()
{
  if (quitting_)
    return;
  quitting_ = true;
  for (auto *list : { &sessions_, &probes_ })
    for (auto &s : *list)
      close_session (s.get ());
  if (open_conns_ <= 0)
    g_main_loop_quit (loop_);
  else
    g_timeout_add_seconds (2, on_quit_timeout, this);
}

gboolean Generator::on_quit_timeout (gpointer data)
{
  g_main_loop_quit (static_cast<Generator *> (data)->loop_);
  return G_SOURCE_REMOVE;
}

std::string Generator::counters_json () const
{
  std::string e = "{";
  bool first = true;
  for (const auto &[k, v] : errors_) {
    e += (first ? "\"" : ",\"") + k + "\":" + std::to_string (v);
    first = false;
  }
  e += "}";
  return "{\"failed\":" + std::to_string (failed_) +
         ",\"unexpected_closes\":" + std::to_string (unexpected_closes_) +
         ",\"open_connections\":" + std::to_string (open_conns_) + ",\"errors\":" + e + "}";
}

std::string Generator::latency_json (std::vector<double> v)
{
  if (v.empty ())
    return "null";
  std::sort (v.begin (), v.end ());
  /* The raw values too, so a driver running several generators can merge
   * them into one distribution. */
  std::string all = "[";
  for (std::size_t i = 0; i < v.size (); i++) {
    char num[32];
    g_snprintf (num, sizeof num, i ? ",%.3f" : "%.3f", v[i]);
    all += num;
  }
  all += "]";
  auto pct = [&v] (double p) {
    /* nearest-rank */
    std::size_t rank = (std::size_t) std::ceil (p / 100.0 * v.size ());
    return v[std::min (v.size () - 1, rank == 0 ? 0 : rank - 1)];
  };
  char buf[256];
  g_snprintf (buf, sizeof buf,
              "{\"n\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"all\":", v.size (),
              pct (50), pct (90), pct (99), v.back ());
  return buf + all + "}";
}

int Generator::run ()
{
  /* One descriptor per connection, two per session, plus probes. */
  struct rlimit rl;
  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
    getrlimit (RLIMIT_NOFILE, &rl);
  }
  rlim_t need = (rlim_t) opt_.sessions * 2 + 64;
  if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur) {
    g_printerr ("loadgen: %d sessions need %lu descriptors; this process may open %lu. "
                "Run several processes (run-signaling-load.py shards the load).\n",
                opt_.sessions, (unsigned long) need, (unsigned long) rl.rlim_cur);
    return 2;
  }

  GInputStream *in = g_unix_input_stream_new (0, FALSE);
  stdin_ = g_data_input_stream_new (in);
  g_object_unref (in);

  setup_t0_ = now_us ();
  setup_cpu0_ = cpu_s ();
  setup_timeout_id_ = g_timeout_add_seconds ((guint) opt_.setup_timeout_s, on_setup_timeout, this);
  if (opt_.sessions <= 0)
    setup_done ();
  else
    setup_next ();
  g_main_loop_run (loop_);
  return 0;
}

} // namespace

int main (int argc, char **argv)
{
  Options o;
  gchar *wire = nullptr, *url = nullptr, *prefix = nullptr;
  GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &wire, "ghostview (default) or peerjs", "NAME" },
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url,
      "WebSocket URL: ws://127.0.0.1:PORT/ws (ghostview) or ws://127.0.0.1:PORT/peerjs", "URL" },
    { "sessions", 'n', 0, G_OPTION_ARG_INT, &o.sessions, "Concurrent sessions to hold (100)", "N" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &o.concurrency, "Sessions being set up at once (64)",
      "N" },
    { "candidates", 0, 0, G_OPTION_ARG_INT, &o.candidates,
      "ICE candidates each side sends in set-up (3)", "N" },
    { "sdp-bytes", 0, 0, G_OPTION_ARG_INT, &o.sdp_bytes, "SDP size (4096)", "BYTES" },
    { "candidate-bytes", 0, 0, G_OPTION_ARG_INT, &o.candidate_bytes, "Candidate size (100)",
      "BYTES" },
    { "window", 'w', 0, G_OPTION_ARG_INT, &o.window,
      "Relay messages in flight per session (default: 4000/N, 1..64)", "N" },
    { "id-prefix", 0, 0, G_OPTION_ARG_STRING, &prefix, "PeerJS id prefix (lg)", "TEXT" },
    { "setup-timeout", 0, 0, G_OPTION_ARG_INT, &o.setup_timeout_s,
      "Give up on set-up after this long (90)", "SECONDS" },
    { nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr },
  };
  GOptionContext *ctx = g_option_context_new ("- signalling load generator");
  g_option_context_set_summary (
      ctx, "Holds N host+viewer sessions against a GhostView or PeerJS signalling server.\n"
           "After set-up reads commands from stdin: relay SECONDS | probe COUNT | stats | quit.");
  g_option_context_add_main_entries (ctx, entries, nullptr);
  GError *error = nullptr;
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("loadgen: %s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (wire && strcmp (wire, "peerjs") == 0)
    o.wire = Wire::PeerJS;
  else if (wire && strcmp (wire, "ghostview") != 0) {
    g_printerr ("loadgen: --protocol is ghostview or peerjs\n");
    return 2;
  }
  if (!url) {
    g_printerr ("loadgen: --url is required\n");
    return 2;
  }
  o.url = url;
  if (prefix)
    o.id_prefix = prefix;
  o.concurrency = std::max (1, o.concurrency);
  g_free (wire);
  g_free (url);
  g_free (prefix);

  Generator gen (o);
  g_gen = &gen;
  return gen.run ();
}
