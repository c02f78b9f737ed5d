/* GhostView — an element's exchange between the local X11 clipboard and the
 * other end of a session, through "gv-clipboard" events (gvclipboardevent.h).
 *
 * One class for both ends: gvinputinject on the host (the other end's
 * content comes upstream from the viewers, the host's copies go downstream)
 * and gvclipboard on a native receiver (the host's content comes
 * downstream, the receiver's copies go upstream to gvwebrtcsrc). A
 * GvClipboardExchangeRole names the directions, messages and counters.
 *
 * Checks what the other end sends (known mime type, size limit, valid UTF-8
 * or a PNG signature) before handing it to the local clipboard, turns what
 * is copied locally into events for the other end, keeps the other end's
 * content from echoing back, and counts. The X11 work is done by
 * GvX11Clipboard on its own thread; this class only queues between threads.
 */
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

class GvX11Clipboard;

GST_DEBUG_CATEGORY_EXTERN (gv_clipboard_debug);

/* Which end an element is: the directions, and the names it reports under. */
struct GvClipboardExchangeRole {
  /* GST_EVENT_CUSTOM_UPSTREAM or _DOWNSTREAM: how local copies leave; the
   * other end's content arrives the other way. */
  GstEventType outgoing;
  /* Element messages: a local copy sent (fields mime, size); the other
   * end's content put on the local clipboard (mime, size; nullptr: not
   * posted); the other end's content refused (reason, mime, size, peer). */
  const char *sent_message;
  const char *received_message;
  const char *refused_message;
  /* Counter names in the element's stats. */
  const char *stat_received, *stat_sent, *stat_refused_received, *stat_refused_local,
      *stat_suppressed;
};

/* gvinputinject's names (the host end). */
extern const GvClipboardExchangeRole gv_clipboard_role_host;
/* gvclipboard's names (a receiver). */
extern const GvClipboardExchangeRole gv_clipboard_role_receiver;

class GvClipboardExchange {
public:
  /* @element posts the bus messages and owns the logs. */
  GvClipboardExchange (GstElement *element, const GvClipboardExchangeRole &role);
  ~GvClipboardExchange ();

  /* Starts watching and serving the X11 clipboard of @display. Returns false
   * with @error set when it cannot (no X11 clipboard in this build, no
   * display, no XFixes). */
  bool start (const std::string &display, std::string *error);
  /* Stops and joins the clipboard thread; what was pending is dropped. */
  void stop ();

  void set_max_bytes (guint64 max_bytes);
  guint64 max_bytes () const;

  /* Called on the clipboard thread whenever a local copy starts waiting for
   * push_pending() (for an element that pushes it from another thread than
   * its streaming thread). Set before start(). */
  void set_on_pending (std::function<void ()> on_pending);

  /* A "gv-clipboard" event from the other end reached the element (any
   * thread). Returns true when its content went to the local clipboard
   * (and posts the role's received message); otherwise posts the role's
   * refused message and returns false. The event is not consumed. */
  bool receive (GstEvent *event);

  /* Pushes what was copied locally since the last call, if anything, as a
   * "gv-clipboard" event of the role's outgoing type on @pad (the source pad
   * for downstream, the sink pad for upstream) and posts the role's sent
   * message. Content nobody upstream or downstream took is counted as
   * refused-local, without a message. */
  void push_pending (GstPad *pad);

  /* Adds the role's counters to a stats structure. */
  void fill_stats (GstStructure *stats) const;

  GvClipboardExchange (const GvClipboardExchange &) = delete;
  GvClipboardExchange &operator= (const GvClipboardExchange &) = delete;

private:
  void on_local_content (const char *mime, GBytes *data);
  void on_local_refused (const char *reason, const char *mime, guint64 size);
  bool refuse_received (const char *reason, const char *mime, guint64 size, const char *peer);
  void post (GstStructure *s);

  GstElement *element_;
  const GvClipboardExchangeRole &role_;
  std::function<void ()> on_pending_;
  mutable std::mutex lock_;
  std::unique_ptr<GvX11Clipboard> x11_;
  guint64 max_bytes_;
  /* local copies -> the other end, waiting for push_pending (newest only) */
  std::string pending_mime_;
  GBytes *pending_ = nullptr;
  /* the other end's content, to recognise it coming back */
  std::string last_received_mime_;
  GBytes *last_received_ = nullptr;
  gint64 last_received_time_ = 0;
  /* counters */
  guint64 received_ = 0, sent_ = 0;
  guint64 refused_received_ = 0, refused_local_ = 0, suppressed_ = 0;
};
