/* ghostview-signaling-loadgen, private header: what the generator's source
 * files share. The options, one WebSocket connection (Conn), one host+viewer
 * session (Session), the latency samples, and the Generator class whose
 * members are defined by concern in:
 *   signaling-loadgen.cpp          main (), option parsing, Generator::run ()
 *   signaling-loadgen-conn.cpp     WebSocket client connections and the
 *                                  payloads they carry
 *   signaling-loadgen-session.cpp  the host/viewer session state machine
 *   signaling-loadgen-phases.cpp   set-up, stdin commands, relay, probes, quit
 *   signaling-loadgen-stats.cpp    CPU time, counters, percentiles and the
 *                                  JSON report lines
 */
#pragma once

#include "protocol.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gv::loadgen {

enum class Wire { GhostView, PeerJS };

struct Options {
  Wire wire = Wire::GhostView;
  std::string url;
  std::string viewer_url; /* empty: url (another node of a cluster, --viewer-url) */
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

  /* statistics and report lines */
  std::string counters_json () const;
  static std::string latency_json (std::vector<double> v);
  double cpu_s () const;
  void report_ready ();
  void report_relay ();
  void report_probes ();

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
extern Generator *g_gen;

/* Payloads of realistic size (signaling-loadgen-conn.cpp). */
std::string make_sdp_text (const char *kind, int bytes);
std::string make_candidate_text (int bytes);

inline gint64 now_us ()
{
  return g_get_monotonic_time ();
}

} // namespace gv::loadgen
