/* GhostView — the host's X11 CLIPBOARD selection, see gvx11clipboard.h.
 *
 * Conventions followed are the ICCCM's (section 2): the owner answers a
 * SelectionRequest by writing the requestor's property and sending it a
 * SelectionNotify (property None = refused); content too large for one
 * property change goes as type INCR (value: a lower bound of the size), then
 * in chunks, each written after the requestor deleted the previous one, and
 * a zero-length chunk at the end. Reading from another owner, the mirror
 * image on our own window, is in gvx11clipboardreader.cpp.
 */
#include "gvx11clipboard.h"
#include "gvclipboardevent.h"
#include "gvx11clipboardreader.h"
#include "gvx11errors.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/Xfixes.h>
#include <glib-unix.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#define GST_CAT_DEFAULT gv_clipboard_debug

namespace {

/* Above this, content goes by INCR even when the server would take a larger
 * request: one huge request holds the X server for every other client, and
 * toolkits switch to INCR around this size too. */
constexpr size_t CHUNK_CAP = 256 * 1024;
/* Room for the ChangeProperty request header and then some. */
constexpr size_t CHUNK_MARGIN = 4096;
/* INCR transfers served at once; requestors beyond are refused. */
constexpr size_t MAX_TRANSFERS = 16;

#ifdef GV_HAVE_XIOERROREXIT
/* Xlib first calls the process-wide I/O error handler, whose default prints
 * and exits, and only then the display's exit handler. Ours returns for the
 * clipboard's own displays (their exit handler only marks them lost) and
 * hands every other display to the handler it replaced, as before. */
std::mutex io_lock;
std::set<Display *> io_displays;
XIOErrorHandler io_previous = nullptr;

int io_error_handler (Display *dpy)
{
  {
    std::lock_guard<std::mutex> guard (io_lock);
    if (io_displays.count (dpy))
      return 0;
  }
  return io_previous ? io_previous (dpy) : 0;
}

void io_watch (Display *dpy, bool watch)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    io_previous = XSetIOErrorHandler (io_error_handler);
    g_once_init_leave (&once, 1);
  }
  std::lock_guard<std::mutex> guard (io_lock);
  if (watch)
    io_displays.insert (dpy);
  else
    io_displays.erase (dpy);
}
#endif

using BytesPtr = GvBytesPtr;

/* What we own: a viewer's text or PNG. */
struct Offer {
  std::string mime;
  BytesPtr data;
  bool is_text () const { return mime == GV_CLIPBOARD_MIME_TEXT; }

  /* The text in Latin-1, or null when Latin-1 cannot hold it. Converted on
   * the first request that needs it, so taking the clipboard stays quick. */
  GBytes *latin1 ()
  {
    if (!latin1_checked_ && is_text ()) {
      gsize size = 0, len = 0;
      const gchar *utf8 = (const gchar *) g_bytes_get_data (data.get (), &size);
      gchar *converted = g_convert (utf8, size, "ISO-8859-1", "UTF-8", nullptr, &len, nullptr);
      if (converted)
        latin1_.reset (g_bytes_new_take (converted, len));
    }
    latin1_checked_ = true;
    return latin1_.get ();
  }

private:
  BytesPtr latin1_;
  bool latin1_checked_ = false;
};

/* One INCR transfer we serve. */
struct OutgoingTransfer {
  Window requestor;
  Atom property;
  Atom type;
  BytesPtr data;
  size_t offset;
  gint64 deadline;
};

class X11Clipboard : public GvX11Clipboard {
public:
  X11Clipboard (ContentFunc on_content, RefusedFunc on_refused, GstObject *log_object)
      : on_content_ (std::move (on_content)), on_refused_ (std::move (on_refused)),
        log_ (log_object)
  {}

  ~X11Clipboard () override
  {
    if (thread_.joinable ()) {
      {
        std::lock_guard<std::mutex> guard (lock_);
        stopping_ = true;
      }
      wake ();
      thread_.join ();
    }
    if (dpy_ && connection_lost_) {
      /* XCloseDisplay on a connection that failed inside Xlib waits forever
       * on Xlib's own lock: leave the Display (a few KiB, once per lost X
       * server) and close only its socket. It stays in io_displays. */
      close (ConnectionNumber (dpy_));
    } else if (dpy_) {
      if (win_)
        XDestroyWindow (dpy_, win_);
      XCloseDisplay (dpy_);
#ifdef GV_HAVE_XIOERROREXIT
      io_watch (dpy_, false);
#endif
    }
    for (int fd : wake_fds_)
      if (fd >= 0)
        close (fd);
  }

  bool open (const char *display, guint64 max_bytes, std::string *error)
  {
    max_bytes_ = max_bytes;
    gv_x11_install_error_handler ();
    GError *gerror = nullptr;
    if (!g_unix_open_pipe (wake_fds_, FD_CLOEXEC, &gerror) ||
        !g_unix_set_fd_nonblocking (wake_fds_[0], TRUE, &gerror) ||
        !g_unix_set_fd_nonblocking (wake_fds_[1], TRUE, &gerror)) {
      *error = std::string ("cannot make a wake-up pipe: ") + gerror->message;
      g_error_free (gerror);
      return false;
    }
    dpy_ = XOpenDisplay (display && *display ? display : nullptr);
    if (!dpy_) {
      *error =
          std::string ("cannot open X display ") + (display && *display ? display : "$DISPLAY");
      return false;
    }
#ifdef GV_HAVE_XIOERROREXIT
    /* the X server going away ends the clipboard, not the process */
    io_watch (dpy_, true);
    XSetIOErrorExitHandler (dpy_, on_connection_lost, this);
#endif
    int error_base, major = 5, minor = 0;
    if (!XFixesQueryExtension (dpy_, &xfixes_event_base_, &error_base) ||
        !XFixesQueryVersion (dpy_, &major, &minor) || major < 1) {
      *error = "the X server has no XFIXES extension, needed to watch the clipboard";
      return false;
    }
    intern_atoms ();
    long units = XExtendedMaxRequestSize (dpy_);
    if (units == 0)
      units = XMaxRequestSize (dpy_);
    chunk_ = std::min ((size_t) units * 4, CHUNK_CAP) - CHUNK_MARGIN;

    {
      /* scoped: the trap's last XSync must come before the thread starts */
      GvX11ErrorTrap trap (dpy_);
      win_ = XCreateWindow (dpy_, DefaultRootWindow (dpy_), -10, -10, 1, 1, 0, CopyFromParent,
                            InputOnly, CopyFromParent, 0, nullptr);
      XStoreName (dpy_, win_, "GhostView clipboard");
      XSelectInput (dpy_, win_, PropertyChangeMask);
      XFixesSelectSelectionInput (dpy_, win_, atoms_.clipboard, XFixesSetSelectionOwnerNotifyMask);
      if (int code = trap.sync ()) {
        *error = "cannot create the clipboard window (X error " + std::to_string (code) + ")";
        return false;
      }
    }
    reader_ = std::make_unique<GvX11ClipboardReader> (dpy_, win_, atoms_, max_bytes_, on_content_,
                                                      on_refused_, log_);
    GST_INFO_OBJECT (log_, "clipboard on %s, INCR above %zu bytes", DisplayString (dpy_), chunk_);
    thread_ = std::thread ([this] { run (); });
    return true;
  }

  bool offer (const char *mime, GBytes *data) override
  {
    {
      std::lock_guard<std::mutex> guard (lock_);
      if (ended_)
        return false;
      pending_ = std::make_unique<Offer> ();
      pending_->mime = mime;
      pending_->data.reset (g_bytes_ref (data));
    }
    wake ();
    return true;
  }

  void set_max_bytes (guint64 max_bytes) override
  {
    max_bytes_ = max_bytes;
  }

private:
  void intern_atoms ()
  {
    const char *names[] = { "CLIPBOARD",
                            "TARGETS",
                            "TIMESTAMP",
                            "INCR",
                            "UTF8_STRING",
                            "TEXT",
                            GV_CLIPBOARD_MIME_TEXT,
                            "text/plain",
                            GV_CLIPBOARD_MIME_PNG,
                            "_GV_CLIPBOARD_STAMP",
                            "_GV_CLIPBOARD_IN0",
                            "_GV_CLIPBOARD_IN1",
                            "_GV_CLIPBOARD_IN2",
                            "_GV_CLIPBOARD_IN3" };
    static_assert (G_N_ELEMENTS (names) == 10 + GV_CLIPBOARD_INCOMING_PROPERTIES,
                   "one name per atom");
    Atom atoms[G_N_ELEMENTS (names)];
    XInternAtoms (dpy_, (char **) names, G_N_ELEMENTS (names), False, atoms);
    Atom *out[] = { &atoms_.clipboard,       &atoms_.targets,
                    &atoms_.timestamp,       &atoms_.incr,
                    &atoms_.utf8_string,     &atoms_.text,
                    &atoms_.text_plain_utf8, &atoms_.text_plain,
                    &atoms_.image_png,       &atoms_.stamp };
    for (size_t i = 0; i < G_N_ELEMENTS (out); i++)
      *out[i] = atoms[i];
    for (int i = 0; i < GV_CLIPBOARD_INCOMING_PROPERTIES; i++)
      atoms_.incoming[i] = atoms[G_N_ELEMENTS (out) + i];
  }

  static void on_connection_lost (Display *, void *data)
  {
    ((X11Clipboard *) data)->connection_lost_ = true;
  }

  void wake ()
  {
    /* a full pipe already wakes the thread: EAGAIN is fine */
    ssize_t ignored = write (wake_fds_[1], "w", 1);
    (void) ignored;
  }

  /* ---- the thread -------------------------------------------------------- */

  void run ()
  {
    for (;;) {
      std::unique_ptr<Offer> offer;
      {
        std::lock_guard<std::mutex> guard (lock_);
        if (stopping_)
          break;
        offer.swap (pending_);
      }
      if (offer)
        take_ownership (std::move (offer));
      while (!connection_lost_ && XPending (dpy_)) {
        XEvent ev;
        XNextEvent (dpy_, &ev);
        handle (ev);
      }
      if (connection_lost_) {
        GST_WARNING_OBJECT (log_, "lost the connection to the X server, clipboard sharing ends");
        break;
      }
      gint64 now = g_get_monotonic_time ();
      expire (now);
      int timeout = -1;
      gint64 next = next_deadline ();
      if (next > 0)
        timeout = (int) CLAMP ((next - now) / 1000 + 1, 0, G_MAXINT);
      if (XEventsQueued (dpy_, QueuedAfterFlush) > 0)
        timeout = 0;
      struct pollfd fds[2] = { { ConnectionNumber (dpy_), POLLIN, 0 },
                               { wake_fds_[0], POLLIN, 0 } };
      poll (fds, 2, timeout);
      if (fds[1].revents) {
        char buf[64];
        while (read (wake_fds_[0], buf, sizeof buf) > 0) {
        }
      }
    }
    transfers_.clear ();
    reader_->abandon ();
    std::lock_guard<std::mutex> guard (lock_);
    ended_ = true;
    pending_.reset ();
  }

  gint64 next_deadline () const
  {
    gint64 next = reader_->deadline ();
    for (const OutgoingTransfer &t : transfers_)
      if (next == 0 || t.deadline < next)
        next = t.deadline;
    return next;
  }

  void expire (gint64 now)
  {
    reader_->expire (now);
    for (auto it = transfers_.begin (); it != transfers_.end ();) {
      if (now < it->deadline) {
        ++it;
        continue;
      }
      GST_DEBUG_OBJECT (log_, "INCR transfer to window 0x%lx stalled at %zu/%zu bytes, abandoned",
                        it->requestor, it->offset, g_bytes_get_size (it->data.get ()));
      Window requestor = it->requestor;
      it = transfers_.erase (it);
      stop_watching (requestor);
    }
  }

  void handle (XEvent &ev)
  {
    /* every request made while handling an event is trapped: a requestor
     * window that vanished, a bad property from another client... */
    GvX11ErrorTrap trap (dpy_);
    switch (ev.type) {
    case SelectionRequest:
      serve (ev.xselectionrequest);
      break;
    case SelectionClear:
      if (ev.xselectionclear.selection == atoms_.clipboard && owned_ && !still_owner ()) {
        GST_DEBUG_OBJECT (log_, "another client took the clipboard");
        owned_.reset ();
      }
      break;
    case SelectionNotify:
      reader_->on_selection_notify (ev.xselection);
      break;
    case PropertyNotify:
      on_property_notify (ev.xproperty);
      break;
    default:
      if (ev.type == xfixes_event_base_ + XFixesSelectionNotify)
        on_owner_change (*(XFixesSelectionNotifyEvent *) &ev);
      break;
    }
    if (int code = trap.sync ())
      GST_DEBUG_OBJECT (log_, "X error %d while handling event %d (ignored)", code, ev.type);
  }

  /* ---- owning: a viewer's content ---------------------------------------- */

  static Bool is_stamp (Display *, XEvent *ev, XPointer arg)
  {
    auto *self = (X11Clipboard *) arg;
    return ev->type == PropertyNotify && ev->xproperty.window == self->win_ &&
           ev->xproperty.atom == self->atoms_.stamp;
  }

  /* A server timestamp for SetSelectionOwner (the ICCCM asks for a real one,
   * not CurrentTime): append nothing to a property of ours and read the time
   * of the PropertyNotify that follows. Waits on the connection itself, not
   * in XIfEvent, which would spin forever on a lost connection. */
  bool server_time (Time *time)
  {
    XChangeProperty (dpy_, win_, atoms_.stamp, atoms_.stamp, 8, PropModeAppend, nullptr, 0);
    XFlush (dpy_);
    gint64 end = g_get_monotonic_time () + GV_CLIPBOARD_STEP_TIMEOUT_US;
    XEvent ev;
    while (!XCheckIfEvent (dpy_, &ev, is_stamp, (XPointer) this)) {
      if (connection_lost_ || g_get_monotonic_time () >= end)
        return false;
      struct pollfd fd = { ConnectionNumber (dpy_), POLLIN, 0 };
      poll (&fd, 1, 100);
      XEventsQueued (dpy_, QueuedAfterReading);
    }
    *time = ev.xproperty.time;
    return true;
  }

  void take_ownership (std::unique_ptr<Offer> offer)
  {
    reader_->abandon (); /* a host read in flight is older than this */
    Time time = CurrentTime;
    if (!server_time (&time)) {
      GST_WARNING_OBJECT (log_, "no timestamp from the X server, clipboard not taken");
      return;
    }
    XSetSelectionOwner (dpy_, atoms_.clipboard, win_, time);
    if (XGetSelectionOwner (dpy_, atoms_.clipboard) != win_) {
      GST_WARNING_OBJECT (log_, "could not become the owner of the clipboard");
      owned_.reset ();
      return;
    }
    GST_DEBUG_OBJECT (log_, "own the clipboard: %s, %zu bytes", offer->mime.c_str (),
                      g_bytes_get_size (offer->data.get ()));
    owned_ = std::move (offer);
    owned_time_ = time;
  }

  /* Events about losing the clipboard may still be queued when a viewer's
   * content made us the owner again; the server knows better. */
  bool still_owner ()
  {
    return XGetSelectionOwner (dpy_, atoms_.clipboard) == win_;
  }

  void serve (const XSelectionRequestEvent &req)
  {
    XSelectionEvent reply = {};
    reply.type = SelectionNotify;
    reply.display = dpy_;
    reply.requestor = req.requestor;
    reply.selection = req.selection;
    reply.target = req.target;
    reply.time = req.time;
    reply.property = None;
    /* obsolete requestors leave the property None: use the target's name */
    Atom property = req.property != None ? req.property : req.target;
    bool current = owned_ && req.selection == atoms_.clipboard && req.owner == win_ &&
                   (req.time == CurrentTime || (gint32) (req.time - owned_time_) >= 0);
    if (current && convert (req.requestor, property, req.target))
      reply.property = property;
    else
      GST_LOG_OBJECT (log_, "refused target %lu for window 0x%lx", req.target, req.requestor);
    XSendEvent (dpy_, req.requestor, False, NoEventMask, (XEvent *) &reply);
  }

  /* The bytes and property type we serve for @target, or null. */
  GBytes *content_for (Atom target, Atom *type)
  {
    if (!owned_->is_text ()) {
      *type = target;
      return target == atoms_.image_png ? owned_->data.get () : nullptr;
    }
    if (target == XA_STRING) {
      *type = XA_STRING;
      return owned_->latin1 ();
    }
    if (target == atoms_.utf8_string || target == atoms_.text) {
      *type = atoms_.utf8_string;
      return owned_->data.get ();
    }
    if (target == atoms_.text_plain_utf8 || target == atoms_.text_plain) {
      *type = target;
      return owned_->data.get ();
    }
    return nullptr;
  }

  std::vector<Atom> targets ()
  {
    std::vector<Atom> list = { atoms_.targets, atoms_.timestamp };
    if (owned_->is_text ()) {
      list.insert (list.end (),
                   { atoms_.utf8_string, atoms_.text, atoms_.text_plain_utf8, atoms_.text_plain });
      if (owned_->latin1 ())
        list.push_back (XA_STRING);
    } else {
      list.push_back (atoms_.image_png);
    }
    return list;
  }

  bool convert (Window requestor, Atom property, Atom target)
  {
    if (target == atoms_.targets) {
      std::vector<Atom> list = targets ();
      XChangeProperty (dpy_, requestor, property, XA_ATOM, 32, PropModeReplace,
                       (unsigned char *) list.data (), (int) list.size ());
      return true;
    }
    if (target == atoms_.timestamp) {
      long time = (long) owned_time_;
      XChangeProperty (dpy_, requestor, property, XA_INTEGER, 32, PropModeReplace,
                       (unsigned char *) &time, 1);
      return true;
    }
    Atom type = None;
    GBytes *bytes = content_for (target, &type);
    if (!bytes)
      return false;
    gsize size = g_bytes_get_size (bytes);
    GvX11ErrorTrap trap (dpy_);
    if (size <= chunk_) {
      XChangeProperty (dpy_, requestor, property, type, 8, PropModeReplace,
                       (const unsigned char *) g_bytes_get_data (bytes, nullptr), (int) size);
      return trap.sync () == 0;
    }
    if (transfers_.size () >= MAX_TRANSFERS) {
      GST_DEBUG_OBJECT (log_, "%zu INCR transfers running, window 0x%lx refused",
                        transfers_.size (), requestor);
      return false;
    }
    /* INCR: watch the requestor's properties before it can delete this one */
    XSelectInput (dpy_, requestor, PropertyChangeMask);
    long lower_bound = (long) size;
    XChangeProperty (dpy_, requestor, property, atoms_.incr, 32, PropModeReplace,
                     (unsigned char *) &lower_bound, 1);
    if (trap.sync () != 0) {
      stop_watching (requestor);
      return false;
    }
    transfers_.erase (std::remove_if (transfers_.begin (), transfers_.end (),
                                      [&] (const OutgoingTransfer &t) {
                                        return t.requestor == requestor && t.property == property;
                                      }),
                      transfers_.end ());
    transfers_.push_back ({ requestor, property, type, BytesPtr (g_bytes_ref (bytes)), 0,
                            g_get_monotonic_time () + GV_CLIPBOARD_STEP_TIMEOUT_US });
    GST_DEBUG_OBJECT (log_, "INCR transfer of %zu bytes to window 0x%lx", size, requestor);
    return true;
  }

  /* The requestor deleted the property: the next chunk, or the end. */
  void continue_transfer (Window requestor, Atom property)
  {
    auto it =
        std::find_if (transfers_.begin (), transfers_.end (), [&] (const OutgoingTransfer &t) {
          return t.requestor == requestor && t.property == property;
        });
    if (it == transfers_.end ())
      return;
    gsize size = 0;
    const guint8 *data = (const guint8 *) g_bytes_get_data (it->data.get (), &size);
    size_t chunk = std::min (chunk_, size - it->offset);
    GvX11ErrorTrap trap (dpy_);
    XChangeProperty (dpy_, requestor, property, it->type, 8, PropModeReplace, data + it->offset,
                     (int) chunk);
    bool failed = trap.sync () != 0;
    it->offset += chunk;
    it->deadline = g_get_monotonic_time () + GV_CLIPBOARD_STEP_TIMEOUT_US;
    if (chunk == 0 || failed) { /* the zero-length chunk ends it */
      GST_DEBUG_OBJECT (log_, "INCR transfer to window 0x%lx %s", requestor,
                        failed ? "failed" : "done");
      transfers_.erase (it);
      stop_watching (requestor);
    }
  }

  void stop_watching (Window requestor)
  {
    for (const OutgoingTransfer &t : transfers_)
      if (t.requestor == requestor)
        return;
    GvX11ErrorTrap trap (dpy_);
    XSelectInput (dpy_, requestor, NoEventMask);
  }

  void on_property_notify (const XPropertyEvent &ev)
  {
    if (ev.window != win_) {
      if (ev.state == PropertyDelete)
        continue_transfer (ev.window, ev.atom);
      return;
    }
    if (ev.state == PropertyNewValue)
      reader_->on_new_value (ev.atom);
  }

  /* ---- reading: another client's content (GvX11ClipboardReader) ---------- */

  void on_owner_change (const XFixesSelectionNotifyEvent &ev)
  {
    if (ev.selection != atoms_.clipboard || ev.owner == win_)
      return;
    /* queued before we took the clipboard again: stale */
    if (owned_ && still_owner ())
      return;
    owned_.reset ();
    reader_->abandon ();
    if (ev.owner != None) {
      GST_DEBUG_OBJECT (log_, "window 0x%lx owns the clipboard now, reading it", ev.owner);
      reader_->start (ev.timestamp);
    }
  }

  ContentFunc on_content_;
  RefusedFunc on_refused_;
  GstObject *log_;
  std::atomic<guint64> max_bytes_{ GV_CLIPBOARD_DEFAULT_MAX_BYTES };

  /* shared with callers */
  std::mutex lock_;
  bool stopping_ = false;
  bool ended_ = false; /* the thread is gone: offers are refused */
  std::unique_ptr<Offer> pending_;

  /* the thread's own (set up in open() before it starts) */
  Display *dpy_ = nullptr;
  std::atomic<bool> connection_lost_{ false };
  Window win_ = 0;
  int wake_fds_[2] = { -1, -1 };
  int xfixes_event_base_ = 0;
  GvX11ClipboardAtoms atoms_ = {};
  size_t chunk_ = 0;
  std::thread thread_;
  std::unique_ptr<Offer> owned_;
  Time owned_time_ = CurrentTime;
  std::vector<OutgoingTransfer> transfers_;
  std::unique_ptr<GvX11ClipboardReader> reader_;
};

} // namespace

std::unique_ptr<GvX11Clipboard> GvX11Clipboard::start (const char *display, guint64 max_bytes,
                                                       ContentFunc on_content,
                                                       RefusedFunc on_refused,
                                                       GstObject *log_object, std::string *error)
{
  auto clipboard =
      std::make_unique<X11Clipboard> (std::move (on_content), std::move (on_refused), log_object);
  if (!clipboard->open (display, max_bytes, error))
    return nullptr;
  return clipboard;
}
