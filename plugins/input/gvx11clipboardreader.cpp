/* GhostView — reading another X client's CLIPBOARD content, see
 * gvx11clipboardreader.h. */
#include "gvx11clipboardreader.h"
#include "gvclipboardevent.h"

#include <X11/Xatom.h>

#include <algorithm>

#define GST_CAT_DEFAULT gv_clipboard_debug

using BytesPtr = GvBytesPtr;

void GvX11ClipboardReader::request (Atom target)
{
  fetch_.stage = target == atoms_.targets ? Fetch::TARGETS : Fetch::DATA;
  fetch_.target = target;
  fetch_.deadline = g_get_monotonic_time () + GV_CLIPBOARD_STEP_TIMEOUT_US;
  XDeleteProperty (dpy_, win_, fetch_.property);
  XConvertSelection (dpy_, atoms_.clipboard, target, fetch_.property, win_, fetch_.time);
}

void GvX11ClipboardReader::on_selection_notify (const XSelectionEvent &ev)
{
  if (ev.requestor != win_ || ev.selection != atoms_.clipboard || ev.target != fetch_.target ||
      (fetch_.stage != Fetch::TARGETS && fetch_.stage != Fetch::DATA))
    return;
  if (ev.property != None && ev.property != fetch_.property)
    return; /* an answer to an earlier read */
  if (fetch_.stage == Fetch::TARGETS) {
    /* an owner that does not answer TARGETS may still have text */
    Atom chosen = ev.property != None ? pick_target () : atoms_.utf8_string;
    if (chosen == None) {
      GST_DEBUG_OBJECT (log_, "the clipboard holds neither text nor a PNG");
      fetch_ = Fetch ();
      return;
    }
    fetch_.mime = chosen == atoms_.image_png ? GV_CLIPBOARD_MIME_PNG : GV_CLIPBOARD_MIME_TEXT;
    fetch_.latin1 = chosen == XA_STRING;
    request (chosen);
    return;
  }
  if (ev.property == None) {
    GST_DEBUG_OBJECT (log_, "the clipboard owner refused to convert to %s", fetch_.mime.c_str ());
    fetch_ = Fetch ();
    return;
  }
  read_data ();
}

/* Reads the TARGETS answer: UTF-8 text first, then a PNG, then Latin-1. */
Atom GvX11ClipboardReader::pick_target ()
{
  Atom type = None;
  int format = 0;
  unsigned long count = 0, after = 0;
  unsigned char *data = nullptr;
  if (XGetWindowProperty (dpy_, win_, fetch_.property, 0, 1024, True, AnyPropertyType, &type,
                          &format, &count, &after, &data) != Success)
    return None;
  std::vector<Atom> offered;
  if (format == 32 && data)
    offered.assign ((Atom *) data, (Atom *) data + count);
  if (data)
    XFree (data);
  for (Atom wanted : { atoms_.utf8_string, atoms_.text_plain_utf8, atoms_.image_png, XA_STRING })
    if (std::find (offered.begin (), offered.end (), wanted) != offered.end ())
      return wanted;
  return None;
}

/* Size and type of our incoming property, without reading it. */
bool GvX11ClipboardReader::peek (Atom *type, int *format, unsigned long *size)
{
  unsigned long count = 0;
  unsigned char *data = nullptr;
  int ok = XGetWindowProperty (dpy_, win_, fetch_.property, 0, 0, False, AnyPropertyType, type,
                               format, &count, size, &data);
  if (data)
    XFree (data);
  return ok == Success && *type != None;
}

/* Reads and deletes the whole incoming property (size known from peek). */
bool GvX11ClipboardReader::take (unsigned long size, std::vector<guint8> *out)
{
  Atom type = None;
  int format = 0;
  unsigned long count = 0, after = 0;
  unsigned char *data = nullptr;
  if (XGetWindowProperty (dpy_, win_, fetch_.property, 0, (long) (size + 3) / 4, True,
                          AnyPropertyType, &type, &format, &count, &after, &data) != Success)
    return false;
  bool ok = format == 8 && after == 0;
  if (ok && out)
    out->insert (out->end (), data, data + count);
  if (data)
    XFree (data);
  return ok;
}

void GvX11ClipboardReader::refuse_too_large (guint64 size)
{
  GST_DEBUG_OBJECT (log_,
                    "host clipboard content (%s, at least %" G_GUINT64_FORMAT
                    " bytes) is over the %" G_GUINT64_FORMAT "-byte limit, not read",
                    fetch_.mime.c_str (), size, max_bytes_.load ());
  on_refused_ ("too-large", fetch_.mime.c_str (), size);
}

void GvX11ClipboardReader::read_data ()
{
  Atom type = None;
  int format = 0;
  unsigned long size = 0;
  if (!peek (&type, &format, &size)) {
    GST_DEBUG_OBJECT (log_, "the clipboard owner wrote no content");
    fetch_ = Fetch ();
    return;
  }
  if (type == atoms_.incr) {
    unsigned long count = 0, after = 0;
    unsigned char *data = nullptr;
    guint64 lower_bound = 0;
    if (XGetWindowProperty (dpy_, win_, fetch_.property, 0, 1, False, atoms_.incr, &type, &format,
                            &count, &after, &data) == Success &&
        format == 32 && count == 1)
      lower_bound = (guint64) * (long *) data;
    if (data)
      XFree (data);
    fetch_.discard = lower_bound > max_bytes_;
    if (fetch_.discard)
      refuse_too_large (lower_bound);
    fetch_.stage = Fetch::INCR;
    fetch_.deadline = g_get_monotonic_time () + GV_CLIPBOARD_STEP_TIMEOUT_US;
    GST_DEBUG_OBJECT (log_, "INCR read of at least %" G_GUINT64_FORMAT " bytes", lower_bound);
    XDeleteProperty (dpy_, win_, fetch_.property); /* go ahead */
    return;
  }
  if (size > max_bytes_) {
    refuse_too_large (size);
    XDeleteProperty (dpy_, win_, fetch_.property);
    fetch_ = Fetch ();
    return;
  }
  if (!take (size, &fetch_.data)) {
    GST_DEBUG_OBJECT (log_, "clipboard content of type %lu format %d not read", type, format);
    fetch_ = Fetch ();
    return;
  }
  deliver ();
}

void GvX11ClipboardReader::read_incr_chunk ()
{
  Atom type = None;
  int format = 0;
  unsigned long size = 0;
  if (!peek (&type, &format, &size))
    return;
  if (!take (size, fetch_.discard ? nullptr : &fetch_.data)) {
    GST_DEBUG_OBJECT (log_, "bad INCR chunk (format %d), read abandoned", format);
    fetch_ = Fetch ();
    return;
  }
  fetch_.deadline = g_get_monotonic_time () + GV_CLIPBOARD_STEP_TIMEOUT_US;
  if (size == 0) { /* the end */
    if (fetch_.discard)
      fetch_ = Fetch ();
    else
      deliver ();
    return;
  }
  if (!fetch_.discard && fetch_.data.size () > max_bytes_) {
    refuse_too_large (fetch_.data.size ());
    fetch_.discard = true;
    fetch_.data = std::vector<guint8> ();
  }
}

void GvX11ClipboardReader::deliver ()
{
  std::vector<guint8> &data = fetch_.data;
  BytesPtr bytes;
  if (fetch_.latin1) {
    gsize len = 0;
    gchar *utf8 = g_convert ((const gchar *) data.data (), data.size (), "UTF-8", "ISO-8859-1",
                             nullptr, &len, nullptr);
    bytes.reset (utf8 ? g_bytes_new_take (utf8, len) : g_bytes_new (nullptr, 0));
  } else {
    /* some owners end their text with a NUL */
    if (fetch_.mime == GV_CLIPBOARD_MIME_TEXT && !data.empty () && data.back () == 0)
      data.pop_back ();
    bytes.reset (g_bytes_new (data.data (), data.size ()));
  }
  std::string mime = fetch_.mime;
  fetch_ = Fetch ();
  GST_DEBUG_OBJECT (log_, "read the host clipboard: %s, %zu bytes", mime.c_str (),
                    g_bytes_get_size (bytes.get ()));
  on_content_ (mime.c_str (), bytes.get ());
}
