/* Fuzz target: RTCP feedback from a viewer, as the host handles it. The
 * input is one RTCP compound packet, handed to GStreamer's own RTP session
 * (the rtpsession element webrtcbin uses, gst-plugins-good) on its RTCP
 * input; every transport-wide congestion control report it parses comes
 * out as the "RTPTWCCPackets" event, read by the host's code
 * (plugins/webrtc/gvtwccfeedback.cpp) into a fresh bandwidth estimator
 * (gvbandwidthestimator.cpp). The session has sent kSentPackets video
 * packets with transport-wide sequence numbers 0.. first, so that feedback
 * naming them carries their send times and sizes as it does in a call.
 *
 * Each input first goes through the host's RTCP guard
 * (plugins/webrtc/gvrtcpguard.cpp), as gvwebrtcsink and gvwebrtcsrc put it
 * in front of rtpsession: what it refuses never reaches the session, what
 * it passes does, SDES and all. GStreamer 1.22's rtpsession reads past the
 * end of some malformed packets and is slow on TWCC reports naming many
 * packets (README, "Fuzzing"); a finding here is a packet the guard lets
 * through that rtpsession mishandles. GV_FUZZ_KNOWN_ISSUES=1 leaves the
 * guard out, to replay those GStreamer problems (tests/fuzz/known/).
 *
 * Each input gets a session of its own, so that a finding replays from its
 * one input; a compound packet carries several reports, so what a report
 * does after the ones before it is still explored. (A session kept across
 * inputs crashed rtpsession once in 60 s, SEGV, and the input alone did not
 * replay it: README, "Fuzzing".) */
#include "fuzz_check.h"
#include "gvbandwidthestimator.h"
#include "gvrtcpguard.h"
#include "gvtwccfeedback.h"

#include <gst/rtp/rtp.h>

#include <cstdint>
#include <vector>

using gv::webrtc::BandwidthEstimator;

namespace {

constexpr const char *kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr guint kTwccExtensionId = 1;
constexpr guint32 kMediaSsrc = 0x11223344;
constexpr guint kSentPackets = 256;
constexpr guint kPayloadBytes = 1000;

struct Session {
  GstElement *element = nullptr;
  GstPad *rtp_in = nullptr;            /* ours, feeding send_rtp_sink */
  GstPad *rtcp_in = nullptr;           /* ours, feeding recv_rtcp_sink */
  GstPad *rtp_out = nullptr;           /* ours, taking send_rtp_src */
  std::vector<GstStructure *> reports; /* "RTPTWCCPackets" of the current input */
};

Session session;

GstFlowReturn discard_chain (GstPad *, GstObject *, GstBuffer *buffer)
{
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

GstPadProbeReturn collect_twcc (GstPad *, GstPadProbeInfo *info, gpointer)
{
  const GstStructure *s = gst_event_get_structure (GST_PAD_PROBE_INFO_EVENT (info));
  if (s && gst_structure_has_name (s, gv::webrtc::kTwccPacketsEvent))
    session.reports.push_back (gst_structure_copy (s));
  return GST_PAD_PROBE_OK;
}

GstPad *linked_source (const char *name, GstPad *sink, const char *caps)
{
  GstPad *pad = gst_pad_new (name, GST_PAD_SRC);
  GV_FUZZ_CHECK (gst_pad_link (pad, sink) == GST_PAD_LINK_OK);
  gst_pad_set_active (pad, TRUE);
  gst_pad_push_event (pad, gst_event_new_stream_start (name));
  GstCaps *format = gst_caps_from_string (caps);
  gst_pad_push_event (pad, gst_event_new_caps (format)); /* the event takes a reference */
  gst_caps_unref (format);
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
  return pad;
}

/* One VP8 packet carrying transport-wide sequence number `seq`. */
GstBuffer *media_packet (guint16 seq)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (kPayloadBytes, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map (buffer, GST_MAP_READWRITE, &rtp);
  gst_rtp_buffer_set_ssrc (&rtp, kMediaSsrc);
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, seq * 3000u);
  guint8 twcc[2];
  GST_WRITE_UINT16_BE (twcc, seq);
  gst_rtp_buffer_add_extension_onebyte_header (&rtp, kTwccExtensionId, twcc, sizeof twcc);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buffer) = seq * 33 * GST_MSECOND;
  return buffer;
}

void start_session ()
{
  gst_init (nullptr, nullptr); /* once; a no-op after */
  session.element = gst_element_factory_make ("rtpsession", nullptr);
  if (!session.element) {
    fprintf (stderr, "fuzz_rtcp_feedback: no rtpsession element (gstreamer1.0-plugins-good)\n");
    abort ();
  }
  GstPad *send_sink = gst_element_request_pad_simple (session.element, "send_rtp_sink");
  GstPad *rtcp_sink = gst_element_request_pad_simple (session.element, "recv_rtcp_sink");
  GstPad *send_src = gst_element_get_static_pad (session.element, "send_rtp_src");
  GV_FUZZ_CHECK (send_sink && rtcp_sink && send_src);
  gst_pad_add_probe (send_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, collect_twcc, nullptr, nullptr);

  session.rtp_out = gst_pad_new ("rtp_out", GST_PAD_SINK);
  gst_pad_set_chain_function (session.rtp_out, discard_chain);
  gst_pad_set_active (session.rtp_out, TRUE);
  GV_FUZZ_CHECK (gst_pad_link (send_src, session.rtp_out) == GST_PAD_LINK_OK);
  /* Paused (no RTCP thread of its own), on the clock a pipeline would give
   * it: the session stamps what it receives with its running time. */
  GstClock *clock = gst_system_clock_obtain ();
  gst_element_set_clock (session.element, clock);
  gst_element_set_base_time (session.element, gst_clock_get_time (clock));
  gst_object_unref (clock);
  GV_FUZZ_CHECK (gst_element_set_state (session.element, GST_STATE_PAUSED) !=
                 GST_STATE_CHANGE_FAILURE);

  gchar *rtp_caps = g_strdup_printf ("application/x-rtp, media=video, clock-rate=90000, "
                                     "encoding-name=VP8, payload=96, ssrc=(uint)%u, "
                                     "extmap-%u=%s",
                                     kMediaSsrc, kTwccExtensionId, kTwccUri);
  session.rtp_in = linked_source ("rtp_in", send_sink, rtp_caps);
  g_free (rtp_caps);
  session.rtcp_in = linked_source ("rtcp_in", rtcp_sink, "application/x-rtcp");
  for (guint i = 0; i < kSentPackets; i++)
    gst_pad_push (session.rtp_in, media_packet ((guint16) i));
  gst_object_unref (send_sink);
  gst_object_unref (rtcp_sink);
  gst_object_unref (send_src);
}

/* The entries of one "RTPTWCCPackets" structure, as rtpsession made
 * them (gvtwccfeedback.cpp reads only those with a send time). */
guint twcc_listed (const GstStructure *s)
{
  const GValue *list = gst_structure_get_value (s, "packets");
  if (!list || !g_str_equal (g_type_name (G_VALUE_TYPE (list)), "GValueArray"))
    return 0;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  auto *array = static_cast<GValueArray *> (g_value_get_boxed (list));
  return array ? array->n_values : 0;
  G_GNUC_END_IGNORE_DEPRECATIONS
}

void stop_session ()
{
  gst_element_set_state (session.element, GST_STATE_NULL);
  for (GstPad *pad : { session.rtp_in, session.rtcp_in, session.rtp_out }) {
    gst_pad_set_active (pad, FALSE);
    gst_object_unref (pad);
  }
  gst_object_unref (session.element);
  session = Session ();
}

} // namespace

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  gst_init (nullptr, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* No packet reaches the session empty (the transport drops empty
   * datagrams, SRTCP has a header and a tag), and rtpsession asserts on one. */
  static const bool known_issues = g_getenv ("GV_FUZZ_KNOWN_ISSUES") != nullptr;
  if (size == 0)
    return 0;
  gv::webrtc::RtcpGuardState guard;
  if (!known_issues &&
      gv::webrtc::check_rtcp_compound (data, size, guard) != gv::webrtc::RtcpVerdict::kAccepted)
    return 0;
  start_session ();
  gst_pad_push (session.rtcp_in, gst_buffer_new_memdup (data, size));

  /* Every packet rtpsession listed, lost ones it added included, is within
   * the guard's bound: its count of what rtpsession names is right. */
  guint64 listed = 0;
  for (GstStructure *s : session.reports)
    listed += twcc_listed (s);
  if (!known_issues)
    GV_FUZZ_CHECK (listed <= gv::webrtc::kMaxTwccNamedPackets);

  /* The reports reach the estimator as in a call: one after the other, on
   * one clock (here a simulated one, 50 ms apart). */
  BandwidthEstimator estimator;
  const BandwidthEstimator::Bounds bounds;
  gint64 now = 10 * GST_SECOND;
  guint64 entries = 0;
  for (GstStructure *s : session.reports) {
    auto packets = gv::webrtc::twcc_packet_results (s);
    entries += packets.size ();
    estimator.on_feedback (packets, now);
    now += 50 * GST_MSECOND;
    gst_structure_free (s);
  }
  session.reports.clear ();

  const BandwidthEstimator::Counters &c = estimator.counters ();
  GV_FUZZ_CHECK (c.packets_received + c.packets_lost + c.packets_ignored == entries);
  GV_FUZZ_CHECK (estimator.estimate_bps () >= bounds.min_bps &&
                 estimator.estimate_bps () <= bounds.max_bps);
  BandwidthEstimator::state_name (estimator.state ());
  BandwidthEstimator::usage_name (estimator.usage ());
  estimator.received_bps ();
  estimator.sent_bps ();
  stop_session ();
  return 0;
}
