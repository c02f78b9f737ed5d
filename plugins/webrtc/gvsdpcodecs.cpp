/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvsdpcodecs.h"

#include <algorithm>
#include <map>
#include <set>

namespace gv::webrtc {

namespace {

/* What a video section says of its payload types. */
struct SectionCodecs {
  std::vector<guint> formats;         /* in order */
  std::map<guint, std::string> names; /* pt -> encoding name, upper case */
  std::map<guint, guint> rtx_for;     /* rtx pt -> the pt it resends */
};

bool parse_pt (const char *text, guint &pt, const char **rest)
{
  gchar *end = nullptr;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  if (end == text || v > 127)
    return false;
  pt = (guint) v;
  if (rest)
    *rest = end;
  return true;
}

SectionCodecs read_section (const GstSDPMedia *media)
{
  SectionCodecs c;
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    guint pt;
    if (parse_pt (gst_sdp_media_get_format (media, i), pt, nullptr))
      c.formats.push_back (pt);
  }
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    guint pt;
    const char *rest;
    if (!a->key || !a->value || !parse_pt (a->value, pt, &rest))
      continue;
    while (*rest == ' ')
      rest++;
    if (g_str_equal (a->key, "rtpmap")) {
      std::string name (rest, strcspn (rest, "/"));
      gchar *upper = g_ascii_strup (name.c_str (), -1);
      c.names[pt] = upper;
      g_free (upper);
    } else if (g_str_equal (a->key, "fmtp") && g_str_has_prefix (rest, "apt=")) {
      guint apt;
      if (parse_pt (rest + 4, apt, nullptr))
        c.rtx_for[pt] = apt;
    }
  }
  return c;
}

bool is_video (const GstSDPMedia *media)
{
  return g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0;
}

/* The SDP API hands out const sections; the message owns them. */
GstSDPMedia *section (GstSDPMessage *sdp, guint i)
{
  return const_cast<GstSDPMedia *> (gst_sdp_message_get_media (sdp, i));
}

bool names_pt (const GstSDPAttribute *a, const std::set<guint> &pts)
{
  if (!a->key || !a->value)
    return false;
  if (!g_str_equal (a->key, "rtpmap") && !g_str_equal (a->key, "fmtp") &&
      !g_str_equal (a->key, "rtcp-fb"))
    return false;
  guint pt;
  return parse_pt (a->value, pt, nullptr) && pts.count (pt) > 0;
}

/* Rejects a section: port 0, and not bundled. */
void reject (GstSDPMedia *media)
{
  gst_sdp_media_set_port_info (media, 0, 0);
  for (guint a = gst_sdp_media_attributes_len (media); a-- > 0;)
    if (g_strcmp0 (gst_sdp_media_get_attribute (media, a)->key, "bundle-only") == 0)
      gst_sdp_media_remove_attribute (media, a);
}

} // namespace

bool section_rejected (const GstSDPMedia *media)
{
  return gst_sdp_media_get_port (media) == 0 &&
         gst_sdp_media_get_attribute_val (media, "bundle-only") == nullptr;
}

std::vector<std::string> video_codec_names (const GstSDPMessage *sdp)
{
  std::vector<std::string> names;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
    if (!is_video (media) || section_rejected (media))
      continue;
    SectionCodecs c = read_section (media);
    for (guint pt : c.formats)
      if (c.names.count (pt) && c.names[pt] != "RTX")
        names.push_back (c.names[pt]);
  }
  return names;
}

int add_missing_rtx (GstSDPMessage *sdp, const std::vector<guint> &pts)
{
  int added = 0;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *media = section (sdp, i);
    if (!is_video (media))
      continue;
    SectionCodecs c = read_section (media);
    std::set<guint> used (c.formats.begin (), c.formats.end ());
    std::set<guint> resent;
    for (const auto &kv : c.rtx_for)
      if (c.names.count (kv.first) && c.names[kv.first] == "RTX")
        resent.insert (kv.second);
    for (guint pt : pts) {
      if (!used.count (pt) || resent.count (pt))
        continue;
      guint rtx = 96;
      while (rtx <= 127 && used.count (rtx))
        rtx++;
      if (rtx > 127)
        break; /* no dynamic payload type left */
      std::string number = std::to_string (rtx);
      gst_sdp_media_add_format (media, number.c_str ());
      gst_sdp_media_add_attribute (media, "rtpmap", (number + " rtx/90000").c_str ());
      gst_sdp_media_add_attribute (media, "fmtp",
                                   (number + " apt=" + std::to_string (pt)).c_str ());
      used.insert (rtx);
      resent.insert (pt);
      added++;
    }
  }
  return added;
}

int answer_video_payload (const GstSDPMessage *answer, const std::vector<guint> &ours)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (answer, i);
    if (!is_video (media))
      continue;
    if (section_rejected (media))
      return -1;
    for (guint pt : read_section (media).formats)
      if (std::find (ours.begin (), ours.end (), pt) != ours.end ())
        return (int) pt;
    return -1;
  }
  return -1;
}

std::vector<std::string> keep_video_codecs (GstSDPMessage *sdp,
                                            const std::vector<std::string> &accepted, bool reorder)
{
  std::vector<std::string> wanted;
  for (const std::string &name : accepted) {
    gchar *upper = g_ascii_strup (name.c_str (), -1);
    wanted.push_back (upper);
    g_free (upper);
  }
  auto rank = [&] (const std::string &name) {
    return (size_t) (std::find (wanted.begin (), wanted.end (), name) - wanted.begin ());
  };
  std::vector<std::string> kept_names;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *media = section (sdp, i);
    if (!is_video (media) || section_rejected (media))
      continue;
    SectionCodecs c = read_section (media);
    std::vector<guint> kept, rtx;
    for (guint pt : c.formats)
      if (c.names.count (pt) && rank (c.names[pt]) < wanted.size ())
        kept.push_back (pt);
    if (reorder)
      std::stable_sort (kept.begin (), kept.end (),
                        [&] (guint a, guint b) { return rank (c.names[a]) < rank (c.names[b]); });
    for (guint pt : c.formats)
      if (c.names.count (pt) && c.names[pt] == "RTX" && c.rtx_for.count (pt) &&
          std::find (kept.begin (), kept.end (), c.rtx_for[pt]) != kept.end ())
        rtx.push_back (pt);
    if (kept.empty ()) {
      reject (media);
      continue;
    }
    for (guint pt : kept)
      kept_names.push_back (c.names[pt]);
    kept.insert (kept.end (), rtx.begin (), rtx.end ());
    std::set<guint> dropped;
    for (guint pt : c.formats)
      if (std::find (kept.begin (), kept.end (), pt) == kept.end ())
        dropped.insert (pt);
    while (gst_sdp_media_formats_len (media) > 0)
      gst_sdp_media_remove_format (media, 0);
    for (guint pt : kept)
      gst_sdp_media_add_format (media, std::to_string (pt).c_str ());
    for (guint a = gst_sdp_media_attributes_len (media); a-- > 0;)
      if (names_pt (gst_sdp_media_get_attribute (media, a), dropped))
        gst_sdp_media_remove_attribute (media, a);
  }
  return kept_names;
}

static bool registry_has (GstElementFactoryListType type, const char *caps_text)
{
  GList *factories = gst_element_factory_list_get_elements (type, GST_RANK_MARGINAL);
  GstCaps *caps = gst_caps_from_string (caps_text);
  GList *able = gst_element_factory_list_filter (factories, caps, GST_PAD_SINK, FALSE);
  bool found = able != nullptr;
  gst_plugin_feature_list_free (able);
  gst_plugin_feature_list_free (factories);
  gst_caps_unref (caps);
  return found;
}

std::vector<std::string> receivable_video_codecs (bool decode)
{
  struct Codec {
    const char *name, *rtp_caps, *caps;
  };
  static const Codec kCodecs[] = {
    { "VP8", "application/x-rtp,media=video,encoding-name=VP8", "video/x-vp8" },
    { "VP9", "application/x-rtp,media=video,encoding-name=VP9", "video/x-vp9" },
    { "H264", "application/x-rtp,media=video,encoding-name=H264",
      "video/x-h264,stream-format=byte-stream,alignment=au" },
  };
  const auto next = decode ? GST_ELEMENT_FACTORY_TYPE_DECODER : GST_ELEMENT_FACTORY_TYPE_PARSER;
  std::vector<std::string> names;
  for (const Codec &c : kCodecs)
    if (registry_has (GST_ELEMENT_FACTORY_TYPE_DEPAYLOADER, c.rtp_caps) &&
        (registry_has ((GstElementFactoryListType) (next | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO),
                       c.caps) ||
         (!decode && !g_str_equal (c.name, "H264")))) /* only H.264 is parsed to be muxed */
      names.push_back (c.name);
  return names;
}

std::vector<std::string> parse_codec_list (const char *text)
{
  std::vector<std::string> names;
  gchar **items = g_strsplit (text ? text : "", ",", -1);
  for (gchar **item = items; *item; item++) {
    gchar *name = g_ascii_strup (g_strstrip (*item), -1);
    if (*name)
      names.push_back (name);
    g_free (name);
  }
  g_strfreev (items);
  return names;
}

} // namespace gv::webrtc
