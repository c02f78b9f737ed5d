/* GhostView — reading the CLIPBOARD content of another X client, for
 * GvX11Clipboard (its thread, its display connection and window).
 *
 * Asks the owner for TARGETS, picks UTF8_STRING (or text/plain;charset=utf-8),
 * else image/png, else STRING (converted from Latin-1), asks for that, and
 * reads the answer from a property of our window, following INCR: each chunk
 * is read and deleted, a zero-length one ends it. Content over the limit is
 * refused (the INCR transfer is drained, not kept). Internal to the input
 * plugin.
 */
#pragma once

#include "gvx11clipboard.h"

#include <X11/Xlib.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (gv_clipboard_debug);

/* A transfer that makes no progress for this long is abandoned. */
constexpr gint64 GV_CLIPBOARD_STEP_TIMEOUT_US = 5 * G_USEC_PER_SEC;
/* Properties we read other owners' content into, used in turn, so a
 * previous owner still writing INCR chunks never mixes into a new read. */
constexpr int GV_CLIPBOARD_INCOMING_PROPERTIES = 4;

struct GvBytesUnref {
  void operator() (GBytes *b) const { g_bytes_unref (b); }
};
using GvBytesPtr = std::unique_ptr<GBytes, GvBytesUnref>;

struct GvX11ClipboardAtoms {
  Atom clipboard, targets, timestamp, incr, utf8_string, text, text_plain_utf8, text_plain,
      image_png, stamp;
  Atom incoming[GV_CLIPBOARD_INCOMING_PROPERTIES];
};

class GvX11ClipboardReader {
public:
  /* Everything is borrowed from the GvX11Clipboard that owns the reader. */
  GvX11ClipboardReader (Display *dpy, Window win, const GvX11ClipboardAtoms &atoms,
                        const std::atomic<guint64> &max_bytes,
                        const GvX11Clipboard::ContentFunc &on_content,
                        const GvX11Clipboard::RefusedFunc &on_refused, GstObject *log)
      : dpy_ (dpy), win_ (win), atoms_ (atoms), max_bytes_ (max_bytes), on_content_ (on_content),
        on_refused_ (on_refused), log_ (log)
  {}

  /* Another client owns CLIPBOARD since @time: read its content. */
  void start (Time time)
  {
    fetch_ = Fetch ();
    fetch_.property = atoms_.incoming[serial_++ % GV_CLIPBOARD_INCOMING_PROPERTIES];
    fetch_.time = time;
    request (atoms_.targets);
  }
  /* Forgets the read in progress, if any. */
  void abandon () { fetch_ = Fetch (); }
  /* When the read in progress times out; 0 when there is none. */
  gint64 deadline () const { return fetch_.stage != Fetch::IDLE ? fetch_.deadline : 0; }
  void expire (gint64 now)
  {
    if (fetch_.stage != Fetch::IDLE && now >= fetch_.deadline) {
      GST_CAT_DEBUG_OBJECT (gv_clipboard_debug, log_,
                            "the clipboard owner did not answer in time, read abandoned");
      fetch_ = Fetch ();
    }
  }

  /* Events for our window. */
  void on_selection_notify (const XSelectionEvent &ev);
  void on_new_value (Atom property)
  {
    if (fetch_.stage == Fetch::INCR && property == fetch_.property)
      read_incr_chunk ();
  }

private:
  struct Fetch {
    enum Stage { IDLE, TARGETS, DATA, INCR } stage = IDLE;
    Atom property = None;
    Atom target = None;
    Time time = CurrentTime;
    std::string mime;
    bool latin1 = false;  /* target STRING: convert to UTF-8 */
    bool discard = false; /* too large: drain the INCR transfer, keep nothing */
    std::vector<guint8> data;
    gint64 deadline = 0;
  };

  void request (Atom target);
  Atom pick_target ();
  bool peek (Atom *type, int *format, unsigned long *size);
  bool take (unsigned long size, std::vector<guint8> *out);
  void refuse_too_large (guint64 size);
  void read_data ();
  void read_incr_chunk ();
  void deliver ();

  Display *dpy_;
  Window win_;
  const GvX11ClipboardAtoms &atoms_;
  const std::atomic<guint64> &max_bytes_;
  const GvX11Clipboard::ContentFunc &on_content_;
  const GvX11Clipboard::RefusedFunc &on_refused_;
  GstObject *log_;
  Fetch fetch_;
  guint serial_ = 0;
};
