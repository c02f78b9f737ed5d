#include "webrtc_harness.h"

#include "server.h"

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>

#ifdef GV_HAVE_LIBCRYPTO
#include <openssl/crypto.h>
#endif

#include <condition_variable>

namespace gvtest {

/* GStreamer's DTLS and libnice threads can still be winding down when a test
 * process exits; OpenSSL's atexit cleanup would free state under them. Its
 * documented remedy for threaded programs is to skip that cleanup. */
__attribute__ ((constructor)) static void keep_openssl_state_at_exit ()
{
#ifdef GV_HAVE_LIBCRYPTO
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, nullptr);
#endif
}

TestCertificate::TestCertificate ()
{
  gchar *tmp = g_dir_make_tmp ("gv-webrtc-tls-XXXXXX", nullptr);
  fail_unless (tmp != nullptr);
  dir = tmp;
  g_free (tmp);
  cert_file = dir + "/cert.pem";
  key_file = dir + "/key.pem";
  /* The address goes in subjectAltName too: GnuTLS checks an IP there. */
  const gchar *argv[] = { "openssl",  "req",
                          "-x509",    "-newkey",
                          "rsa:2048", "-nodes",
                          "-days",    "1",
                          "-subj",    "/CN=127.0.0.1",
                          "-addext",  "subjectAltName=IP:127.0.0.1",
                          "-keyout",  key_file.c_str (),
                          "-out",     cert_file.c_str (),
                          nullptr };
  gchar *err_out = nullptr;
  gint status = -1;
  GError *err = nullptr;
  gboolean spawned = g_spawn_sync (nullptr, (gchar **) argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr,
                                   nullptr, nullptr, &err_out, &status, &err);
  fail_unless (spawned, "cannot run openssl: %s", err ? err->message : "?");
  fail_unless (g_spawn_check_wait_status (status, nullptr), "openssl req failed: %s", err_out);
  g_free (err_out);
}

TestCertificate::~TestCertificate ()
{
  g_unlink (cert_file.c_str ());
  g_unlink (key_file.c_str ());
  g_rmdir (dir.c_str ());
}

struct TestServer::Impl {
  GMainContext *ctx = nullptr;
  GMainLoop *loop = nullptr;
  GThread *thread = nullptr;
  std::unique_ptr<gv::signaling::Server> server;
  int pin_ttl_s = 600;
  std::string tls_cert_file, tls_key_file; /* empty: plain ws:// */
  std::string api_keys_file;               /* empty: no session API */
  guint port = 0;                          /* 0: a free one, the first time */
  std::mutex lock;
  std::condition_variable cond;
  std::string start_error; /* set by the server thread when it cannot start */
  bool ready = false;
  std::string url;

  void start ();
  void stop ();
};

static gpointer server_thread (gpointer data)
{
  auto *impl = static_cast<TestServer::Impl *> (data);
  g_main_context_push_thread_default (impl->ctx);
  gv::signaling::ServerConfig config;
  config.address = "127.0.0.1";
  config.port = impl->port;
  config.pin_ttl_s = impl->pin_ttl_s;
  config.tls_cert_file = impl->tls_cert_file;
  config.tls_key_file = impl->tls_key_file;
  config.api_keys_file = impl->api_keys_file;
  GError *err = nullptr;
  impl->server = gv::signaling::Server::create (config, &err);
  if (!impl->server || !impl->server->start (&err)) {
    /* Reported on the test's thread (Impl::start), as a test failure. */
    std::lock_guard<std::mutex> guard (impl->lock);
    impl->start_error = err ? err->message : "unknown error";
    g_clear_error (&err);
    impl->server.reset ();
    impl->ready = true;
    impl->cond.notify_all ();
    g_main_context_pop_thread_default (impl->ctx);
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> guard (impl->lock);
    impl->url = impl->server->ws_url ();
    impl->port = impl->server->port ();
    impl->ready = true;
    impl->cond.notify_all ();
  }
  g_main_loop_run (impl->loop);
  impl->server->stop ();
  impl->server.reset ();
  /* Let the closed connections' last frames and FINs go out. */
  for (int i = 0; i < 100 && g_main_context_iteration (impl->ctx, FALSE); i++)
    ;
  g_main_context_pop_thread_default (impl->ctx);
  return nullptr;
}

void TestServer::Impl::start ()
{
  ctx = g_main_context_new ();
  loop = g_main_loop_new (ctx, FALSE);
  ready = false;
  start_error.clear ();
  thread = g_thread_new ("test-server", server_thread, this);
  std::string failure;
  {
    std::unique_lock<std::mutex> guard (lock);
    cond.wait (guard, [this] { return ready; });
    failure = start_error;
  }
  if (!failure.empty ()) {
    stop ();
    fail ("cannot start the signalling server: %s", failure.c_str ());
  }
}

void TestServer::Impl::stop ()
{
  if (!thread)
    return;
  g_main_loop_quit (loop);
  g_thread_join (thread);
  thread = nullptr;
  g_main_loop_unref (loop);
  g_main_context_unref (ctx);
  loop = nullptr;
  ctx = nullptr;
}

TestServer::TestServer (int pin_ttl_s) : impl_ (new Impl ())
{
  impl_->pin_ttl_s = pin_ttl_s;
  impl_->start ();
  url_ = impl_->url;
}

TestServer::TestServer (int pin_ttl_s, const std::string &api_keys_file) : impl_ (new Impl ())
{
  impl_->pin_ttl_s = pin_ttl_s;
  impl_->api_keys_file = api_keys_file;
  impl_->start ();
  url_ = impl_->url;
}

std::string TestServer::http_url () const
{
  /* ws[s]://HOST:PORT/ws */
  std::string base = url_.substr (0, url_.rfind ("/ws"));
  return (g_str_has_prefix (base.c_str (), "wss://") ? "https://" : "http://") +
         base.substr (base.find ("://") + 3);
}

TestServer::TestServer (const TestCertificate &tls) : impl_ (new Impl ())
{
  impl_->tls_cert_file = tls.cert_file;
  impl_->tls_key_file = tls.key_file;
  impl_->start ();
  url_ = impl_->url;
  fail_unless (g_str_has_prefix (url_.c_str (), "wss://"), "a TLS server at %s", url_.c_str ());
}

TestServer::~TestServer ()
{
  impl_->stop ();
}

void TestServer::stop ()
{
  impl_->stop ();
}

void TestServer::restart ()
{
  impl_->stop ();
  impl_->start ();
  fail_unless (impl_->url == url_, "the new server listens at %s, not %s", impl_->url.c_str (),
               url_.c_str ());
}

Pipeline::Pipeline (const std::string &description)
{
  GError *err = nullptr;
  pipeline = gst_parse_launch (description.c_str (), &err);
  /* A description gst_parse_launch only partly understood (a missing
   * element or property) still gives a pipeline: fail on the error too. */
  fail_unless (pipeline != nullptr && err == nullptr, "cannot parse \"%s\": %s",
               description.c_str (), err ? err->message : "?");
}

Pipeline::~Pipeline ()
{
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GstElement *Pipeline::get (const char *name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  if (e)
    gst_object_unref (e); /* the pipeline keeps it */
  return e;
}

void Pipeline::play ()
{
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
}

void Pipeline::pump (int ms)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gint64 end = g_get_monotonic_time () + ms * 1000;
  while (true) {
    gint64 left = end - g_get_monotonic_time ();
    if (left <= 0)
      break;
    msg = gst_bus_timed_pop (bus, left * 1000);
    if (!msg)
      break;
    switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      if (error.empty ()) {
        GError *err = nullptr;
        gst_message_parse_error (msg, &err, nullptr);
        error = err->message;
        g_error_free (err);
      }
      break;
    case GST_MESSAGE_WARNING: {
      GError *err = nullptr;
      gst_message_parse_warning (msg, &err, nullptr);
      /* A launch line's link to a pad that never came (gvwebrtcsrc signals
       * no-more-pads when it gets no media): the parser's, not an element's
       * warning, and the launcher does not show it either. */
      if (err->domain != GST_PARSE_ERROR || err->code != GST_PARSE_ERROR_DELAYED_LINK) {
        warning = err->message;
        warnings++;
      }
      g_error_free (err);
      break;
    }
    case GST_MESSAGE_EOS:
      eos = true;
      break;
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "gvwebrtcsink-session")) {
        /* A GvDirectSignaller's session has a room, not a PIN. */
        const gchar *announced = gst_structure_get_string (s, "pin");
        pin = announced ? announced : "";
        sessions++;
      }
      break;
    }
    default:
      break;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
}

BufferCounter::~BufferCounter ()
{
  gst_caps_replace (&caps, nullptr);
}

void BufferCounter::attach (GstPad *pad)
{
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [] (GstPad *p, GstPadProbeInfo *, gpointer data) {
        auto *self = static_cast<BufferCounter *> (data);
        GstCaps *c = gst_pad_get_current_caps (p);
        {
          std::lock_guard<std::mutex> guard (self->lock);
          gst_caps_replace (&self->caps, c);
        }
        if (c)
          gst_caps_unref (c);
        self->buffers++;
        return GST_PAD_PROBE_OK;
      },
      this, nullptr);
}

std::string BufferCounter::caps_string ()
{
  std::lock_guard<std::mutex> guard (lock);
  if (!caps)
    return "";
  gchar *s = gst_caps_to_string (caps);
  std::string out = s;
  g_free (s);
  return out;
}

void UpstreamCatcher::attach (GstPad *pad)
{
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      [] (GstPad *, GstPadProbeInfo *info, gpointer data) {
        auto *self = static_cast<UpstreamCatcher *> (data);
        GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
        std::lock_guard<std::mutex> guard (self->lock);
        if (GST_EVENT_TYPE (ev) == GST_EVENT_NAVIGATION) {
          self->navigation++;
          const GstStructure *s = gst_event_get_structure (ev);
          self->last_type = gst_structure_get_string (s, "event");
          gst_structure_get_double (s, "pointer_x", &self->last_x);
          gst_structure_get_double (s, "pointer_y", &self->last_y);
        } else if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_UPSTREAM &&
                   gst_event_has_name (ev, "gv-release-all")) {
          self->release_all++;
        }
        return GST_PAD_PROBE_OK;
      },
      this, nullptr);
}

void count_at (Pipeline &p, const char *name, BufferCounter &counter)
{
  GstPad *pad = gst_element_get_static_pad (p.get (name), "src");
  counter.attach (pad);
  gst_object_unref (pad);
}

bool wait_for_pin (Pipeline &host, int timeout_ms)
{
  return wait_until ([&] { return !host.pin.empty () || !host.error.empty (); }, timeout_ms,
                     &host) &&
         host.error.empty ();
}

std::string host_description (const std::string &url, const std::string &extra)
{
  return "videotestsrc is-live=true ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 "
         "! "
         "identity name=up ! gvwebrtcsink name=host ice-loopback=true signaller::server=" +
         url + " " + extra;
}

std::string viewer_description (const std::string &url, const std::string &pin,
                                const std::string &extra, const std::string &downstream)
{
  return "gvwebrtcsrc name=viewer ice-loopback=true signaller::server=" + url + " pin=" + pin +
         " " + extra + " ! " + downstream;
}

} // namespace gvtest
