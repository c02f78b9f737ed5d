/* The PIN signaller over wss:// to the real signalling server with a
 * self-signed certificate made at test time: trusted through ca-file or
 * insecure-tls, a host and a viewer register, join and get frames; without
 * either, the host warns and the viewer fails, both saying which certificate
 * problem and which setting fixes it; a CA file that is not there is an
 * error that names it. */
#include "webrtc_harness.h"

#include <gst/check/gstcheck.h>

#include <string>

using namespace gvtest;

static const int kTimeoutMs = 20000;
static const char *kTail = "identity name=tap ! fakesink sync=false";

static bool contains (const std::string &text, const char *part)
{
  return text.find (part) != std::string::npos;
}

/* A host and a viewer that both trust the server through `trust` (signaller
 * properties) register, join and get frames. */
static void check_session_over_tls (const std::string &trust)
{
  BufferCounter frames;
  TestCertificate cert;
  TestServer server (cert);
  std::string settings = trust == "ca-file" ? "signaller::ca-file=" + cert.cert_file : trust;
  Pipeline host (host_description (server.ws_url (), settings));
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN over %s with %s: %s", server.ws_url ().c_str (),
               settings.c_str (), host.error.c_str ());
  fail_unless_equals_int (host.pin.size (), 6);

  Pipeline viewer (viewer_description (server.ws_url (), host.pin, settings, kTail));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "%d frames with %s (%s)", (int) frames.buffers, settings.c_str (),
               viewer.error.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
  fail_unless_equals_int (host.warnings, 0);
}

GST_START_TEST (test_ca_file_trusts_server)
{
  check_session_over_tls ("ca-file");
}
GST_END_TEST;

GST_START_TEST (test_insecure_tls)
{
  check_session_over_tls ("signaller::insecure-tls=true");
}
GST_END_TEST;

/* Neither ca-file nor insecure-tls: the self-signed certificate is refused.
 * The host keeps retrying (as for any refused connection) and says why; the
 * viewer stops with an error that says why. */
GST_START_TEST (test_untrusted_certificate)
{
  BufferCounter frames;
  TestCertificate cert;
  TestServer server (cert);
  /* A real PIN, from a host that does trust the server. */
  Pipeline trusting (host_description (server.ws_url (), "signaller::ca-file=" + cert.cert_file));
  trusting.play ();
  fail_unless (wait_for_pin (trusting), "%s", trusting.error.c_str ());

  Pipeline host (host_description (server.ws_url (), ""));
  host.play ();
  fail_unless (wait_until ([&] { return host.warnings >= 1 || !host.error.empty (); }, kTimeoutMs,
                           &host, &trusting),
               "the host said nothing about the certificate");
  GST_INFO ("host: %s", host.warning.c_str ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
  fail_unless (host.pin.empty (), "got PIN %s from an untrusted server", host.pin.c_str ());
  fail_unless (contains (host.warning, "TLS certificate that is not trusted") &&
                   contains (host.warning, "not signed by a trusted certificate authority") &&
                   contains (host.warning, "signaller::ca-file=") &&
                   contains (host.warning, "signaller::insecure-tls=true") &&
                   contains (host.warning, server.ws_url ().c_str ()),
               "warning \"%s\"", host.warning.c_str ());

  Pipeline viewer (viewer_description (server.ws_url (), trusting.pin, "", kTail));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return !viewer.error.empty (); }, kTimeoutMs, &trusting, &viewer),
               "the viewer reported no error");
  GST_INFO ("viewer: %s", viewer.error.c_str ());
  fail_unless (contains (viewer.error, "TLS certificate that is not trusted") &&
                   contains (viewer.error, "not signed by a trusted certificate authority") &&
                   contains (viewer.error, "signaller::ca-file=") &&
                   contains (viewer.error, "signaller::insecure-tls=true"),
               "error \"%s\"", viewer.error.c_str ());
  fail_unless_equals_int (frames.buffers, 0);
  fail_unless (host.pin.empty ());
}
GST_END_TEST;

/* A CA file that holds another authority: refused, and the error names the
 * file the user gave. */
GST_START_TEST (test_ca_file_of_another_authority)
{
  TestCertificate cert, other;
  TestServer server (cert);
  Pipeline viewer (viewer_description (server.ws_url (), "123456",
                                       "signaller::ca-file=" + other.cert_file, kTail));
  viewer.play ();
  fail_unless (wait_until ([&] { return !viewer.error.empty (); }, kTimeoutMs, &viewer),
               "the viewer reported no error");
  GST_INFO ("viewer: %s", viewer.error.c_str ());
  fail_unless (contains (viewer.error, "TLS certificate that is not trusted") &&
                   contains (viewer.error, ("signaller::ca-file=" + other.cert_file).c_str ()),
               "error \"%s\"", viewer.error.c_str ());
}
GST_END_TEST;

/* A ca-file that does not exist: an error naming it, at once, for both. */
GST_START_TEST (test_missing_ca_file)
{
  TestCertificate cert;
  TestServer server (cert);
  const std::string missing = cert.dir + "/no-such-ca.pem";
  const std::string setting = "signaller::ca-file=" + missing;
  Pipeline host (host_description (server.ws_url (), setting));
  Pipeline viewer (viewer_description (server.ws_url (), "123456", setting, kTail));
  host.play ();
  viewer.play ();
  fail_unless (wait_until ([&] { return !host.error.empty () && !viewer.error.empty (); }, 5000,
                           &host, &viewer),
               "errors: host \"%s\", viewer \"%s\"", host.error.c_str (), viewer.error.c_str ());
  GST_INFO ("host: %s", host.error.c_str ());
  for (const std::string &error : { host.error, viewer.error })
    fail_unless (contains (error, ("Cannot read the CA file " + missing).c_str ()) &&
                     contains (error, "No such file"),
                 "error \"%s\"", error.c_str ());
  fail_unless (host.pin.empty ());
}
GST_END_TEST;

static Suite *webrtc_tls_suite (void)
{
  Suite *s = suite_create ("webrtc-tls");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ca_file_trusts_server);
  tcase_add_test (tc, test_insecure_tls);
  tcase_add_test (tc, test_untrusted_certificate);
  tcase_add_test (tc, test_ca_file_of_another_authority);
  tcase_add_test (tc, test_missing_ca_file);
  return s;
}

GST_CHECK_MAIN (webrtc_tls);
