/* GhostView — gvinputinject's clipboard exchange (the "gv-clipboard" events,
 * see gvclipboardevent.h).
 *
 * Checks what viewers send (known mime type, size limit, valid UTF-8 or a
 * PNG signature) before handing it to the host's clipboard, turns what the
 * host copies into downstream events pushed from the streaming thread, keeps
 * a viewer's content from echoing back, and counts. The X11 work is done by
 * GvX11Clipboard on its own thread; this class only queues between threads.
 */
#pragma once

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>

class GvX11Clipboard;

class GvInputClipboard {
public:
  /* @element posts the bus messages and owns the logs. */
  explicit GvInputClipboard (GstElement *element);
  ~GvInputClipboard ();

  /* Starts watching and serving the X11 clipboard of @display. Returns false
   * with @error set when it cannot (no X11 clipboard in this build, no
   * display, no XFixes). */
  bool start (const std::string &display, std::string *error);
  /* Stops and joins the clipboard thread; what was pending is dropped. */
  void stop ();

  void set_max_bytes (guint64 max_bytes);
  guint64 max_bytes () const;

  /* A "gv-clipboard" upstream event reached the element (any thread). Returns
   * true when its content went to the host's clipboard; otherwise posts a
   * "gvinputinject-clipboard-refused" element message and returns false.
   * The event is not consumed by this call. */
  bool handle_upstream (GstEvent *event);

  /* Streaming thread, before a buffer goes out: pushes what the host copied
   * since the last call, if anything, as a downstream "gv-clipboard" event
   * on @srcpad and posts a "gvinputinject-clipboard" element message. */
  void push_pending (GstPad *srcpad);

  /* Adds the clipboard-* counters to a stats structure. */
  void fill_stats (GstStructure *stats) const;

  GvInputClipboard (const GvInputClipboard &) = delete;
  GvInputClipboard &operator= (const GvInputClipboard &) = delete;

private:
  void on_host_content (const char *mime, GBytes *data);
  void on_host_refused (const char *reason, const char *mime, guint64 size);
  bool refuse_upstream (const char *reason, const char *mime, guint64 size, const char *peer);

  GstElement *element_;
  mutable std::mutex lock_;
  std::unique_ptr<GvX11Clipboard> x11_;
  guint64 max_bytes_;
  /* host -> viewers, waiting for the streaming thread (newest only) */
  std::string pending_mime_;
  GBytes *pending_ = nullptr;
  /* viewer -> host, to recognise it coming back */
  std::string last_from_viewer_mime_;
  GBytes *last_from_viewer_ = nullptr;
  gint64 last_from_viewer_time_ = 0;
  /* counters */
  guint64 from_viewers_ = 0, to_viewers_ = 0;
  guint64 refused_from_viewers_ = 0, refused_from_host_ = 0, suppressed_ = 0;
};
