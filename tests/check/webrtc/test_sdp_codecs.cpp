/* The video codecs of an SDP message (gvsdpcodecs.h): an offer of two
 * codecs gets a retransmission type for each; the codec a viewer gets is
 * the first of ours its answer lists, none when it rejects the section; a
 * receiver keeps only the codecs it accepts, in its order, with their
 * retransmission types. Malformed lines are skipped, never trusted. */
#include "gvsdpcodecs.h"

#include <gst/check/gstcheck.h>

#include <string>

using namespace gv::webrtc;

static const char *kOffer = "v=0\r\n"
                            "o=- 1 0 IN IP4 0.0.0.0\r\n"
                            "s=-\r\n"
                            "t=0 0\r\n"
                            "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n"
                            "c=IN IP4 0.0.0.0\r\n"
                            "a=rtpmap:96 H264/90000\r\n"
                            "a=rtcp-fb:96 nack\r\n"
                            "a=fmtp:96 packetization-mode=1\r\n"
                            "a=rtpmap:97 VP8/90000\r\n"
                            "a=rtcp-fb:97 nack\r\n"
                            "a=rtcp-fb:97 nack pli\r\n"
                            "a=rtpmap:98 rtx/90000\r\n"
                            "a=fmtp:98 apt=96\r\n"
                            "a=mid:video0\r\n"
                            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                            "c=IN IP4 0.0.0.0\r\n"
                            "a=mid:application1\r\n";

static GstSDPMessage *parse (const std::string &text)
{
  GstSDPMessage *sdp = nullptr;
  fail_unless_equals_int (gst_sdp_message_new_from_text (text.c_str (), &sdp), GST_SDP_OK);
  return sdp;
}

static std::string text_of (const GstSDPMessage *sdp)
{
  gchar *t = gst_sdp_message_as_text (sdp);
  std::string s = t;
  g_free (t);
  return s;
}

GST_START_TEST (test_every_offered_codec_gets_rtx)
{
  GstSDPMessage *sdp = parse (kOffer);
  std::vector<std::string> names = video_codec_names (sdp);
  fail_unless_equals_int (names.size (), 2);
  fail_unless_equals_string (names[0].c_str (), "H264");
  fail_unless_equals_string (names[1].c_str (), "VP8");
  fail_unless_equals_int (add_missing_rtx (sdp, { 96, 97 }), 1);
  fail_unless_equals_int (video_codec_names (sdp).size (), 2); /* rtx is no codec */
  std::string t = text_of (sdp);
  fail_unless (t.find ("m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\n") != std::string::npos, "%s",
               t.c_str ());
  fail_unless (t.find ("a=rtpmap:99 rtx/90000\r\n") != std::string::npos);
  fail_unless (t.find ("a=fmtp:99 apt=97\r\n") != std::string::npos);
  /* Once is enough: nothing more the second time, nothing for the data
   * channel section. */
  fail_unless_equals_int (add_missing_rtx (sdp, { 96, 97 }), 0);
  fail_unless_equals_int (add_missing_rtx (sdp, { 100 }), 0); /* not offered */
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

GST_START_TEST (test_answer_picks_first_of_ours)
{
  /* A browser without H.264: only VP8 and its rtx. */
  GstSDPMessage *vp8 = parse ("v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                              "m=video 9 UDP/TLS/RTP/SAVPF 97 99\r\n"
                              "a=rtpmap:97 VP8/90000\r\na=rtpmap:99 rtx/90000\r\n"
                              "a=fmtp:99 apt=97\r\n");
  fail_unless_equals_int (answer_video_payload (vp8, { 96, 97 }), 97);
  fail_unless_equals_int (answer_video_payload (vp8, { 96 }), -1);
  gst_sdp_message_free (vp8);
  /* Both: the answerer's order decides. */
  GstSDPMessage *both = parse ("v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                               "m=video 9 UDP/TLS/RTP/SAVPF 97 96\r\n"
                               "a=rtpmap:96 H264/90000\r\na=rtpmap:97 VP8/90000\r\n");
  fail_unless_equals_int (answer_video_payload (both, { 96, 97 }), 97);
  gst_sdp_message_free (both);
  /* A rejected section, and no video section at all: no codec. */
  GstSDPMessage *rejected = parse ("v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                                   "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
                                   "a=rtpmap:96 H264/90000\r\n");
  fail_unless_equals_int (answer_video_payload (rejected, { 96, 97 }), -1);
  gst_sdp_message_free (rejected);
  GstSDPMessage *none = parse ("v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                               "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
  fail_unless_equals_int (answer_video_payload (none, { 96, 97 }), -1);
  gst_sdp_message_free (none);
}
GST_END_TEST;

GST_START_TEST (test_receiver_keeps_what_it_accepts)
{
  GstSDPMessage *sdp = parse (kOffer);
  add_missing_rtx (sdp, { 96, 97 });
  std::vector<std::string> kept = keep_video_codecs (sdp, { "vp8", "vp9" });
  fail_unless_equals_int (kept.size (), 1);
  fail_unless_equals_string (kept[0].c_str (), "VP8");
  std::string t = text_of (sdp);
  /* VP8 and its rtx stay; H.264, its rtx and every line of theirs go. */
  fail_unless (t.find ("m=video 9 UDP/TLS/RTP/SAVPF 97 99\r\n") != std::string::npos, "%s",
               t.c_str ());
  fail_unless (t.find ("H264") == std::string::npos);
  fail_unless (t.find (":96 ") == std::string::npos);
  fail_unless (t.find (":98 ") == std::string::npos);
  fail_unless (t.find ("a=rtcp-fb:97 nack pli\r\n") != std::string::npos);
  fail_unless (t.find ("m=application 9") != std::string::npos);
  gst_sdp_message_free (sdp);

  /* Its own order, not the offer's. */
  sdp = parse (kOffer);
  kept = keep_video_codecs (sdp, { "VP8", "H264" });
  fail_unless_equals_int (kept.size (), 2);
  fail_unless_equals_string (kept[0].c_str (), "VP8");
  t = text_of (sdp);
  fail_unless (t.find ("m=video 9 UDP/TLS/RTP/SAVPF 97 96 98\r\n") != std::string::npos, "%s",
               t.c_str ());
  gst_sdp_message_free (sdp);

  /* Without reordering the offer's order stays (the host decides). */
  sdp = parse (kOffer);
  kept = keep_video_codecs (sdp, { "VP8", "H264" }, false);
  fail_unless_equals_string (kept[0].c_str (), "H264");
  fail_unless (text_of (sdp).find ("m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n") !=
               std::string::npos);
  gst_sdp_message_free (sdp);

  /* Nothing in common: the section is rejected. */
  sdp = parse (kOffer);
  kept = keep_video_codecs (sdp, { "AV1" });
  fail_unless (kept.empty ());
  fail_unless (text_of (sdp).find ("m=video 0 ") != std::string::npos);
  fail_unless (section_rejected (gst_sdp_message_get_media (sdp, 0)));
  gst_sdp_message_free (sdp);

  /* A bundled section (port 0, bundle-only) is offered, not rejected; once
   * rejected it is no longer bundled. */
  std::string bundled = kOffer;
  bundled.replace (bundled.find ("m=video 9"), 9, "m=video 0");
  bundled.replace (bundled.find ("a=mid:video0"), 12, "a=bundle-only\r\na=mid:video0");
  sdp = parse (bundled);
  fail_unless (!section_rejected (gst_sdp_message_get_media (sdp, 0)));
  fail_unless_equals_int (answer_video_payload (sdp, { 96, 97 }), 96);
  kept = keep_video_codecs (sdp, { "VP8" });
  fail_unless_equals_int (kept.size (), 1);
  fail_unless (!section_rejected (gst_sdp_message_get_media (sdp, 0)));
  keep_video_codecs (sdp, { "AV1" });
  fail_unless (section_rejected (gst_sdp_message_get_media (sdp, 0)));
  fail_unless (text_of (sdp).find ("bundle-only") == std::string::npos);
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

GST_START_TEST (test_malformed_lines_are_skipped)
{
  GstSDPMessage *sdp = parse ("v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                              "m=video 9 UDP/TLS/RTP/SAVPF x 300 97\r\n"
                              "a=rtpmap:\r\na=rtpmap:300 VP8/90000\r\na=fmtp:97 apt=\r\n"
                              "a=rtpmap:97 VP8/90000\r\na=fmtp:abc apt=97\r\n");
  fail_unless_equals_int (answer_video_payload (sdp, { 300, 97 }), 97);
  std::vector<std::string> kept = keep_video_codecs (sdp, { "VP8" });
  fail_unless_equals_int (kept.size (), 1);
  fail_unless_equals_int (add_missing_rtx (sdp, { 97 }), 1);
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

static Suite *sdp_codecs_suite (void)
{
  Suite *s = suite_create ("webrtc-sdp-codecs");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_every_offered_codec_gets_rtx);
  tcase_add_test (tc, test_answer_picks_first_of_ours);
  tcase_add_test (tc, test_receiver_keeps_what_it_accepts);
  tcase_add_test (tc, test_malformed_lines_are_skipped);
  return s;
}

GST_CHECK_MAIN (sdp_codecs);
