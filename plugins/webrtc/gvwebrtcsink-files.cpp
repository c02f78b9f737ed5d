/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's file transfer (gvfilechannel.h, a "file" channel per
 * viewer): files from viewers with the `file` capability land in
 * `download-dir`; `send-file` offers one to a viewer; every step of every
 * transfer is a `gvwebrtcsink-file` element message.
 */
#include "gvwebrtcsink-private.h"

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::FileEvent;
using gv::webrtc::ViewerPtr;

namespace {

const char *state_name (FileEvent::State state)
{
  switch (state) {
  case FileEvent::State::Offered:
    return "offered";
  case FileEvent::State::Accepted:
    return "accepted";
  case FileEvent::State::Progress:
    return "progress";
  case FileEvent::State::Done:
    return "done";
  case FileEvent::State::Failed:
    return "failed";
  }
  return "unknown";
}

gboolean send_file_action (GvWebRTCSink *self, const char *peer, const char *path)
{
  ViewerPtr viewer;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    auto it = self->priv->viewers.find (peer ? peer : "");
    if (it != self->priv->viewers.end ())
      viewer = it->second;
  }
  if (!viewer || !path) {
    GST_WARNING_OBJECT (self, "send-file: no viewer %s", peer ? peer : "(none)");
    return FALSE;
  }
  GError *error = nullptr;
  if (!viewer->send_file (path, &error)) {
    GST_WARNING_OBJECT (self, "send-file %s to %s: %s", path, peer, error->message);
    GstStructure *s = gst_structure_new (
        "gvwebrtcsink-file", "peer-id", G_TYPE_STRING, peer, "name", G_TYPE_STRING,
        viewer->name ().c_str (), "direction", G_TYPE_STRING, "outgoing", "state", G_TYPE_STRING,
        "failed", "file", G_TYPE_STRING, path, "size", G_TYPE_UINT64, (guint64) 0, "bytes",
        G_TYPE_UINT64, (guint64) 0, "code", G_TYPE_STRING, "FAILED", "message", G_TYPE_STRING,
        error->message, nullptr);
    gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
    g_error_free (error);
    return FALSE;
  }
  return TRUE;
}

} // namespace

std::string gv_webrtc_sink_default_download_dir ()
{
  const gchar *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  gchar *dir = downloads ? g_build_filename (downloads, "GhostView", nullptr)
                         : g_build_filename (g_get_home_dir (), "Downloads", "GhostView", nullptr);
  std::string out = dir;
  g_free (dir);
  return out;
}

void gv_webrtc_sink_file_event (GvWebRTCSink *self, const std::string &peer,
                                const std::string &name, const FileEvent &e)
{
  const bool incoming = e.direction == FileEvent::Direction::Incoming;
  if (e.state == FileEvent::State::Done || e.state == FileEvent::State::Failed)
    GST_INFO_OBJECT (self, "file %s %s viewer %s: %s%s%s", e.name.c_str (),
                     incoming ? "from" : "to", peer.c_str (), state_name (e.state),
                     e.message.empty () ? "" : ": ", e.message.c_str ());
  GstStructure *s = gst_structure_new (
      "gvwebrtcsink-file", "peer-id", G_TYPE_STRING, peer.c_str (), "name", G_TYPE_STRING,
      name.c_str (), "direction", G_TYPE_STRING, incoming ? "incoming" : "outgoing", "state",
      G_TYPE_STRING, state_name (e.state), "file", G_TYPE_STRING, e.name.c_str (), "size",
      G_TYPE_UINT64, e.size, "bytes", G_TYPE_UINT64, e.bytes, "code", G_TYPE_STRING,
      e.code.c_str (), "message", G_TYPE_STRING, e.message.c_str (), nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

void gv_webrtc_sink_install_file_signals (GType type)
{
  gv_webrtc_sink_signals[GV_SINK_SIGNAL_SEND_FILE] = g_signal_new_class_handler (
      "send-file", type, (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (send_file_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING,
      G_TYPE_STRING);
}
