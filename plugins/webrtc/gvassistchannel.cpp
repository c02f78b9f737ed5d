/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvassistchannel.h"

#include "gvassistjson.h"

#include <gst/webrtc/webrtc.h>

#include <cstring>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

AssistCounters &AssistCounters::operator+= (const AssistCounters &other)
{
  chat += other.chat;
  refused += other.refused;
  malformed += other.malformed;
  flood += other.flood;
  clipboard += other.clipboard;
  return *this;
}

AssistChannel::AssistChannel (std::string peer, GstObject *log_object, Callbacks callbacks)
    : peer_ (std::move (peer)), log_object_ (log_object), callbacks_ (std::move (callbacks))
{}

void AssistChannel::attach (GObject *channel)
{
  auto hold = [this] () { return new std::shared_ptr<AssistChannel> (shared_from_this ()); };
  auto release = [] (gpointer data, GClosure *) {
    delete static_cast<std::shared_ptr<AssistChannel> *> (data);
  };
  g_signal_connect_data (channel, "on-message-string", G_CALLBACK (on_string), hold (), release,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-message-data", G_CALLBACK (on_data), hold (), release,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-open", G_CALLBACK (on_open), hold (), release,
                         (GConnectFlags) 0);
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!closed_)
      channels_.push_back (G_OBJECT (g_object_ref (channel)));
  }
  /* A channel the viewer opened is open already: no on-open comes. */
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
  g_object_get (channel, "ready-state", &state, nullptr);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    greet (channel);
}

void AssistChannel::on_open (GObject *channel, gpointer data)
{
  auto &self = *static_cast<std::shared_ptr<AssistChannel> *> (data);
  self->greet (channel);
}

void AssistChannel::greet (GObject *channel)
{
  if (closed_ || !callbacks_.greeting)
    return;
  for (const std::string &text : callbacks_.greeting ())
    if (!text.empty ())
      gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
}

void AssistChannel::send (const std::string &text)
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

void AssistChannel::close ()
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

AssistCounters AssistChannel::counters () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return counters_;
}

void AssistChannel::count (guint64 AssistCounters::*counter)
{
  std::lock_guard<std::mutex> guard (lock_);
  counters_.*counter += 1;
}

void AssistChannel::on_string (GObject *channel, const gchar *text, gpointer data)
{
  auto &self = *static_cast<std::shared_ptr<AssistChannel> *> (data);
  self->handle (channel, text, text ? strlen (text) : 0);
}

void AssistChannel::on_data (GObject *channel, GBytes *data, gpointer user)
{
  /* Binary messages are read as UTF-8 JSON text too (the parser refuses
   * an embedded NUL). */
  auto &self = *static_cast<std::shared_ptr<AssistChannel> *> (user);
  gsize length = 0;
  const char *bytes = data ? (const char *) g_bytes_get_data (data, &length) : nullptr;
  if (!bytes)
    length = 0;
  self->handle (channel, bytes ? bytes : "", length);
}

void AssistChannel::handle (GObject *channel, const char *text, gsize length)
{
  if (closed_)
    return;
  gv::assist::Message msg;
  std::string error;
  const bool parsed = gv::assist::parse_message (text, length, msg, error);
  if (parsed && msg.kind == gv::assist::Kind::Clipboard) {
    handle_clipboard (channel, msg);
    return;
  }
  {
    /* (Clipboard content comes in many pieces: not a chat flood.) */
    std::lock_guard<std::mutex> guard (lock_);
    if (!flood_.try_take (g_get_monotonic_time ())) {
      counters_.flood++;
      return;
    }
  }
  if (parsed && (msg.kind == gv::assist::Kind::ListSources || msg.kind == gv::assist::Kind::Share ||
                 msg.kind == gv::assist::Kind::Resize)) {
    handle_source (channel, msg);
    return;
  }
  if (!parsed || msg.kind != gv::assist::Kind::ViewerChat) {
    GST_LOG_OBJECT (log_object_, "dropping a malformed assist message from %s: %s", peer_.c_str (),
                    error.empty () ? "a message only the host sends" : error.c_str ());
    count (&AssistCounters::malformed);
    return;
  }
  if (!(callbacks_.capabilities () & GV_CAPABILITY_CHAT)) {
    GST_INFO_OBJECT (log_object_, "refusing chat from %s: no chat capability", peer_.c_str ());
    count (&AssistCounters::refused);
    std::string refusal = gv::assist::make_refused ("chat", gv::assist::kChatRefusedMessage);
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), refusal.c_str ());
    return;
  }
  count (&AssistCounters::chat);
  callbacks_.chat (msg.text);
}

/* A viewer asks what the host can share, or picks one: with `source`,
 * answered by the host; without, refused. */
void AssistChannel::handle_source (GObject *channel, const gv::assist::Message &request)
{
  std::string answer;
  if (request.kind == gv::assist::Kind::Resize &&
      !(callbacks_.capabilities () & GV_CAPABILITY_CONTROL)) {
    GST_INFO_OBJECT (log_object_, "refusing a resize from %s: no control capability",
                     peer_.c_str ());
    count (&AssistCounters::refused);
    answer = gv::assist::make_refused ("resize", gv::assist::kResizeRefusedMessage);
  } else if (request.kind != gv::assist::Kind::Resize &&
             !(callbacks_.capabilities () & GV_CAPABILITY_SOURCE)) {
    GST_INFO_OBJECT (log_object_, "refusing a source request from %s: no source capability",
                     peer_.c_str ());
    count (&AssistCounters::refused);
    answer = gv::assist::make_refused ("source", gv::assist::kSourceRefusedMessage);
  } else if (callbacks_.source) {
    answer = callbacks_.source (request);
  }
  if (!answer.empty ())
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), answer.c_str ());
}

/* A piece of the viewer's clipboard: refused once per content without the
 * capability; put together, and handed on when whole. */
void AssistChannel::handle_clipboard (GObject *channel, const gv::assist::Message &piece)
{
  if (!(callbacks_.capabilities () & GV_CAPABILITY_CLIPBOARD)) {
    if (piece.offset != 0)
      return;
    GST_INFO_OBJECT (log_object_, "refusing clipboard content from %s: no clipboard capability",
                     peer_.c_str ());
    count (&AssistCounters::refused);
    std::string refusal =
        gv::assist::make_refused ("clipboard", gv::assist::kClipboardRefusedMessage);
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), refusal.c_str ());
    return;
  }
  std::string mime, bytes;
  bool whole;
  {
    std::lock_guard<std::mutex> guard (lock_);
    whole = clipboard_.add (piece, mime, bytes);
  }
  if (!whole)
    return;
  count (&AssistCounters::clipboard);
  if (callbacks_.clipboard)
    callbacks_.clipboard (mime, bytes);
}

} // namespace gv::webrtc
