/* GhostView — the host's X11 CLIPBOARD selection, for gvinputinject.
 *
 * A dedicated thread with its own Display connection owns the CLIPBOARD
 * selection when offer() is called and serves every SelectionRequest for it
 * (TARGETS, TIMESTAMP, text as UTF8_STRING, STRING when Latin-1 can hold it,
 * TEXT, text/plain;charset=utf-8, text/plain; a PNG as image/png), by INCR
 * when the content is larger than one modest property change. It watches the
 * selection with XFixes: when another client becomes the owner it reads the
 * new content (text first, else image/png; INCR from the owner is followed)
 * and hands it to on_content.
 *
 * No call blocks on the X server from the caller's thread: offer() only
 * queues and wakes the thread. The callbacks run on the clipboard thread and
 * must not block either. All X errors of the thread are trapped.
 */
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>

class GvX11Clipboard {
public:
  /* Another client put @data (@mime is GV_CLIPBOARD_MIME_TEXT, UTF-8 as read
   * from the owner and not yet validated, or GV_CLIPBOARD_MIME_PNG) on the
   * clipboard. @data is borrowed: take a reference to keep it. */
  using ContentFunc = std::function<void (const char *mime, GBytes *data)>;
  /* Content of another client was not read; @reason is "too-large". */
  using RefusedFunc = std::function<void (const char *reason, const char *mime, guint64 size)>;

  /* Opens @display (NULL or "" = $DISPLAY) and starts the thread; NULL and
   * @error set when the display cannot be opened or has no XFixes. Logs go
   * to @log_object (which must outlive the clipboard). */
  static std::unique_ptr<GvX11Clipboard> start (const char *display, guint64 max_bytes,
                                                ContentFunc on_content, RefusedFunc on_refused,
                                                GstObject *log_object, std::string *error);

  /* Stops and joins the thread; the selection, if ours, goes away with the
   * connection. */
  virtual ~GvX11Clipboard () = default;

  /* Makes @data (already validated) the host's clipboard: the thread takes
   * ownership of CLIPBOARD as soon as it wakes. @data is referenced. False
   * when the thread has ended (the X server went away). */
  virtual bool offer (const char *mime, GBytes *data) = 0;

  /* Content of other clients larger than this is not read. */
  virtual void set_max_bytes (guint64 max_bytes) = 0;
};
