/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsrc's side of the host's assistance channel ("assist",
 * gvassistjson.h): the host's chat lines, clipboard and refusals as element
 * messages, `send-chat` and `send-clipboard`; what the host shares (the
 * `list-sources` and `share` actions; gvwebrtcsrc-sources and
 * gvwebrtcsrc-shared messages); the clipboard also travels the
 * video pad as "gv-clipboard" events (gvclipboardevent.h), down from the
 * host and up to it, for gvclipboard.
 */
#include "gvwebrtcsrc-private.h"

#include "../capture/gvsharedsource.h"
#include "../input/gvclipboardevent.h"
#include "gvassistjson.h"

#include <gst/webrtc/webrtc.h>

#include <cstring>

#define GST_CAT_DEFAULT gv_webrtc_src_debug

namespace {

void post (GvWebRTCSrc *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* "gvwebrtcsrc-sources": current, and the arrays ids, kinds, names,
 * widths, heights (gvsharedsource.h). */
GstStructure *sources_structure (const gv::assist::Message &msg)
{
  std::vector<GvShareableSource> sources;
  for (const gv::assist::SourceItem &item : msg.sources)
    sources.push_back ({ item.id, item.kind, item.name, item.width, item.height });
  GstStructure *s = gst_structure_new_empty ("gvwebrtcsrc-sources");
  gv_sources_fill (s, msg.current, sources);
  return s;
}

void handle (GvWebRTCSrc *self, const char *text, gsize length)
{
  gv::assist::Message msg;
  std::string error;
  if (!gv::assist::parse_message (text, length, msg, error)) {
    GST_DEBUG_OBJECT (self, "ignoring a message on the assistance channel: %s", error.c_str ());
    return;
  }
  switch (msg.kind) {
  case gv::assist::Kind::HostChat:
    post (self, gst_structure_new ("gvwebrtcsrc-chat", "from", G_TYPE_STRING, msg.from.c_str (),
                                   "peer", G_TYPE_STRING, msg.peer.c_str (), "text", G_TYPE_STRING,
                                   msg.text.c_str (), "time", G_TYPE_INT64, msg.time, nullptr));
    break;
  case gv::assist::Kind::Refused:
    GST_INFO_OBJECT (self, "the host refused a %s message: %s", msg.what.c_str (),
                     msg.message.c_str ());
    post (self, gst_structure_new ("gvwebrtcsrc-refused", "what", G_TYPE_STRING, msg.what.c_str (),
                                   "message", G_TYPE_STRING, msg.message.c_str (), nullptr));
    break;
  case gv::assist::Kind::Shared:
    post (self, gst_structure_new ("gvwebrtcsrc-shared", "source", G_TYPE_STRING,
                                   msg.source.c_str (), "name", G_TYPE_STRING, msg.name.c_str (),
                                   "width", G_TYPE_INT, msg.width, "height", G_TYPE_INT, msg.height,
                                   "by", G_TYPE_STRING, msg.by.c_str (), "reason", G_TYPE_STRING,
                                   msg.reason.c_str (), nullptr));
    break;
  case gv::assist::Kind::Sources:
    post (self, sources_structure (msg));
    break;
  case gv::assist::Kind::Cursor:
  case gv::assist::Kind::CursorShape:
    break; /* the picture it decodes is drawn as it comes (no pointer drawn here) */
  case gv::assist::Kind::ViewerChat:
  case gv::assist::Kind::Resize:
  case gv::assist::Kind::ListSources:
  case gv::assist::Kind::Share:
    GST_DEBUG_OBJECT (self, "ignoring a viewer's message from the host");
    break;
  case gv::assist::Kind::Clipboard: {
    std::string mime, bytes;
    bool whole;
    {
      std::lock_guard<std::mutex> guard (self->priv->lock);
      whole = self->priv->clipboard.add (msg, mime, bytes);
    }
    if (whole) {
      GBytes *data = g_bytes_new (bytes.data (), bytes.size ());
      {
        std::lock_guard<std::mutex> guard (self->priv->lock);
        self->priv->clipboard_down_mime = mime;
        self->priv->clipboard_down.reset (g_bytes_ref (data), g_bytes_unref);
      }
      post (self, gst_structure_new ("gvwebrtcsrc-clipboard", "mime", G_TYPE_STRING, mime.c_str (),
                                     "data", G_TYPE_BYTES, data, nullptr));
      g_bytes_unref (data);
    }
    break;
  }
  }
}

void on_string (GObject *, const gchar *text, gpointer user)
{
  handle (GV_WEBRTC_SRC (user), text ? text : "", text ? strlen (text) : 0);
}

void on_data (GObject *, GBytes *data, gpointer user)
{
  gsize length = 0;
  const char *bytes = data ? (const char *) g_bytes_get_data (data, &length) : nullptr;
  handle (GV_WEBRTC_SRC (user), bytes ? bytes : "", bytes ? length : 0);
}

/* Sends one message on the host's assistance channel; `action` names the
 * signal in warnings. */
bool send_assist (GvWebRTCSrc *self, const std::string &line, const char *action)
{
  GObject *channel;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    channel =
        self->priv->assist_channel ? G_OBJECT (g_object_ref (self->priv->assist_channel)) : nullptr;
  }
  if (!channel) {
    GST_WARNING_OBJECT (self, "%s: the host has opened no assistance channel", action);
    return FALSE;
  }
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
  g_object_get (channel, "ready-state", &state, nullptr);
  bool open = state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
  if (open)
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), line.c_str ());
  else
    GST_WARNING_OBJECT (self, "%s: the assistance channel is not open", action);
  g_object_unref (channel);
  return open;
}

gboolean send_chat_action (GvWebRTCSrc *self, const char *text)
{
  std::string line = gv::assist::make_chat (text);
  if (line.empty ()) {
    GST_WARNING_OBJECT (self,
                        "send-chat: not chat text (1 to %u bytes of UTF-8, no control "
                        "characters but newline and tab)",
                        (guint) gv::assist::kMaxChatBytes);
    return FALSE;
  }
  return send_assist (self, line, "send-chat");
}

/* The host answers with "sources" (posted as gvwebrtcsrc-sources) or a
 * refusal (gvwebrtcsrc-refused). */
gboolean list_sources_action (GvWebRTCSrc *self)
{
  return send_assist (self, gv::assist::make_list_sources (), "list-sources");
}

/* The host announces the change to every viewer (gvwebrtcsrc-shared), or
 * refuses (gvwebrtcsrc-refused). */
gboolean share_action (GvWebRTCSrc *self, const char *id)
{
  std::string line = gv::assist::make_share (id ? id : "");
  if (line.empty ()) {
    GST_WARNING_OBJECT (self, "share: \"%s\" is not screen, display:N or window:0xHEX",
                        id ? id : "");
    return FALSE;
  }
  return send_assist (self, line, "share");
}

/* Asks the host's display to take this size (needs `control`, and a host
 * that resizes); a refusal comes back as gvwebrtcsrc-refused. */
gboolean resize_action (GvWebRTCSrc *self, gint width, gint height)
{
  std::string line = gv::assist::make_resize (width, height);
  if (line.empty ()) {
    GST_WARNING_OBJECT (self, "request-resize: %dx%d is outside %dx%d..%dx%d", width, height,
                        gv::assist::kMinResize, gv::assist::kMinResize, gv::assist::kMaxResize,
                        gv::assist::kMaxResize);
    return FALSE;
  }
  return send_assist (self, line, "request-resize");
}

gboolean send_clipboard_action (GvWebRTCSrc *self, const char *mime, GBytes *data)
{
  return gv_webrtc_src_send_clipboard (self, mime, data);
}

} // namespace

/* What the viewer copied (text or a PNG), to the host in pieces; the host
 * takes it only when it granted `clipboard`. */
bool gv_webrtc_src_send_clipboard (GvWebRTCSrc *self, const char *mime, GBytes *data)
{
  gsize size = 0;
  const char *bytes = data ? static_cast<const char *> (g_bytes_get_data (data, &size)) : nullptr;
  std::vector<std::string> pieces = gv::assist::make_clipboard (
      gv::assist::new_clipboard_id (), mime, std::string (bytes ? bytes : "", bytes ? size : 0));
  if (pieces.empty ()) {
    GST_WARNING_OBJECT (self,
                        "send-clipboard: %s of %" G_GSIZE_FORMAT " bytes is not clipboard "
                        "content (text/plain;charset=utf-8 or image/png, at most 10 MiB)",
                        mime ? mime : "(none)", size);
    return FALSE;
  }
  GObject *channel;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    channel =
        self->priv->assist_channel ? G_OBJECT (g_object_ref (self->priv->assist_channel)) : nullptr;
  }
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
  if (channel)
    g_object_get (channel, "ready-state", &state, nullptr);
  const bool open = state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
  if (open)
    for (const std::string &piece : pieces)
      gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), piece.c_str ());
  else
    GST_WARNING_OBJECT (self, "send-clipboard: the assistance channel is not open");
  if (channel)
    g_object_unref (channel);
  return open;
}

void gv_webrtc_src_push_clipboard (GvWebRTCSrc *self, GstPad *pad)
{
  std::shared_ptr<GBytes> data;
  std::string mime;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (!self->priv->clipboard_down)
      return;
    data.swap (self->priv->clipboard_down);
    mime = self->priv->clipboard_down_mime;
  }
  if (!gst_pad_push_event (pad, gv_clipboard_event_new_from_host (mime.c_str (), data.get ())))
    GST_DEBUG_OBJECT (self, "nobody downstream of %s took the host's clipboard",
                      GST_PAD_NAME (pad));
}

bool gv_webrtc_src_clipboard_from_downstream (GvWebRTCSrc *self, GstEvent *event)
{
  const gchar *mime = nullptr;
  GBytes *data = nullptr;
  bool granted;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    granted = self->priv->capabilities & GV_CAPABILITY_CLIPBOARD;
    if (!granted)
      self->priv->clipboard_refused++;
  }
  if (!granted) {
    GST_DEBUG_OBJECT (self, "the host has not granted clipboard: a local copy not sent");
    return false;
  }
  if (!gv_clipboard_event_parse (event, &mime, &data, nullptr))
    return false;
  return gv_webrtc_src_send_clipboard (self, mime, data);
}

bool gv_webrtc_src_attach_assist (GvWebRTCSrc *self, GObject *channel)
{
  gchar *label = nullptr;
  g_object_get (channel, "label", &label, nullptr);
  bool ours = label && g_str_equal (label, gv::assist::kChannelLabel);
  g_free (label);
  if (!ours)
    return false;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (self->priv->assist_channel)
      return true; /* one is enough: a second is ignored */
    self->priv->assist_channel = G_OBJECT (g_object_ref (channel));
  }
  g_signal_connect_object (channel, "on-message-string", G_CALLBACK (on_string), self,
                           (GConnectFlags) 0);
  g_signal_connect_object (channel, "on-message-data", G_CALLBACK (on_data), self,
                           (GConnectFlags) 0);
  return true;
}

void gv_webrtc_src_install_assist_signals (GType type)
{
  g_signal_new_class_handler (
      "send-chat", type, (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (send_chat_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  g_signal_new_class_handler ("send-clipboard", type,
                              (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (send_clipboard_action), nullptr, nullptr, nullptr,
                              G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_BYTES);
  g_signal_new_class_handler (
      "list-sources", type, (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (list_sources_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 0);
  g_signal_new_class_handler ("request-resize", type,
                              (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (resize_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN,
                              2, G_TYPE_INT, G_TYPE_INT);
  g_signal_new_class_handler ("share", type, (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (share_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN,
                              1, G_TYPE_STRING);
}
