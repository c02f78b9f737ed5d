/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsrc's side of the host's file-transfer channel ("file",
 * gvfilechannel.h): files the host sends land in `download-dir`; `send-file`
 * offers one to the host (which takes it only when it granted the `file`
 * capability); every step is a `gvwebrtcsrc-file` element message.
 */
#include "gvwebrtcsrc-private.h"

#include "gvfilejson.h"

#define GST_CAT_DEFAULT gv_webrtc_src_debug

using gv::webrtc::FileEvent;

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

void post_event (GvWebRTCSrc *self, const FileEvent &e)
{
  const bool incoming = e.direction == FileEvent::Direction::Incoming;
  GstStructure *s = gst_structure_new (
      "gvwebrtcsrc-file", "direction", G_TYPE_STRING, incoming ? "incoming" : "outgoing", "state",
      G_TYPE_STRING, state_name (e.state), "file", G_TYPE_STRING, e.name.c_str (), "size",
      G_TYPE_UINT64, e.size, "bytes", G_TYPE_UINT64, e.bytes, "code", G_TYPE_STRING,
      e.code.c_str (), "message", G_TYPE_STRING, e.message.c_str (), nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

gboolean send_file_action (GvWebRTCSrc *self, const char *path)
{
  std::shared_ptr<gv::webrtc::FileChannel> files;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    files = self->priv->files;
  }
  GError *error = nullptr;
  if (!path || !files || !files->offer (path, &error)) {
    const char *why = error ? error->message : "the host has opened no file channel";
    GST_WARNING_OBJECT (self, "send-file %s: %s", path ? path : "(none)", why);
    FileEvent e;
    e.direction = FileEvent::Direction::Outgoing;
    e.state = FileEvent::State::Failed;
    e.name = path ? path : "";
    e.code = gv::files::kCodeFailed;
    e.message = why;
    post_event (self, e);
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

} // namespace

std::string gv_webrtc_src_default_download_dir ()
{
  const gchar *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  gchar *dir = downloads ? g_build_filename (downloads, "GhostView", nullptr)
                         : g_build_filename (g_get_home_dir (), "Downloads", "GhostView", nullptr);
  std::string out = dir;
  g_free (dir);
  return out;
}

bool gv_webrtc_src_attach_files (GvWebRTCSrc *self, GObject *channel)
{
  gchar *label = nullptr;
  g_object_get (channel, "label", &label, nullptr);
  bool ours = label && g_str_equal (label, gv::files::kChannelLabel);
  g_free (label);
  if (!ours)
    return false;
  std::shared_ptr<gv::webrtc::FileChannel> files;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (self->priv->files)
      return true; /* one is enough: a second is ignored */
    /* The host may always send (the person runs this receiver, within the
     * limits); what a viewer may send is the host's to decide. */
    self->priv->files = std::make_shared<gv::webrtc::FileChannel> (
        self->priv->download_dir, gv::webrtc::FileLimits (), GST_OBJECT (self),
        gv::webrtc::FileChannel::Callbacks{
            [] () { return true; },
            [self] (const FileEvent &e) { post_event (self, e); },
            nullptr, /* no video goes this way to yield to */
            nullptr,
        });
    files = self->priv->files;
  }
  files->attach (channel);
  return true;
}

void gv_webrtc_src_close_files (GvWebRTCSrc *self)
{
  std::shared_ptr<gv::webrtc::FileChannel> files;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    files.swap (self->priv->files);
  }
  if (files)
    files->close ();
}

void gv_webrtc_src_install_file_signals (GType type)
{
  g_signal_new_class_handler (
      "send-file", type, (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (send_file_action), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
}
