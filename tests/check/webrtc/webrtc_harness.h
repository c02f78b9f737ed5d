/* Test helpers for gvwebrtcsink / gvwebrtcsrc: the real signalling server on
 * 127.0.0.1 (its own thread and GMainContext), and pipelines driven without
 * a main loop (bus polling), so each test reads as a script. */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace gvtest {

/* A throwaway self-signed certificate for 127.0.0.1 (made with `openssl
 * req`), its key, in a temporary folder that goes with the object. */
struct TestCertificate {
  std::string dir, cert_file, key_file;
  TestCertificate ();
  ~TestCertificate ();
};

/* The real gv::signaling::Server, embedded on a thread of its own. */
class TestServer {
public:
  /* pin_ttl_s: the server's default PIN lifetime (seconds). */
  explicit TestServer (int pin_ttl_s = 600);
  /* With the session API, its keys in `api_keys_file` (--api-keys). */
  TestServer (int pin_ttl_s, const std::string &api_keys_file);
  /* Serves wss:// (and https://) with this certificate. */
  explicit TestServer (const TestCertificate &tls);
  ~TestServer ();
  const std::string &ws_url () const { return url_; }
  /* "http://127.0.0.1:PORT" (or https://) */
  std::string http_url () const;
  /* The server goes away (every connection closed), as a crash or a
   * restart would have it... */
  void stop ();
  /* ...and a new one, with no memory of the old, listens on the same port. */
  void restart ();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
  std::string url_;
};

/* A pipeline and what its bus said. */
struct Pipeline {
  GstElement *pipeline = nullptr;
  std::string error;   /* first error message (the sentence for people) */
  std::string warning; /* last warning message */
  int warnings = 0;
  std::string pin;  /* from a gvwebrtcsink-session message */
  int sessions = 0; /* gvwebrtcsink-session messages seen */
  bool eos = false;

  explicit Pipeline (const std::string &description);
  ~Pipeline ();
  Pipeline (const Pipeline &) = delete;
  Pipeline &operator= (const Pipeline &) = delete;
  GstElement *get (const char *name); /* borrowed */
  void play ();
  /* Pops bus messages for up to `ms` milliseconds. */
  void pump (int ms);
};

/* Polls `cond` while pumping the pipelines' buses, up to `timeout_ms`. */
template <typename Cond, typename... Pipelines>
bool wait_until (Cond cond, int timeout_ms, Pipelines *...pipelines)
{
  static_assert (sizeof...(pipelines) > 0, "pump at least one pipeline");
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (!cond ()) {
    if (g_get_monotonic_time () > end)
      return false;
    for (Pipeline *p : { static_cast<Pipeline *> (pipelines)... })
      if (p)
        p->pump (10);
  }
  return true;
}

/* Counts buffers through a pad and keeps the last caps. */
struct BufferCounter {
  std::atomic<int> buffers{ 0 };
  std::mutex lock;
  GstCaps *caps = nullptr;
  ~BufferCounter ();
  void attach (GstPad *pad);
  std::string caps_string ();
};

/* Counts upstream navigation / gv-release-all events through a pad. */
struct UpstreamCatcher {
  std::mutex lock;
  int navigation = 0;
  int release_all = 0;
  double last_x = -1, last_y = -1;
  std::string last_type;
  void attach (GstPad *pad);
};

/* Counts the buffers leaving the element `name`'s src pad. */
void count_at (Pipeline &p, const char *name, BufferCounter &counter);
/* Waits for the host's gvwebrtcsink-session message (its PIN); false on an error. */
bool wait_for_pin (Pipeline &host, int timeout_ms = 20000);

std::string host_description (const std::string &url, const std::string &extra);
std::string viewer_description (const std::string &url, const std::string &pin,
                                const std::string &extra, const std::string &downstream);

} // namespace gvtest
