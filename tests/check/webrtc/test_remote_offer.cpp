/* A viewer's own offer (a WHEP player's), answered (gvremoteoffer.h): each
 * section it receives on gets the host's stream of that kind, with the
 * first of the host's codecs (by slot) it offers, under the offer's own
 * payload type and congestion control extension id; sections it only
 * sends on, inactive or rejected ones, and codecs we cannot send (H.264
 * in another profile or packetization mode) are left out; an offer that
 * takes nothing we send is refused with a sentence for the viewer. */
#include "gvremoteoffer.h"
#include "gvstreamencoder.h"

#include <gst/check/gstcheck.h>

#include <string>

using namespace gv::webrtc;

static const std::string kTwcc = std::string ("a=extmap:3 ") + kTwccUri + "\r\n";

/* As Chromium offers to receive: audio first, then video with VP8, H.264
 * in three forms, and retransmission types. */
static std::string chromium_offer (const char *video_direction = "recvonly")
{
  return std::string ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                      "a=group:BUNDLE 0 1\r\n"
                      "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\n"
                      "c=IN IP4 0.0.0.0\r\n"
                      "a=mid:0\r\n") +
         kTwcc +
         "a=recvonly\r\n"
         "a=rtpmap:111 opus/48000/2\r\n"
         "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
         "a=rtpmap:63 red/48000/2\r\n"
         "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106 107\r\n"
         "c=IN IP4 0.0.0.0\r\n"
         "a=mid:1\r\n" +
         kTwcc + "a=" + video_direction +
         "\r\n"
         "a=rtpmap:96 VP8/90000\r\n"
         "a=rtcp-fb:96 nack\r\n"
         "a=rtcp-fb:96 nack pli\r\n"
         "a=rtcp-fb:96 transport-cc\r\n"
         "a=rtpmap:97 rtx/90000\r\n"
         "a=fmtp:97 apt=96\r\n"
         "a=rtpmap:102 H264/90000\r\n"
         "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
         "a=rtpmap:103 rtx/90000\r\n"
         "a=fmtp:103 apt=102\r\n"
         "a=rtpmap:106 H264/90000\r\n"
         "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f\r\n"
         "a=rtpmap:107 H264/90000\r\n"
         "a=fmtp:107 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
}

static GstSDPMessage *parse (const std::string &text)
{
  GstSDPMessage *sdp = nullptr;
  fail_unless_equals_int (gst_sdp_message_new_from_text (text.c_str (), &sdp), GST_SDP_OK);
  return sdp;
}

static std::vector<AnsweredMedia> answer (const std::string &offer,
                                          std::vector<GvWebRTCSinkCodec> codecs, bool audio,
                                          std::string &error)
{
  GstSDPMessage *sdp = parse (offer);
  std::vector<AnsweredMedia> answered = answer_remote_offer (sdp, codecs, audio, error);
  gst_sdp_message_free (sdp);
  return answered;
}

GST_START_TEST (test_vp8_and_opus_with_the_offers_types)
{
  std::string error;
  auto answered = answer (chromium_offer (), { GV_WEBRTC_SINK_CODEC_VP8 }, true, error);
  fail_unless_equals_int (answered.size (), 2);
  fail_unless (error.empty ());
  /* in the offer's order: audio (section 0), then video (section 1) */
  fail_unless (answered[0].kind == MediaKind::Audio);
  fail_unless_equals_int (answered[0].mline, 0);
  fail_unless_equals_int (answered[0].pt, 111);
  fail_unless (answered[1].kind == MediaKind::Video);
  fail_unless_equals_int (answered[1].mline, 1);
  fail_unless_equals_int (answered[1].slot, 0);
  fail_unless_equals_int (answered[1].pt, 96);
  fail_unless_equals_int (answered[1].twcc_id, 3);
  fail_unless_equals_int (answered[1].rtx_pt, 97); /* rtx apt=96 */
  fail_unless_equals_int (answered[0].rtx_pt, 0);
  /* the transceiver's preferences: RTP caps webrtcbin answers from */
  const GstStructure *s = gst_caps_get_structure (answered[1].preferences.get (), 0);
  fail_unless (gst_structure_has_name (s, "application/x-rtp"));
  fail_unless_equals_string (gst_structure_get_string (s, "media"), "video");
  fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"), "VP8");
  int pt = 0;
  fail_unless (gst_structure_get_int (s, "payload", &pt));
  fail_unless_equals_int (pt, 96);
  fail_unless_equals_string (gst_structure_get_string (s, "extmap-3"), kTwccUri);
}
GST_END_TEST;

GST_START_TEST (test_h264_only_as_constrained_baseline_mode_1)
{
  std::string error;
  /* H.264 first, VP8 as the fallback slot: 107, not 102 (mode 0) nor 106 (high) */
  auto answered = answer (chromium_offer (),
                          { GV_WEBRTC_SINK_CODEC_H264, GV_WEBRTC_SINK_CODEC_VP8 }, false, error);
  fail_unless_equals_int (answered.size (), 1);
  fail_unless_equals_int (answered[0].slot, 0);
  fail_unless_equals_int (answered[0].pt, 107);
  fail_unless_equals_int (answered[0].rtx_pt, 0); /* none offered for 107 */
  /* an offer whose only H.264 is packetization mode 0: the fallback slot */
  std::string offer = chromium_offer ();
  offer.replace (offer.find ("packetization-mode=1;profile-level-id=42e01f"), 44,
                 "packetization-mode=0;profile-level-id=42e01f");
  answered = answer (offer, { GV_WEBRTC_SINK_CODEC_H264, GV_WEBRTC_SINK_CODEC_VP8 }, false, error);
  fail_unless_equals_int (answered.size (), 1);
  fail_unless_equals_int (answered[0].slot, 1);
  fail_unless_equals_int (answered[0].pt, 96);
}
GST_END_TEST;

GST_START_TEST (test_nothing_we_send_is_refused_with_a_reason)
{
  std::string error;
  /* VP9 only on our side: the offer has none */
  auto answered = answer (chromium_offer (), { GV_WEBRTC_SINK_CODEC_VP9 }, false, error);
  fail_unless (answered.empty ());
  fail_unless (error.find ("VP9") != std::string::npos, "error: %s", error.c_str ());
  /* a video section the viewer only sends on, and no audio on our side */
  error.clear ();
  answered = answer (chromium_offer ("sendonly"), { GV_WEBRTC_SINK_CODEC_VP8 }, false, error);
  fail_unless (answered.empty ());
  fail_unless (error.find ("receive nothing") != std::string::npos, "error: %s", error.c_str ());
  /* inactive video, audio on our side: audio alone */
  answered = answer (chromium_offer ("inactive"), { GV_WEBRTC_SINK_CODEC_VP8 }, true, error);
  fail_unless_equals_int (answered.size (), 1);
  fail_unless (answered[0].kind == MediaKind::Audio);
}
GST_END_TEST;

GST_START_TEST (test_rejected_and_repeated_sections_left_out)
{
  std::string error;
  std::string offer = chromium_offer ();
  /* a second video section: only the first is answered with media */
  offer += "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=recvonly\r\n"
           "a=rtpmap:96 VP8/90000\r\n";
  auto answered = answer (offer, { GV_WEBRTC_SINK_CODEC_VP8 }, true, error);
  fail_unless_equals_int (answered.size (), 2);
  fail_unless_equals_int (answered[1].mline, 1);
  /* a rejected video section (port 0) */
  offer = chromium_offer ();
  offer.replace (offer.find ("m=video 9"), 9, "m=video 0");
  answered = answer (offer, { GV_WEBRTC_SINK_CODEC_VP8 }, true, error);
  fail_unless_equals_int (answered.size (), 1);
  fail_unless (answered[0].kind == MediaKind::Audio);
  /* no TWCC offered: no extension id */
  offer = chromium_offer ();
  for (size_t at; (at = offer.find (kTwcc)) != std::string::npos;)
    offer.erase (at, kTwcc.size ());
  answered = answer (offer, { GV_WEBRTC_SINK_CODEC_VP8 }, false, error);
  fail_unless_equals_int (answered.size (), 1);
  fail_unless_equals_int (answered[0].twcc_id, 0);
}
GST_END_TEST;

GST_START_TEST (test_answer_gets_the_offers_rtx)
{
  std::string error;
  auto answered = answer (chromium_offer (), { GV_WEBRTC_SINK_CODEC_VP8 }, false, error);
  fail_unless_equals_int (answered.size (), 1);
  /* webrtcbin's answer to it: VP8 alone */
  GstSDPMessage *sdp = parse ("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                              "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\n"
                              "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n");
  add_answer_rtx (sdp, answered[0]);
  add_answer_rtx (sdp, answered[0]); /* once only */
  const GstSDPMedia *video = gst_sdp_message_get_media (sdp, 1);
  fail_unless_equals_int (gst_sdp_media_formats_len (video), 2);
  fail_unless_equals_string (gst_sdp_media_get_format (video, 1), "97");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (video, "fmtp", 0), "97 apt=96");
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

static Suite *remote_offer_suite (void)
{
  Suite *s = suite_create ("gvremoteoffer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vp8_and_opus_with_the_offers_types);
  tcase_add_test (tc, test_h264_only_as_constrained_baseline_mode_1);
  tcase_add_test (tc, test_nothing_we_send_is_refused_with_a_reason);
  tcase_add_test (tc, test_rejected_and_repeated_sections_left_out);
  tcase_add_test (tc, test_answer_gets_the_offers_rtx);
  return s;
}

GST_CHECK_MAIN (remote_offer);
