/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvterminalchannel.h"

#include "gvterminaljson.h"

#include <gst/webrtc/webrtc.h>

#include <cstring>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

namespace terminal = gv::terminal;

TerminalChannel::TerminalChannel (std::string peer, std::shared_ptr<Terminal> terminal,
                                  GstObject *log_object,
                                  std::function<GvCapabilities ()> capabilities)
    : peer_ (std::move (peer)), terminal_ (std::move (terminal)), log_object_ (log_object),
      capabilities_ (std::move (capabilities))
{}

TerminalChannel::~TerminalChannel ()
{
  close ();
}

void TerminalChannel::attach (GObject *channel)
{
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (closed_ || channel_)
      return;
    channel_ = G_OBJECT (g_object_ref (channel));
  }
  auto hold = [this] () { return new std::weak_ptr<TerminalChannel> (shared_from_this ()); };
  auto release = [] (gpointer data, GClosure *) {
    delete static_cast<std::weak_ptr<TerminalChannel> *> (data);
  };
  g_signal_connect_data (channel, "on-message-string", G_CALLBACK (on_string), hold (), release,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-message-data", G_CALLBACK (on_data), hold (), release,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-open", G_CALLBACK (on_open), hold (), release,
                         (GConnectFlags) 0);
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
  g_object_get (channel, "ready-state", &state, nullptr);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    open ();
}

void TerminalChannel::on_open (GObject *, gpointer data)
{
  if (auto self = static_cast<std::weak_ptr<TerminalChannel> *> (data)->lock ())
    self->open ();
}

void TerminalChannel::open ()
{
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (closed_ || subscription_)
      return;
  }
  std::weak_ptr<TerminalChannel> weak = shared_from_this ();
  guint id = terminal_->subscribe ([weak] (const Terminal::Event &event) {
    if (auto self = weak.lock ())
      self->deliver (event);
  });
  bool drop = false;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (closed_ || subscription_)
      drop = true;
    else
      subscription_ = id;
  }
  if (drop && id)
    terminal_->unsubscribe (id);
  GST_DEBUG_OBJECT (log_object_, "viewer %s: terminal channel open", peer_.c_str ());
}

/* On the terminal's thread, under its lock. */
void TerminalChannel::deliver (const Terminal::Event &event)
{
  if (closed_)
    return;
  GObject *channel;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!channel_)
      return;
    channel = G_OBJECT (g_object_ref (channel_));
  }
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
  guint64 buffered = 0;
  g_object_get (channel, "ready-state", &state, "buffered-amount", &buffered, nullptr);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) {
    switch (event.type) {
    case Terminal::Event::Type::Output:
      if (buffered > kTerminalMaxBuffered) {
        std::lock_guard<std::mutex> guard (lock_);
        counters_.skipped++;
        break;
      }
      {
        GBytes *bytes = g_bytes_new (event.data.data (), event.data.size ());
        gst_webrtc_data_channel_send_data (GST_WEBRTC_DATA_CHANNEL (channel), bytes);
        g_bytes_unref (bytes);
      }
      break;
    case Terminal::Event::Type::Size:
      gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel),
                                           terminal::make_size (event.cols, event.rows).c_str ());
      break;
    case Terminal::Event::Type::Exit:
      gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel),
                                           terminal::make_exit (event.status).c_str ());
      break;
    }
  }
  g_object_unref (channel);
}

void TerminalChannel::send_text (const std::string &text)
{
  GObject *channel;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!channel_)
      return;
    channel = G_OBJECT (g_object_ref (channel_));
  }
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
  g_object_get (channel, "ready-state", &state, nullptr);
  if (!closed_ && state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
  g_object_unref (channel);
}

void TerminalChannel::on_string (GObject *, const gchar *text, gpointer data)
{
  if (auto self = static_cast<std::weak_ptr<TerminalChannel> *> (data)->lock ())
    self->handle (text ? text : "", text ? strlen (text) : 0);
}

void TerminalChannel::on_data (GObject *, GBytes *, gpointer data)
{
  /* Viewers send text only: a binary message is refused unread. */
  auto self = static_cast<std::weak_ptr<TerminalChannel> *> (data)->lock ();
  if (!self || self->closed_)
    return;
  {
    std::lock_guard<std::mutex> guard (self->lock_);
    self->counters_.malformed++;
  }
  GST_INFO_OBJECT (self->log_object_, "viewer %s: binary terminal message refused",
                   self->peer_.c_str ());
  self->send_text (terminal::make_refused (terminal::kRefusedMessage, terminal::kMalformedMessage));
}

void TerminalChannel::handle (const char *text, gsize length)
{
  if (closed_)
    return;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!flood_.try_take (g_get_monotonic_time ())) {
      counters_.flood++;
      return;
    }
  }
  terminal::ViewerMessage msg;
  std::string error;
  if (!terminal::parse_viewer_message (text, length, msg, error)) {
    {
      std::lock_guard<std::mutex> guard (lock_);
      counters_.malformed++;
    }
    GST_INFO_OBJECT (log_object_, "viewer %s: terminal message refused: %s", peer_.c_str (),
                     error.c_str ());
    send_text (terminal::make_refused (terminal::kRefusedMessage, terminal::kMalformedMessage));
    return;
  }
  /* Checked on every message: a grant or a revocation takes effect on the
   * next keystroke. */
  const bool control = (capabilities_ () & GV_CAPABILITY_CONTROL) != 0;
  if (msg.kind == terminal::Kind::Resize) {
    if (control)
      terminal_->resize (msg.cols, msg.rows);
    return; /* a view-only viewer shows the host's size */
  }
  if (!control) {
    {
      std::lock_guard<std::mutex> guard (lock_);
      counters_.refused++;
    }
    GST_DEBUG_OBJECT (log_object_, "viewer %s: typing refused, no control", peer_.c_str ());
    send_text (terminal::make_refused (terminal::kRefusedInput, terminal::kInputRefusedMessage));
    return;
  }
  if (terminal_->write (msg.data)) {
    std::lock_guard<std::mutex> guard (lock_);
    counters_.input++;
  }
}

void TerminalChannel::close ()
{
  closed_ = true;
  GObject *channel;
  guint id;
  {
    std::lock_guard<std::mutex> guard (lock_);
    channel = channel_;
    channel_ = nullptr;
    id = subscription_;
    subscription_ = 0;
  }
  if (id)
    terminal_->unsubscribe (id);
  if (channel)
    g_object_unref (channel);
}

TerminalCounters TerminalChannel::counters () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return counters_;
}

} // namespace gv::webrtc
