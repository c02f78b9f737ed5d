/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's clipboard exchange: clipboard content travels the
 * assistance channel in pieces (gvassistjson.h, "clipboard"), and along the
 * pipeline as "gv-clipboard" events (gvclipboardevent.h), which
 * gvinputinject turns into the host's X11 clipboard and back. Only viewers
 * with the `clipboard` capability send or get it. Each exchange posts
 * `gvwebrtcsink-clipboard`.
 */
#include "gvwebrtcsink-private.h"

#include "../input/gvclipboardevent.h"
#include "gvassistjson.h"

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::ViewerPtr;

namespace {

void post (GvWebRTCSink *self, const char *direction, const std::string &peer,
           const std::string &mime, gsize size, guint viewers)
{
  GstStructure *s =
      gst_structure_new ("gvwebrtcsink-clipboard", "direction", G_TYPE_STRING, direction, "peer-id",
                         G_TYPE_STRING, peer.c_str (), "mime", G_TYPE_STRING, mime.c_str (), "size",
                         G_TYPE_UINT64, (guint64) size, "viewers", G_TYPE_UINT, viewers, nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

} // namespace

void gv_webrtc_sink_clipboard_from_host (GvWebRTCSink *self, const char *mime, GBytes *data)
{
  gsize size = 0;
  const char *bytes = static_cast<const char *> (g_bytes_get_data (data, &size));
  std::vector<std::string> pieces = gv::assist::make_clipboard (
      gv::assist::new_clipboard_id (), mime, std::string (bytes ? bytes : "", bytes ? size : 0));
  if (pieces.empty ()) {
    GST_WARNING_OBJECT (self,
                        "clipboard content of %" G_GSIZE_FORMAT " bytes (%s) not sent: over "
                        "%" G_GSIZE_FORMAT " bytes or of an unknown kind",
                        size, mime, gv::assist::kMaxClipboardBytes);
    return;
  }
  std::vector<ViewerPtr> viewers;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (const auto &kv : self->priv->viewers)
      if (kv.second->capabilities () & GV_CAPABILITY_CLIPBOARD)
        viewers.push_back (kv.second);
  }
  for (const ViewerPtr &viewer : viewers)
    for (const std::string &piece : pieces)
      viewer->send_assist (piece);
  GST_DEBUG_OBJECT (self, "host clipboard (%s, %" G_GSIZE_FORMAT " bytes) to %zu viewers", mime,
                    size, viewers.size ());
  post (self, "to-viewers", "", mime, size, (guint) viewers.size ());
}

void gv_webrtc_sink_clipboard_from_viewer (GvWebRTCSink *self, const std::string &peer,
                                           const std::string &mime, const std::string &bytes)
{
  GBytes *data = g_bytes_new (bytes.data (), bytes.size ());
  GstEvent *event = gv_clipboard_event_new_from_viewer (mime.c_str (), data, peer.c_str ());
  g_bytes_unref (data);
  GST_DEBUG_OBJECT (self, "clipboard of viewer %s (%s, %zu bytes) upstream", peer.c_str (),
                    mime.c_str (), bytes.size ());
  self->priv->video ().push_upstream (event);
  post (self, "from-viewer", peer, mime, bytes.size (), 0);
}
