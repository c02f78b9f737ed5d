/* A viewer's reports and Retry, through the real signalling server to a
 * real gvwebrtcsink (default GvPinSignaller), with the viewer played by a
 * bare WebSocket client speaking the protocol (signaling/protocol.h): the
 * report becomes a gvwebrtcsink-viewer-report bus message and the
 * viewer-report signal; an answer that rejects the video section (what a
 * browser that decodes none of the codecs sends) is refused by the sink,
 * which reports it and goes on (webrtcbin 1.22 aborts on one); a restart
 * gives the same viewer a fresh offer on a fresh webrtcbin, without a new
 * admission. The browser side of all this: tests/browser/10-viewer-stall. */
#include "bare_viewer.h"
#include "webrtc_harness.h"

#include "protocol.h"

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

using namespace gvtest;
namespace proto = gv::proto;

static const int kTimeoutMs = 20000;

/* What the host's sink said, from its threads. */
struct SinkLog {
  std::mutex lock;
  std::vector<std::string> reports;  /* "problem|detail|codec" of viewer-report */
  std::vector<std::string> messages; /* element messages, serialised */
  int added = 0, removed = 0;

  bool has_message (const std::string &part)
  {
    std::lock_guard<std::mutex> guard (lock);
    for (const auto &m : messages)
      if (m.find (part) != std::string::npos)
        return true;
    return false;
  }
  size_t report_count ()
  {
    std::lock_guard<std::mutex> guard (lock);
    return reports.size ();
  }
};

static GstBusSyncReply log_element_message (GstBus *, GstMessage *msg, gpointer data)
{
  auto *log = static_cast<SinkLog *> (data);
  const GstStructure *s = gst_message_get_structure (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s) {
    gchar *text = gst_structure_to_string (s);
    std::lock_guard<std::mutex> guard (log->lock);
    log->messages.emplace_back (text);
    g_free (text);
  }
  return GST_BUS_PASS;
}

static void attach_log (Pipeline &host, SinkLog &log)
{
  GstBus *bus = gst_element_get_bus (host.pipeline);
  gst_bus_set_sync_handler (bus, log_element_message, &log, nullptr);
  gst_object_unref (bus);
  GstElement *sink = host.get ("host");
  g_signal_connect (sink, "viewer-report",
                    G_CALLBACK (+[] (GstElement *, const char *, const char *problem,
                                     const char *detail, const char *codec, gpointer data) {
                      auto *l = static_cast<SinkLog *> (data);
                      std::lock_guard<std::mutex> guard (l->lock);
                      l->reports.push_back (std::string (problem) + "|" + detail + "|" + codec);
                    }),
                    &log);
  g_signal_connect (sink, "viewer-added",
                    G_CALLBACK (+[] (GstElement *, const char *, const char *, gpointer data) {
                      std::lock_guard<std::mutex> guard (static_cast<SinkLog *> (data)->lock);
                      static_cast<SinkLog *> (data)->added++;
                    }),
                    &log);
  g_signal_connect (sink, "viewer-removed",
                    G_CALLBACK (+[] (GstElement *, const char *, gpointer data) {
                      std::lock_guard<std::mutex> guard (static_cast<SinkLog *> (data)->lock);
                      static_cast<SinkLog *> (data)->removed++;
                    }),
                    &log);
}

/* a=NAME:value lines of an SDP text, in order. */
static std::vector<std::string> attribute_values (const std::string &sdp, const std::string &name)
{
  std::vector<std::string> out;
  std::string key = "a=" + name + ":";
  for (size_t at = sdp.find (key); at != std::string::npos; at = sdp.find (key, at + 1)) {
    size_t end = sdp.find_first_of ("\r\n", at);
    out.push_back (sdp.substr (at + key.size (), end - at - key.size ()));
  }
  return out;
}

/* What Chromium answers when it decodes none of the video codecs offered:
 * the video section rejected (port 0, out of the BUNDLE group), the data
 * channel's section accepted. */
static std::string rejecting_answer (const std::string &offer)
{
  std::vector<std::string> mids = attribute_values (offer, "mid");
  fail_unless (mids.size () == 2, "the offer has %d sections", (int) mids.size ());
  std::string fingerprint = "sha-256 ";
  for (int i = 0; i < 32; i++)
    fingerprint += std::string (i ? ":" : "") + "AB";
  return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE " + mids[1] +
         "\r\na=msid-semantic: WMS\r\n"
         "m=video 0 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:q85w\r\na=ice-pwd:fyn7p83GQnSYPzVlP+j4GBtb\r\na=fingerprint:" +
         fingerprint + "\r\na=setup:active\r\na=mid:" + mids[0] +
         "\r\na=recvonly\r\na=rtcp-mux\r\n"
         "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:E8Tv\r\na=ice-pwd:TMg2vuudISTW88OToGQBHGCw\r\na=fingerprint:" +
         fingerprint + "\r\na=setup:active\r\na=mid:" + mids[1] + "\r\na=sctp-port:5000\r\n";
}

GST_START_TEST (test_reports_rejected_answer_and_restart)
{
  TestServer server;
  SinkLog log;
  Pipeline host (host_description (server.ws_url (), "video-codec=vp8"));
  attach_log (host, log);
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());

  BareViewer viewer (server.ws_url ());
  viewer.send (proto::make_join (host.pin, "Bob"));
  fail_unless (viewer.expect (proto::Type::Joined).type == proto::Type::Joined, "not admitted");
  proto::Message offer = viewer.expect (proto::Type::Sdp);
  fail_unless (offer.type == proto::Type::Sdp, "no offer");
  std::string first_offer = proto::get_string (offer, "sdp");

  /* A report: a bus message naming the viewer, and the signal. */
  viewer.send (
      proto::make_report ("", proto::kProblemNoMedia, "connected; no video packet in 10 s", "VP8"));
  fail_unless (wait_until ([&] { return log.report_count () == 1; }, kTimeoutMs, &host),
               "no viewer-report signal");
  {
    std::lock_guard<std::mutex> guard (log.lock);
    fail_unless_equals_string (log.reports[0].c_str (),
                               "no-media|connected; no video packet in 10 s|VP8");
  }
  fail_unless (log.has_message ("gvwebrtcsink-viewer-report"), "no bus message");
  fail_unless (log.has_message ("name=(string)Bob, problem=(string)no-media"), "no viewer name");
  fail_unless (log.has_message ("observed-by=(string)viewer"));

  /* A browser that decodes none of the codecs rejects the video section:
   * the sink says so and keeps going. */
  viewer.send (proto::make_sdp ("", "answer", rejecting_answer (first_offer)));
  fail_unless (wait_until ([&] { return log.report_count () == 2; }, kTimeoutMs, &host),
               "the rejected answer was not reported");
  {
    std::lock_guard<std::mutex> guard (log.lock);
    fail_unless (log.reports[1].rfind ("no-common-codec|", 0) == 0, "%s", log.reports[1].c_str ());
  }
  fail_unless (log.has_message ("observed-by=(string)host"));
  wait_until ([&] { return host.warnings > 0; }, kTimeoutMs, &host);
  fail_unless (host.warning.find ("cannot play the video offered") != std::string::npos, "%s",
               host.warning.c_str ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());

  /* Retry: a fresh offer (new ICE credentials) for the same viewer, with
   * no new admission and no viewer-removed. */
  viewer.send (proto::make_restart (""));
  proto::Message again = viewer.expect (proto::Type::Sdp);
  fail_unless (again.type == proto::Type::Sdp, "no new offer after a restart");
  std::string second_offer = proto::get_string (again, "sdp");
  fail_unless (attribute_values (second_offer, "ice-ufrag") !=
                   attribute_values (first_offer, "ice-ufrag"),
               "the same ICE credentials: not a fresh peer connection");
  fail_unless (wait_until ([&] { return log.has_message ("gvwebrtcsink-viewer-restart"); },
                           kTimeoutMs, &host),
               "no gvwebrtcsink-viewer-restart message");
  host.pump (300);
  {
    std::lock_guard<std::mutex> guard (log.lock);
    fail_unless_equals_int (log.added, 1);
    fail_unless_equals_int (log.removed, 0);
  }
  GstStructure *stats = nullptr;
  g_object_get (host.get ("host"), "stats", &stats, nullptr);
  guint count = 0;
  gst_structure_get_uint (stats, "viewer-count", &count);
  gst_structure_free (stats);
  fail_unless_equals_int (count, 1);
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

static Suite *reports_suite (void)
{
  Suite *s = suite_create ("webrtc-server-reports");
  TCase *tc = tcase_create ("reports");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_reports_rejected_answer_and_restart);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (reports);
