/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's assistance channel (gvassistchannel.h, one per viewer):
 * chat lines from viewers posted on the bus and relayed to every viewer
 * with `chat`; the host's own lines (`send-chat`); and `set-capabilities`,
 * which gives or takes `chat` (and any other capability) from one viewer.
 */
#include "gvwebrtcsink-private.h"

#include "gvassistjson.h"

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::ViewerPtr;

namespace {

/* Posts `gvwebrtcsink-chat` and sends the line to every viewer with chat. */
void relay (GvWebRTCSink *self, const std::string &peer, const std::string &name,
            const std::string &text)
{
  gint64 time_ms = g_get_real_time () / 1000;
  std::string line =
      gv::assist::make_host_chat (name.c_str (), peer.c_str (), text.c_str (), time_ms);
  if (line.empty ())
    return;
  std::vector<ViewerPtr> viewers;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (const auto &kv : self->priv->viewers)
      viewers.push_back (kv.second);
  }
  GstStructure *s = gst_structure_new ("gvwebrtcsink-chat", "peer-id", G_TYPE_STRING, peer.c_str (),
                                       "name", G_TYPE_STRING, name.c_str (), "text", G_TYPE_STRING,
                                       text.c_str (), "time", G_TYPE_INT64, time_ms, nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  guint sent = 0;
  for (const ViewerPtr &viewer : viewers) {
    if (!(viewer->capabilities () & GV_CAPABILITY_CHAT))
      continue;
    viewer->send_assist (line);
    sent++;
  }
  GST_DEBUG_OBJECT (self, "chat from %s relayed to %u viewers", peer.c_str (), sent);
}

gboolean send_chat_action (GvWebRTCSink *self, const char *text)
{
  std::string error;
  if (!gv::assist::valid_chat_text (text, &error)) {
    GST_WARNING_OBJECT (self, "send-chat: %s", error.c_str ());
    return FALSE;
  }
  relay (self, gv::assist::kHostPeer, gv::assist::kHostName, text);
  return TRUE;
}

gboolean set_capabilities_action (GvWebRTCSink *self, const char *peer, guint capabilities)
{
  return gv_webrtc_sink_set_capabilities (self, peer ? peer : "", (GvCapabilities) capabilities);
}

} // namespace

void gv_webrtc_sink_chat_received (GvWebRTCSink *self, const std::string &peer,
                                   const std::string &name, const std::string &text)
{
  relay (self, peer, name, text);
}

void gv_webrtc_sink_install_assist_signals (GType type)
{
  const auto action = (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
  gv_webrtc_sink_signals[GV_SINK_SIGNAL_SEND_CHAT] =
      g_signal_new_class_handler ("send-chat", type, action, G_CALLBACK (send_chat_action), nullptr,
                                  nullptr, nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  gv_webrtc_sink_signals[GV_SINK_SIGNAL_SET_CAPABILITIES] = g_signal_new_class_handler (
      "set-capabilities", type, action, G_CALLBACK (set_capabilities_action), nullptr, nullptr,
      nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING, GV_TYPE_CAPABILITIES);
}
