/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvremoteoffer.h"

#include "gvsdpcodecs.h"
#include "gvstreamencoder.h"

#include <cstring>

namespace gv::webrtc {

namespace {

const char *rtp_name (GvWebRTCSinkCodec codec)
{
  return codec == GV_WEBRTC_SINK_CODEC_VP9    ? "VP9"
         : codec == GV_WEBRTC_SINK_CODEC_H264 ? "H264"
                                              : "VP8";
}

bool receives (const GstSDPMedia *media)
{
  if (section_rejected (media))
    return false;
  return !gst_sdp_media_get_attribute_val (media, "sendonly") &&
         !gst_sdp_media_get_attribute_val (media, "inactive");
}

/* The id of `uri` in the section's extmap lines ("ID[/direction] URI"). */
guint extension_id (const GstSDPMedia *media, const char *uri)
{
  for (guint i = 0;; i++) {
    const gchar *value = gst_sdp_media_get_attribute_val_n (media, "extmap", i);
    if (!value)
      return 0;
    const char *space = strchr (value, ' ');
    if (!space || strcmp (space + 1, uri) != 0)
      continue;
    guint64 id = g_ascii_strtoull (value, nullptr, 10);
    if (id >= 1 && id <= 14) /* one-byte header extensions */
      return (guint) id;
  }
}

/* The value of `key` in the section's "a=fmtp:PT k=v;k=v" for `pt`. */
std::string fmtp_param (const GstSDPMedia *media, guint pt, const char *key)
{
  const std::string prefix = std::to_string (pt) + " ";
  for (guint i = 0;; i++) {
    const gchar *value = gst_sdp_media_get_attribute_val_n (media, "fmtp", i);
    if (!value)
      return "";
    if (strncmp (value, prefix.c_str (), prefix.size ()) != 0)
      continue;
    gchar **params = g_strsplit (value + prefix.size (), ";", -1);
    std::string found;
    for (gchar **p = params; *p && found.empty (); p++) {
      gchar *param = g_strstrip (*p);
      const char *eq = strchr (param, '=');
      if (eq && (size_t) (eq - param) == strlen (key) && strncmp (param, key, strlen (key)) == 0)
        found = eq + 1;
    }
    g_strfreev (params);
    return found;
  }
}

/* Whether the offered format `pt` (its caps `s`) is one we send as `codec`. */
bool sends_as (const GstSDPMedia *media, guint pt, const GstStructure *s, GvWebRTCSinkCodec codec)
{
  const gchar *name = gst_structure_get_string (s, "encoding-name");
  if (!name || g_ascii_strcasecmp (name, rtp_name (codec)) != 0)
    return false;
  if (codec == GV_WEBRTC_SINK_CODEC_H264) {
    /* Our H.264 is constrained baseline in packetization mode 1 (profile
     * 42, constraint flags e0 or c0). */
    std::string profile = fmtp_param (media, pt, "profile-level-id");
    return fmtp_param (media, pt, "packetization-mode") == "1" && profile.size () == 6 &&
           g_ascii_strncasecmp (profile.c_str (), "42", 2) == 0;
  }
  if (codec == GV_WEBRTC_SINK_CODEC_VP9) {
    std::string profile = fmtp_param (media, pt, "profile-id");
    return profile.empty () || profile == "0";
  }
  return true;
}

/* The payload type the section offers as rtx with apt=`pt`; 0: none. */
guint rtx_for (const GstSDPMedia *media, guint pt)
{
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    guint64 rtx = g_ascii_strtoull (gst_sdp_media_get_format (media, i), nullptr, 10);
    if (rtx < 96 || rtx > 127)
      continue;
    GstCaps *caps = gst_sdp_media_get_caps_from_media (media, (gint) rtx);
    const gchar *name =
        caps && gst_caps_get_size (caps) == 1
            ? gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name")
            : nullptr;
    bool is_rtx = name && g_ascii_strcasecmp (name, "RTX") == 0;
    if (caps)
      gst_caps_unref (caps);
    if (is_rtx && fmtp_param (media, (guint) rtx, "apt") == std::to_string (pt))
      return (guint) rtx;
  }
  return 0;
}

/* The offered format `pt` as caps; nullptr when the section does not
 * describe it. */
GstCaps *format_caps (const GstSDPMedia *media, guint pt)
{
  GstCaps *caps = gst_sdp_media_get_caps_from_media (media, (gint) pt);
  if (caps && (gst_caps_get_size (caps) != 1 || gst_caps_is_empty (caps))) {
    gst_caps_unref (caps);
    return nullptr;
  }
  return caps;
}

/* Our answer to one section: the first of our codecs it offers, by slot. */
bool answer_section (const GstSDPMedia *media, const std::vector<GvWebRTCSinkCodec> &codecs,
                     bool audio, AnsweredMedia &out)
{
  for (size_t slot = 0; slot < (audio ? 1 : codecs.size ()); slot++)
    for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
      guint64 pt = g_ascii_strtoull (gst_sdp_media_get_format (media, i), nullptr, 10);
      if (pt < 96 || pt > 127)
        continue;
      GstCaps *caps = format_caps (media, (guint) pt);
      if (!caps)
        continue;
      GstStructure *s = gst_caps_get_structure (caps, 0);
      const gchar *name = gst_structure_get_string (s, "encoding-name");
      bool ours = audio ? name && g_ascii_strcasecmp (name, "OPUS") == 0
                        : sends_as (media, (guint) pt, s, codecs[slot]);
      if (!ours) {
        gst_caps_unref (caps);
        continue;
      }
      out.slot = audio ? -1 : (int) slot;
      out.pt = (guint) pt;
      out.twcc_id = extension_id (media, kTwccUri);
      out.rtx_pt = audio ? 0 : rtx_for (media, (guint) pt);
      /* gst_sdp_media_get_caps_from_media () names them x-unknown */
      gst_structure_set_name (s, "application/x-rtp");
      gst_structure_set (s, "media", G_TYPE_STRING, audio ? "audio" : "video", nullptr);
      /* The offer's own H.264 parameters, as they were written (the caps
       * turn profile-level-id into a profile name, which an answer would
       * not carry back). */
      if (!audio && codecs[slot] == GV_WEBRTC_SINK_CODEC_H264) {
        gst_structure_remove_field (s, "profile");
        gst_structure_set (s, "profile-level-id", G_TYPE_STRING,
                           fmtp_param (media, (guint) pt, "profile-level-id").c_str (), nullptr);
      }
      if (out.twcc_id)
        gst_structure_set (s, ("extmap-" + std::to_string (out.twcc_id)).c_str (), G_TYPE_STRING,
                           kTwccUri, nullptr);
      out.preferences.reset (caps, gst_caps_unref);
      return true;
    }
  return false;
}

} // namespace

void add_answer_rtx (GstSDPMessage *answer, const AnsweredMedia &m)
{
  if (!m.rtx_pt || m.mline >= gst_sdp_message_medias_len (answer))
    return;
  auto *media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (answer, m.mline));
  const std::string rtx = std::to_string (m.rtx_pt);
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++)
    if (rtx == gst_sdp_media_get_format (media, i))
      return;
  gst_sdp_media_add_format (media, rtx.c_str ());
  gst_sdp_media_add_attribute (media, "rtpmap", (rtx + " rtx/90000").c_str ());
  gst_sdp_media_add_attribute (media, "fmtp", (rtx + " apt=" + std::to_string (m.pt)).c_str ());
}

void finish_answer (GstSDPMessage *answer, const std::vector<AnsweredMedia> &answered)
{
  std::vector<std::string> bundled;
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    auto *media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (answer, i));
    for (guint a = gst_sdp_media_attributes_len (media); a-- > 0;) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
      if (g_strcmp0 (attr->key, "ssrc") == 0 || g_strcmp0 (attr->key, "ssrc-group") == 0)
        gst_sdp_media_remove_attribute (media, a);
    }
    bool sent = false;
    for (const AnsweredMedia &m : answered)
      sent = sent || m.mline == i;
    const gchar *mid = gst_sdp_media_get_attribute_val (media, "mid");
    if (sent && mid)
      bundled.emplace_back (mid);
    else if (!sent)
      gst_sdp_media_set_port_info (media, 0, 0);
  }
  for (guint a = 0; a < gst_sdp_message_attributes_len (answer); a++) {
    const GstSDPAttribute *attr = gst_sdp_message_get_attribute (answer, a);
    if (g_strcmp0 (attr->key, "group") != 0 || !attr->value ||
        !g_str_has_prefix (attr->value, "BUNDLE"))
      continue;
    std::string group = "BUNDLE";
    for (const std::string &mid : bundled)
      group += " " + mid;
    GstSDPAttribute replaced;
    gst_sdp_attribute_set (&replaced, "group", group.c_str ());
    gst_sdp_message_replace_attribute (answer, a, &replaced);
    break;
  }
}

std::vector<AnsweredMedia> answer_remote_offer (const GstSDPMessage *offer,
                                                const std::vector<GvWebRTCSinkCodec> &codecs,
                                                bool audio, std::string &error)
{
  std::vector<AnsweredMedia> answered;
  bool video_taken = codecs.empty (), audio_taken = !audio;
  bool video_asked = false;
  for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, i);
    const gchar *kind = gst_sdp_media_get_media (media);
    if (!kind || !receives (media))
      continue;
    bool is_video = g_str_equal (kind, "video"), is_audio = g_str_equal (kind, "audio");
    video_asked = video_asked || is_video;
    if ((is_video && video_taken) || (is_audio && audio_taken) || (!is_video && !is_audio))
      continue;
    AnsweredMedia m;
    m.kind = is_video ? MediaKind::Video : MediaKind::Audio;
    m.mline = i;
    if (!answer_section (media, codecs, is_audio, m))
      continue;
    (is_video ? video_taken : audio_taken) = true;
    answered.push_back (m);
  }
  if (answered.empty ()) {
    if (video_asked && !codecs.empty ()) {
      std::string names;
      for (GvWebRTCSinkCodec codec : codecs)
        names += std::string (names.empty () ? "" : " or ") + rtp_name (codec);
      error =
          "The offer takes none of the host's video codecs (" + names +
          (std::find (codecs.begin (), codecs.end (), GV_WEBRTC_SINK_CODEC_H264) != codecs.end ()
               ? "; H.264 as constrained baseline, packetization mode 1"
               : "") +
          ").";
    } else {
      error = "The offer asks to receive nothing this host sends (it needs a recvonly video"
              " or audio section).";
    }
  }
  return answered;
}

} // namespace gv::webrtc
