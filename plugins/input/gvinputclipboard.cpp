/* GhostView — gvinputinject's clipboard exchange, see gvinputclipboard.h. */
#include "gvinputclipboard.h"
#include "gvclipboardevent.h"

#ifdef GV_HAVE_X11_CLIPBOARD
#include "gvx11clipboard.h"
#else
/* complete type for the unique_ptr in builds without an X11 clipboard */
class GvX11Clipboard {
public:
  virtual ~GvX11Clipboard () = default;
  virtual bool offer (const char *, GBytes *) = 0;
  virtual void set_max_bytes (guint64) = 0;
};
#endif

#include <cstring>

GST_DEBUG_CATEGORY (gv_clipboard_debug);
#define GST_CAT_DEFAULT gv_clipboard_debug

/* What came from a viewer and comes back from the host this soon, unchanged,
 * is the echo of our own paste (a clipboard manager taking it over...). */
#define ECHO_WINDOW_US (2 * G_USEC_PER_SEC)

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

GvInputClipboard::GvInputClipboard (GstElement *element)
    : element_ (element), max_bytes_ (GV_CLIPBOARD_DEFAULT_MAX_BYTES)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gv_clipboard_debug, "gvclipboard", 0,
                             "GhostView clipboard exchange (gvinputinject)");
    g_once_init_leave (&once, 1);
  }
}

GvInputClipboard::~GvInputClipboard ()
{
  stop ();
  if (last_from_viewer_)
    g_bytes_unref (last_from_viewer_);
}

bool GvInputClipboard::start (const std::string &display, std::string *error)
{
#ifdef GV_HAVE_X11_CLIPBOARD
  guint64 max_bytes;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (x11_)
      return true;
    max_bytes = max_bytes_;
  }
  auto x11 = GvX11Clipboard::start (
      display.c_str (), max_bytes,
      [this] (const char *mime, GBytes *data) { on_host_content (mime, data); },
      [this] (const char *reason, const char *mime, guint64 size) {
        on_host_refused (reason, mime, size);
      },
      GST_OBJECT (element_), error);
  if (!x11)
    return false;
  std::lock_guard<std::mutex> guard (lock_);
  x11_ = std::move (x11);
  return true;
#else
  (void) display;
  *error = "this build has no X11 clipboard (needs XFixes)";
  return false;
#endif
}

void GvInputClipboard::stop ()
{
  std::unique_ptr<GvX11Clipboard> x11;
  GBytes *pending;
  {
    std::lock_guard<std::mutex> guard (lock_);
    x11.swap (x11_);
    pending = pending_;
    pending_ = nullptr;
  }
  /* joined without our lock: the thread's callbacks take it */
  x11.reset ();
  if (pending)
    g_bytes_unref (pending);
}

void GvInputClipboard::set_max_bytes (guint64 max_bytes)
{
  std::lock_guard<std::mutex> guard (lock_);
  max_bytes_ = max_bytes;
  if (x11_)
    x11_->set_max_bytes (max_bytes);
}

guint64 GvInputClipboard::max_bytes () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return max_bytes_;
}

bool GvInputClipboard::refuse_upstream (const char *reason, const char *mime, guint64 size,
                                        const char *peer)
{
  {
    std::lock_guard<std::mutex> guard (lock_);
    refused_from_viewers_++;
  }
  GST_DEBUG_OBJECT (element_,
                    "clipboard from viewer %s refused: %s (%s, %" G_GUINT64_FORMAT " bytes)",
                    peer ? peer : "(unknown)", reason, mime ? mime : "no mime type", size);
  GstStructure *s = gst_structure_new ("gvinputinject-clipboard-refused", "reason", G_TYPE_STRING,
                                       reason, "size", G_TYPE_UINT64, size, NULL);
  if (mime)
    gst_structure_set (s, "mime", G_TYPE_STRING, mime, NULL);
  if (peer)
    gst_structure_set (s, "peer", G_TYPE_STRING, peer, NULL);
  gst_element_post_message (element_, gst_message_new_element (GST_OBJECT (element_), s));
  return false;
}

bool GvInputClipboard::handle_upstream (GstEvent *event)
{
  const gchar *mime = nullptr, *peer = nullptr;
  GBytes *data = nullptr;
  if (!gv_clipboard_event_parse (event, &mime, &data, &peer))
    return refuse_upstream ("malformed", nullptr, 0, nullptr);
  gsize size = 0;
  const guint8 *bytes = (const guint8 *) g_bytes_get_data (data, &size);
  if (!gv_clipboard_mime_is_known (mime))
    return refuse_upstream ("unsupported-mime", mime, size, peer);
  if (size == 0)
    return refuse_upstream ("empty", mime, size, peer);
  if (size > max_bytes ())
    return refuse_upstream ("too-large", mime, size, peer);
  bool text = strcmp (mime, GV_CLIPBOARD_MIME_TEXT) == 0;
  /* g_utf8_validate with a length refuses NUL bytes too */
  if (text && !g_utf8_validate ((const gchar *) bytes, size, nullptr))
    return refuse_upstream ("invalid-utf8", mime, size, peer);
  if (!text && (size < sizeof png_signature || memcmp (bytes, png_signature, 8) != 0))
    return refuse_upstream ("invalid-png", mime, size, peer);

  GBytes *dropped = nullptr;
  bool taken = false;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (x11_ && x11_->offer (mime, data)) {
      taken = true;
      from_viewers_++;
      if (last_from_viewer_)
        g_bytes_unref (last_from_viewer_);
      last_from_viewer_ = g_bytes_ref (data);
      last_from_viewer_mime_ = mime;
      last_from_viewer_time_ = g_get_monotonic_time ();
      /* what the host copied before is not the host's clipboard any more */
      dropped = pending_;
      pending_ = nullptr;
    }
  }
  if (dropped)
    g_bytes_unref (dropped);
  if (!taken)
    return refuse_upstream ("unavailable", mime, size, peer);
  GST_DEBUG_OBJECT (element_, "clipboard from viewer %s: %s, %" G_GSIZE_FORMAT " bytes",
                    peer ? peer : "(unknown)", mime, size);
  return true;
}

void GvInputClipboard::on_host_refused (const char *reason, const char *mime, guint64 size)
{
  std::lock_guard<std::mutex> guard (lock_);
  refused_from_host_++;
  GST_DEBUG_OBJECT (element_,
                    "host clipboard not sent: %s (%s, %" G_GUINT64_FORMAT
                    " bytes), %" G_GUINT64_FORMAT " refused so far",
                    reason, mime, size, refused_from_host_);
}

void GvInputClipboard::on_host_content (const char *mime, GBytes *data)
{
  gsize size = 0;
  const gchar *bytes = (const gchar *) g_bytes_get_data (data, &size);
  bool text = strcmp (mime, GV_CLIPBOARD_MIME_TEXT) == 0;
  if (size == 0)
    return; /* an empty clipboard is nothing to share */
  if (size > max_bytes ()) {
    on_host_refused ("too-large", mime, size);
    return;
  }
  if (text && !g_utf8_validate (bytes, size, nullptr)) {
    on_host_refused ("invalid-utf8", mime, size);
    return;
  }
  GBytes *replaced;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (last_from_viewer_ && last_from_viewer_mime_ == mime &&
        g_get_monotonic_time () - last_from_viewer_time_ < ECHO_WINDOW_US &&
        g_bytes_equal (last_from_viewer_, data)) {
      suppressed_++;
      GST_DEBUG_OBJECT (element_, "host clipboard is what a viewer just sent: not sent back");
      return;
    }
    replaced = pending_;
    pending_ = g_bytes_ref (data);
    pending_mime_ = mime;
  }
  if (replaced)
    g_bytes_unref (replaced);
}

void GvInputClipboard::push_pending (GstPad *srcpad)
{
  GBytes *data;
  std::string mime;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!pending_)
      return;
    data = pending_;
    pending_ = nullptr;
    mime = pending_mime_;
    to_viewers_++;
  }
  gsize size = g_bytes_get_size (data);
  GST_DEBUG_OBJECT (element_, "host clipboard to viewers: %s, %" G_GSIZE_FORMAT " bytes",
                    mime.c_str (), size);
  if (!gst_pad_push_event (srcpad, gv_clipboard_event_new_from_host (mime.c_str (), data)))
    GST_DEBUG_OBJECT (element_, "nobody downstream took the clipboard event");
  g_bytes_unref (data);
  gst_element_post_message (
      element_, gst_message_new_element (GST_OBJECT (element_),
                                         gst_structure_new ("gvinputinject-clipboard", "mime",
                                                            G_TYPE_STRING, mime.c_str (), "size",
                                                            G_TYPE_UINT64, (guint64) size, NULL)));
}

void GvInputClipboard::fill_stats (GstStructure *stats) const
{
  std::lock_guard<std::mutex> guard (lock_);
  gst_structure_set (stats, "clipboard-from-viewers", G_TYPE_UINT64, from_viewers_,
                     "clipboard-to-viewers", G_TYPE_UINT64, to_viewers_,
                     "clipboard-refused-from-viewers", G_TYPE_UINT64, refused_from_viewers_,
                     "clipboard-refused-from-host", G_TYPE_UINT64, refused_from_host_,
                     "clipboard-suppressed", G_TYPE_UINT64, suppressed_, NULL);
}
