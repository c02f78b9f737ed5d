/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvfilechannel.h"

#include <gst/webrtc/webrtc.h>

#include <cstring>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

FileChannel::FileChannel (std::string download_dir, FileLimits limits, GstObject *log_object,
                          Callbacks callbacks)
    : log_object_ (log_object)
{
  FileEndpoint::Callbacks cb;
  /* All under lock_ (the endpoint's callers hold it). */
  cb.send_text = [this] (const std::string &text) {
    if (channel_)
      gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel_), text.c_str ());
  };
  cb.send_binary = [this] (const std::vector<guint8> &bytes) {
    if (!channel_)
      return;
    GBytes *b = g_bytes_new (bytes.data (), bytes.size ());
    gst_webrtc_data_channel_send_data (GST_WEBRTC_DATA_CHANNEL (channel_), b);
    g_bytes_unref (b);
  };
  cb.buffered_amount = [this] () {
    guint64 amount = 0;
    if (channel_)
      g_object_get (channel_, "buffered-amount", &amount, nullptr);
    return amount;
  };
  cb.may_receive = std::move (callbacks.may_receive);
  cb.event = std::move (callbacks.event);
  cb.allowance = std::move (callbacks.allowance);
  cb.arrived = std::move (callbacks.arrived);
  endpoint_ = std::make_unique<FileEndpoint> (std::move (download_dir), limits, std::move (cb));
}

FileChannel::~FileChannel ()
{
  close ();
}

gpointer FileChannel::hold ()
{
  return new std::weak_ptr<FileChannel> (shared_from_this ());
}

void FileChannel::release (gpointer data, GClosure *)
{
  delete static_cast<std::weak_ptr<FileChannel> *> (data);
}

static std::shared_ptr<FileChannel> lock_owner (gpointer data)
{
  return static_cast<std::weak_ptr<FileChannel> *> (data)->lock ();
}

void FileChannel::attach (GObject *channel)
{
  {
    std::lock_guard<std::recursive_mutex> guard (lock_);
    if (channel_ || closed_)
      return;
    channel_ = G_OBJECT (g_object_ref (channel));
  }
  g_object_set (channel, "buffered-amount-low-threshold", FileEndpoint::kHighWater / 2, nullptr);
  g_signal_connect_data (channel, "on-message-string", G_CALLBACK (on_string), hold (), release,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-message-data", G_CALLBACK (on_data), hold (), release,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-buffered-amount-low", G_CALLBACK (on_low), hold (), release,
                         (GConnectFlags) 0);
}

void FileChannel::on_string (GObject *, const gchar *text, gpointer data)
{
  std::shared_ptr<FileChannel> self = lock_owner (data);
  if (!self || !text)
    return;
  std::lock_guard<std::recursive_mutex> guard (self->lock_);
  if (!self->closed_)
    self->endpoint_->on_text (text, strlen (text));
}

void FileChannel::on_data (GObject *, GBytes *bytes, gpointer data)
{
  std::shared_ptr<FileChannel> self = lock_owner (data);
  if (!self || !bytes)
    return;
  gsize length = 0;
  const auto *p = static_cast<const guint8 *> (g_bytes_get_data (bytes, &length));
  std::lock_guard<std::recursive_mutex> guard (self->lock_);
  if (!self->closed_)
    self->endpoint_->on_binary (p, length);
}

void FileChannel::on_low (GObject *, gpointer data)
{
  std::shared_ptr<FileChannel> self = lock_owner (data);
  if (!self)
    return;
  std::lock_guard<std::recursive_mutex> guard (self->lock_);
  if (!self->closed_)
    self->endpoint_->pump ();
}

void FileChannel::pump ()
{
  std::lock_guard<std::recursive_mutex> guard (lock_);
  if (!closed_)
    endpoint_->pump ();
}

bool FileChannel::offer (const std::string &path, GError **error)
{
  std::lock_guard<std::recursive_mutex> guard (lock_);
  if (closed_ || !channel_) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "no file channel to that peer yet");
    return false;
  }
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
  g_object_get (channel_, "ready-state", &state, nullptr);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "the file channel is not open");
    return false;
  }
  GST_INFO_OBJECT (log_object_, "offering %s", path.c_str ());
  return endpoint_->offer (path, "", error);
}

void FileChannel::close ()
{
  GObject *channel;
  {
    std::lock_guard<std::recursive_mutex> guard (lock_);
    closed_ = true;
    channel = channel_;
    channel_ = nullptr;
  }
  if (channel) {
    g_signal_handlers_disconnect_matched (channel, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                          (gpointer) on_string, nullptr);
    g_signal_handlers_disconnect_matched (channel, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                          (gpointer) on_data, nullptr);
    g_signal_handlers_disconnect_matched (channel, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                          (gpointer) on_low, nullptr);
    g_object_unref (channel);
  }
}

guint64 FileChannel::refused () const
{
  std::lock_guard<std::recursive_mutex> guard (lock_);
  return endpoint_->refused ();
}

} // namespace gv::webrtc
