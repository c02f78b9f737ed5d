/* GhostView — the local X11 clipboard exchanged with the other end of a
 * session, see gvclipboardexchange.h. */
#include "gvclipboardexchange.h"
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

/* What came from the other end and is copied locally this soon, unchanged,
 * is the echo of our own paste (a clipboard manager taking it over...). */
#define ECHO_WINDOW_US (2 * G_USEC_PER_SEC)

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

const GvClipboardExchangeRole gv_clipboard_role_host = {
  GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, "gvinputinject-clipboard",     nullptr,
  "gvinputinject-clipboard-refused",  "clipboard-from-viewers",      "clipboard-to-viewers",
  "clipboard-refused-from-viewers",   "clipboard-refused-from-host", "clipboard-suppressed",
};

const GvClipboardExchangeRole gv_clipboard_role_receiver = {
  GST_EVENT_CUSTOM_UPSTREAM, "gvclipboard-sent", "gvclipboard-received",
  "gvclipboard-refused",     "received",         "sent",
  "refused-received",        "refused-local",    "suppressed",
};

GvClipboardExchange::GvClipboardExchange (GstElement *element, const GvClipboardExchangeRole &role)
    : element_ (element), role_ (role), max_bytes_ (GV_CLIPBOARD_DEFAULT_MAX_BYTES)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gv_clipboard_debug, "gvclipboard", 0,
                             "GhostView clipboard exchange (gvclipboard, gvinputinject)");
    g_once_init_leave (&once, 1);
  }
}

GvClipboardExchange::~GvClipboardExchange ()
{
  stop ();
  if (last_received_)
    g_bytes_unref (last_received_);
}

void GvClipboardExchange::set_on_pending (std::function<void ()> on_pending)
{
  on_pending_ = std::move (on_pending);
}

bool GvClipboardExchange::start (const std::string &display, std::string *error)
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
      [this] (const char *mime, GBytes *data) { on_local_content (mime, data); },
      [this] (const char *reason, const char *mime, guint64 size) {
        on_local_refused (reason, mime, size);
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

void GvClipboardExchange::stop ()
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

void GvClipboardExchange::set_max_bytes (guint64 max_bytes)
{
  std::lock_guard<std::mutex> guard (lock_);
  max_bytes_ = max_bytes;
  if (x11_)
    x11_->set_max_bytes (max_bytes);
}

guint64 GvClipboardExchange::max_bytes () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return max_bytes_;
}

void GvClipboardExchange::post (GstStructure *s)
{
  gst_element_post_message (element_, gst_message_new_element (GST_OBJECT (element_), s));
}

bool GvClipboardExchange::refuse_received (const char *reason, const char *mime, guint64 size,
                                           const char *peer)
{
  {
    std::lock_guard<std::mutex> guard (lock_);
    refused_received_++;
  }
  GST_DEBUG_OBJECT (element_, "clipboard from %s refused: %s (%s, %" G_GUINT64_FORMAT " bytes)",
                    peer ? peer : "the other end", reason, mime ? mime : "no mime type", size);
  GstStructure *s = gst_structure_new (role_.refused_message, "reason", G_TYPE_STRING, reason,
                                       "size", G_TYPE_UINT64, size, NULL);
  if (mime)
    gst_structure_set (s, "mime", G_TYPE_STRING, mime, NULL);
  if (peer)
    gst_structure_set (s, "peer", G_TYPE_STRING, peer, NULL);
  post (s);
  return false;
}

bool GvClipboardExchange::receive (GstEvent *event)
{
  const gchar *mime = nullptr, *peer = nullptr;
  GBytes *data = nullptr;
  if (!gv_clipboard_event_parse (event, &mime, &data, &peer))
    return refuse_received ("malformed", nullptr, 0, nullptr);
  gsize size = 0;
  const guint8 *bytes = (const guint8 *) g_bytes_get_data (data, &size);
  if (!gv_clipboard_mime_is_known (mime))
    return refuse_received ("unsupported-mime", mime, size, peer);
  if (size == 0)
    return refuse_received ("empty", mime, size, peer);
  if (size > max_bytes ())
    return refuse_received ("too-large", mime, size, peer);
  bool text = strcmp (mime, GV_CLIPBOARD_MIME_TEXT) == 0;
  /* g_utf8_validate with a length refuses NUL bytes too */
  if (text && !g_utf8_validate ((const gchar *) bytes, size, nullptr))
    return refuse_received ("invalid-utf8", mime, size, peer);
  if (!text && (size < sizeof png_signature || memcmp (bytes, png_signature, 8) != 0))
    return refuse_received ("invalid-png", mime, size, peer);

  GBytes *dropped = nullptr;
  bool taken = false;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (x11_ && x11_->offer (mime, data)) {
      taken = true;
      received_++;
      if (last_received_)
        g_bytes_unref (last_received_);
      last_received_ = g_bytes_ref (data);
      last_received_mime_ = mime;
      last_received_time_ = g_get_monotonic_time ();
      /* what was copied locally before is not the local clipboard any more */
      dropped = pending_;
      pending_ = nullptr;
    }
  }
  if (dropped)
    g_bytes_unref (dropped);
  if (!taken)
    return refuse_received ("unavailable", mime, size, peer);
  GST_DEBUG_OBJECT (element_, "clipboard from %s: %s, %" G_GSIZE_FORMAT " bytes",
                    peer ? peer : "the other end", mime, size);
  if (role_.received_message)
    post (gst_structure_new (role_.received_message, "mime", G_TYPE_STRING, mime, "size",
                             G_TYPE_UINT64, (guint64) size, NULL));
  return true;
}

void GvClipboardExchange::on_local_refused (const char *reason, const char *mime, guint64 size)
{
  std::lock_guard<std::mutex> guard (lock_);
  refused_local_++;
  GST_DEBUG_OBJECT (element_,
                    "local clipboard not sent: %s (%s, %" G_GUINT64_FORMAT
                    " bytes), %" G_GUINT64_FORMAT " refused so far",
                    reason, mime, size, refused_local_);
}

void GvClipboardExchange::on_local_content (const char *mime, GBytes *data)
{
  gsize size = 0;
  const gchar *bytes = (const gchar *) g_bytes_get_data (data, &size);
  bool text = strcmp (mime, GV_CLIPBOARD_MIME_TEXT) == 0;
  if (size == 0)
    return; /* an empty clipboard is nothing to share */
  if (size > max_bytes ()) {
    on_local_refused ("too-large", mime, size);
    return;
  }
  if (text && !g_utf8_validate (bytes, size, nullptr)) {
    on_local_refused ("invalid-utf8", mime, size);
    return;
  }
  GBytes *replaced;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (last_received_ && last_received_mime_ == mime &&
        g_get_monotonic_time () - last_received_time_ < ECHO_WINDOW_US &&
        g_bytes_equal (last_received_, data)) {
      suppressed_++;
      GST_DEBUG_OBJECT (element_, "local clipboard is what the other end just sent: not sent back");
      return;
    }
    replaced = pending_;
    pending_ = g_bytes_ref (data);
    pending_mime_ = mime;
  }
  if (replaced)
    g_bytes_unref (replaced);
  if (on_pending_)
    on_pending_ ();
}

void GvClipboardExchange::push_pending (GstPad *pad)
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
    /* counted before it leaves: whoever sees the event sees the count */
    sent_++;
  }
  gsize size = g_bytes_get_size (data);
  GST_DEBUG_OBJECT (element_, "local clipboard to the other end: %s, %" G_GSIZE_FORMAT " bytes",
                    mime.c_str (), size);
  bool taken = gst_pad_push_event (
      pad, gv_clipboard_event_new (role_.outgoing, mime.c_str (), data, nullptr));
  g_bytes_unref (data);
  if (!taken) {
    {
      std::lock_guard<std::mutex> guard (lock_);
      sent_--;
      refused_local_++;
    }
    GST_DEBUG_OBJECT (element_, "nobody %s took the clipboard event",
                      role_.outgoing == GST_EVENT_CUSTOM_UPSTREAM ? "upstream" : "downstream");
    return;
  }
  post (gst_structure_new (role_.sent_message, "mime", G_TYPE_STRING, mime.c_str (), "size",
                           G_TYPE_UINT64, (guint64) size, NULL));
}

void GvClipboardExchange::fill_stats (GstStructure *stats) const
{
  std::lock_guard<std::mutex> guard (lock_);
  gst_structure_set (stats, role_.stat_received, G_TYPE_UINT64, received_, role_.stat_sent,
                     G_TYPE_UINT64, sent_, role_.stat_refused_received, G_TYPE_UINT64,
                     refused_received_, role_.stat_refused_local, G_TYPE_UINT64, refused_local_,
                     role_.stat_suppressed, G_TYPE_UINT64, suppressed_, NULL);
}
