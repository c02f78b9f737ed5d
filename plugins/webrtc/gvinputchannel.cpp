/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvinputchannel.h"

#include "gvnavjson.h"

#include <gst/webrtc/webrtc.h>

#include <cstring>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

InputCounters &InputCounters::operator+= (const InputCounters &other)
{
  events += other.events;
  malformed += other.malformed;
  no_control += other.no_control;
  flood += other.flood;
  return *this;
}

InputChannel::InputChannel (std::string peer, GstObject *log_object, Callbacks callbacks)
    : peer_ (std::move (peer)), log_object_ (log_object), callbacks_ (std::move (callbacks))
{}

void InputChannel::attach (GObject *channel)
{
  /* Each handler holds the channel object alive until the data channel lets
   * go of it. */
  auto hold = [this] () { return new std::shared_ptr<InputChannel> (shared_from_this ()); };
  auto release = [] (gpointer data, GClosure *) {
    delete static_cast<std::shared_ptr<InputChannel> *> (data);
  };
  g_signal_connect_data (channel, "on-message-string", G_CALLBACK (on_string), hold (), release,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-message-data", G_CALLBACK (on_data), hold (), release,
                         (GConnectFlags) 0);
  std::lock_guard<std::mutex> guard (lock_);
  if (!closed_)
    channels_.push_back (G_OBJECT (g_object_ref (channel)));
}

void InputChannel::send (const std::string &text)
{
  std::vector<GObject *> channels;
  {
    std::lock_guard<std::mutex> guard (lock_);
    for (GObject *channel : channels_)
      channels.push_back (G_OBJECT (g_object_ref (channel)));
  }
  for (GObject *channel : channels) {
    /* A channel not open yet refuses to send with a critical. */
    GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
    g_object_get (channel, "ready-state", &state, nullptr);
    if (!closed_ && state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
      gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
    g_object_unref (channel);
  }
}

void InputChannel::close ()
{
  closed_ = true;
  std::vector<GObject *> channels;
  {
    std::lock_guard<std::mutex> guard (lock_);
    channels.swap (channels_);
  }
  for (GObject *channel : channels)
    g_object_unref (channel);
}

InputCounters InputChannel::counters () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return counters_;
}

void InputChannel::on_string (GObject *channel, const gchar *text, gpointer data)
{
  auto &self = *static_cast<std::shared_ptr<InputChannel> *> (data);
  self->handle (channel, text, text ? strlen (text) : 0);
}

void InputChannel::on_data (GObject *channel, GBytes *data, gpointer user)
{
  /* Binary messages are accepted as UTF-8 JSON text too. */
  auto &self = *static_cast<std::shared_ptr<InputChannel> *> (user);
  gsize length = 0;
  const char *bytes = data ? (const char *) g_bytes_get_data (data, &length) : nullptr;
  std::string text = bytes ? std::string (bytes, length) : std::string ();
  if (text.size () != strlen (text.c_str ())) {
    /* An embedded NUL: malformed. */
    text = std::string (gv::nav::kMaxMessageBytes + 1, ' ');
  }
  self->handle (channel, text.c_str (), text.size ());
}

static void reply (GObject *channel, const std::string &text)
{
  if (channel)
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
}

void InputChannel::handle_text (const std::string &text)
{
  handle (nullptr, text.c_str (), text.size ());
}

void InputChannel::handle (GObject *channel, const char *text, gsize length)
{
  if (closed_)
    return;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!flood_.try_take (g_get_monotonic_time ())) {
      counters_.flood++;
      return;
    }
    if (length > gv::nav::kMaxMessageBytes) {
      counters_.malformed++;
      return;
    }
  }
  int width = 0, height = 0;
  callbacks_.video_size (width, height);
  gv::nav::InputMessage msg;
  std::string error;
  if (!gv::nav::parse_input_message (text, length, width, height, msg, error)) {
    GST_LOG_OBJECT (log_object_, "dropping malformed input from %s: %s", peer_.c_str (),
                    error.c_str ());
    {
      std::lock_guard<std::mutex> guard (lock_);
      counters_.malformed++;
    }
    if (msg.has_id)
      reply (channel, gv::nav::make_control_response (msg.id, error.c_str ()));
    return;
  }
  if (msg.request_control) {
    GST_INFO_OBJECT (log_object_, "viewer %s asks for control", peer_.c_str ());
    callbacks_.control_requested ();
    return;
  }
  if (!callbacks_.has_control ()) {
    {
      std::lock_guard<std::mutex> guard (lock_);
      counters_.no_control++;
    }
    gst_event_unref (msg.event);
    if (msg.has_id)
      reply (channel, gv::nav::make_control_response (msg.id, "control not granted"));
    return;
  }
  GST_LOG_OBJECT (log_object_, "input from %s: %" GST_PTR_FORMAT, peer_.c_str (),
                  gst_event_get_structure (msg.event));
  callbacks_.navigate (msg.event);
  {
    std::lock_guard<std::mutex> guard (lock_);
    counters_.events++;
  }
  if (msg.has_id)
    reply (channel, gv::nav::make_control_response (msg.id, nullptr));
}

} // namespace gv::webrtc
