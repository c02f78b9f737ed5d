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

/* The real gv::signaling::Server, embedded. */
class TestServer {
public:
  /* pin_ttl_s: the server's default PIN lifetime (seconds). */
  explicit TestServer (int pin_ttl_s = 600);
  ~TestServer ();
  const std::string &ws_url () const { return url_; }

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
  std::string url_;
};

/* A pipeline and what its bus said. */
struct Pipeline {
  GstElement *pipeline = nullptr;
  std::string error; /* first error message (the sentence for people) */
  std::string pin;   /* from a gvwebrtcsink-session message */
  int sessions = 0;  /* gvwebrtcsink-session messages seen */
  bool eos = false;

  explicit Pipeline (const std::string &description);
  ~Pipeline ();
  GstElement *get (const char *name); /* borrowed */
  void play ();
  /* Pops bus messages for up to `ms` milliseconds. */
  void pump (int ms);
};

/* Polls `cond` while pumping the pipelines' buses, up to `timeout_ms`. */
template <typename Cond>
bool wait_until (Cond cond, int timeout_ms, Pipeline *a, Pipeline *b = nullptr,
                 Pipeline *c = nullptr)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (!cond ()) {
    if (g_get_monotonic_time () > end)
      return false;
    for (Pipeline *p : { a, b, c })
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

std::string host_description (const std::string &url, const std::string &extra);
std::string viewer_description (const std::string &url, const std::string &pin,
                                const std::string &extra, const std::string &downstream);

} // namespace gvtest
