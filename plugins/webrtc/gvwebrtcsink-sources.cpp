/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's part in choosing what is shared: a viewer with the
 * `source` capability asks for the list ("list-sources") or picks one
 * ("share") on the assistance channel; the sink asks upstream with the
 * "gv-sources" query and the "gv-share" event (plugins/capture/
 * gvsharedsource.h), which gvscreensrc answers. Each change gvscreensrc
 * announces ("gv-shared") goes to every viewer as {"t":"shared"} and is
 * posted as `gvwebrtcsink-shared`.
 */
#include "gvwebrtcsink-private.h"

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::ViewerPtr;

namespace {

constexpr const char *kCannotSwitch = "This host's source cannot be switched.";

/* What upstream can share, or false when nothing there answers. */
bool ask_sources (GvWebRTCSink *self, std::string &current, std::vector<GvShareableSource> &sources)
{
  GstQuery *query = gv_sources_query_new ();
  bool ok = self->priv->video ().query_upstream (query) &&
            gv_sources_query_parse (query, current, sources);
  gst_query_unref (query);
  return ok;
}

std::vector<gv::assist::SourceItem> as_items (const std::vector<GvShareableSource> &sources)
{
  std::vector<gv::assist::SourceItem> items;
  for (const GvShareableSource &s : sources)
    items.push_back ({ s.id, s.kind, s.name, s.width, s.height });
  return items;
}

std::string refused (const std::string &sentence)
{
  return gv::assist::make_refused ("source", sentence.c_str ());
}

} // namespace

void gv_webrtc_sink_shared (GvWebRTCSink *self, const GvShareableSource &source,
                            const std::string &by, const std::string &reason)
{
  const std::string who = by.empty () ? gv::assist::kHostName : by;
  gv::assist::SourceItem item{ source.id, gv::assist::source_kind (source.id), source.name,
                               source.width, source.height };
  std::string text = gv::assist::make_shared (item, who, reason);
  std::vector<ViewerPtr> viewers;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (const auto &kv : self->priv->viewers)
      viewers.push_back (kv.second);
  }
  if (!text.empty ())
    for (const ViewerPtr &viewer : viewers)
      viewer->send_assist (text);
  GST_INFO_OBJECT (self, "now sharing %s (%s, %dx%d), by %s%s%s", source.id.c_str (),
                   source.name.c_str (), source.width, source.height, who.c_str (),
                   reason.empty () ? "" : ": ", reason.c_str ());
  GstStructure *s = gst_structure_new (
      "gvwebrtcsink-shared", "source", G_TYPE_STRING, source.id.c_str (), "name", G_TYPE_STRING,
      source.name.c_str (), "width", G_TYPE_INT, source.width, "height", G_TYPE_INT, source.height,
      "by", G_TYPE_STRING, who.c_str (), "reason", G_TYPE_STRING, reason.c_str (), "viewers",
      G_TYPE_UINT, (guint) viewers.size (), nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

std::vector<std::string> gv_webrtc_sink_greeting (GvWebRTCSink *self, const std::string &peer)
{
  std::vector<std::string> texts;
  std::string current;
  std::vector<GvShareableSource> sources;
  if (ask_sources (self, current, sources))
    for (const GvShareableSource &s : sources)
      if (s.id == current)
        texts.push_back (
            gv::assist::make_shared ({ s.id, s.kind, s.name, s.width, s.height }, "", ""));
  int layer = 0;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    auto it = self->priv->viewers.find (peer);
    if (it != self->priv->viewers.end ())
      layer = it->second->layer ();
  }
  for (std::string &text : gv_webrtc_sink_cursor_greeting (self, layer))
    texts.push_back (std::move (text));
  return texts;
}

/* A viewer with control asks the host's display to take its window's size. */
static std::string resize_request (GvWebRTCSink *self, const std::string &who,
                                   const gv::assist::Message &request)
{
  GstQuery *query = gv_resize_query_new (request.width, request.height, who.c_str ());
  bool answered = self->priv->video ().query_upstream (query);
  bool done = false;
  gint width = 0, height = 0;
  std::string reason;
  if (answered)
    answered = gv_resize_query_parse_answer (query, done, width, height, reason);
  gst_query_unref (query);
  if (!answered)
    return gv::assist::make_refused ("resize", "The host's display cannot change size.");
  if (!done)
    return gv::assist::make_refused ("resize",
                                     ("The host's display was not resized: " + reason).c_str ());
  GST_INFO_OBJECT (self, "%s resized the display to %dx%d (asked %dx%d)", who.c_str (), width,
                   height, request.width, request.height);
  return "";
}

std::string gv_webrtc_sink_source_request (GvWebRTCSink *self, const std::string &peer,
                                           const std::string &name,
                                           const gv::assist::Message &request)
{
  if (request.kind == gv::assist::Kind::Resize)
    return resize_request (self, name.empty () ? "viewer " + peer : name, request);
  std::string current;
  std::vector<GvShareableSource> sources;
  if (!ask_sources (self, current, sources)) {
    GST_INFO_OBJECT (self, "viewer %s asked about sources; nothing upstream can switch",
                     peer.c_str ());
    return refused (kCannotSwitch);
  }
  if (request.kind == gv::assist::Kind::ListSources)
    return gv::assist::make_sources (current, as_items (sources));

  bool known = false;
  for (const GvShareableSource &s : sources)
    known |= s.id == request.source;
  if (!known)
    return refused ("No display or window " + request.source + " on the host.");
  GST_INFO_OBJECT (self, "viewer %s (%s) asks to share %s", peer.c_str (), name.c_str (),
                   request.source.c_str ());
  const std::string who = name.empty () ? "viewer " + peer : name;
  if (!self->priv->video ().push_upstream (
          gv_share_event_new (request.source.c_str (), who.c_str ())))
    return refused ("The host could not switch to " + request.source + ".");
  return "";
}
