/* The wire format: what parses, what is refused and why. */
#include "fallback_frame.h"
#include "protocol.h"

#include "gv_check.h"

#include <string>

using namespace gv::proto;

namespace {

bool parses (const std::string &text, Message &m, ParseError &e)
{
  return parse (text.data (), text.size (), m, e);
}

ErrorCode refusal (const std::string &text)
{
  Message m;
  ParseError e;
  ck_assert_msg (!parses (text, m, e), "accepted: %s", text.c_str ());
  ck_assert_msg (!e.message.empty (), "refusal without a message: %s", text.c_str ());
  return e.code;
}

} // namespace

START_TEST (test_builders_round_trip)
{
  Message m;
  ParseError e;
  RegisterParams rp;
  rp.max_viewers = 3;
  rp.pin_ttl_s = 120;
  rp.name = "Alice's laptop";
  ck_assert (parses (make_register (rp), m, e));
  ck_assert (m.type == Type::Register);
  ck_assert_int_eq (get_int (m, "max_viewers"), 3);
  ck_assert_int_eq (get_int (m, "pin_ttl"), 120);
  ck_assert_int_eq (get_int (m, "version"), kVersion);
  GV_ASSERT_STR_EQ (get_string (m, "name").c_str (), "Alice's laptop");

  ck_assert (parses (make_accept ("abc", GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL), m, e));
  ck_assert_uint_eq (get_capabilities (m), GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL);

  std::string sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";
  ck_assert (parses (make_sdp ("p1", "offer", sdp), m, e));
  GV_ASSERT_STR_EQ (get_string (m, "sdp"), sdp);
  ck_assert (
      parses (make_ice ("", "candidate:1 1 UDP 1 127.0.0.1 5000 typ host", 0, "video0"), m, e));
  ck_assert_int_eq (get_int (m, "sdp_mline_index"), 0);
  ck_assert (!has_field (m, "peer"));

  RegisteredParams reg;
  reg.session = "s";
  reg.peer = "h";
  reg.pin = "012345";
  reg.expires_at = 1700000000;
  reg.ice_servers = { IceServer{ { "stun:127.0.0.1:3478" }, "", "" },
                      IceServer{ { "turn:127.0.0.1:3478" }, "1:x", "secret" } };
  ck_assert (parses (make_registered (reg), m, e));
  GV_ASSERT_STR_EQ (get_string (m, "pin").c_str (), "012345");
  auto ice = get_ice_servers (m);
  ck_assert_uint_eq (ice.size (), 2);
  GV_ASSERT_STR_EQ (ice[1].username.c_str (), "1:x");
  ck_assert (ice[0].username.empty ());
  /* A flood-mode PIN has nine digits; more or fewer than 6 to 9 is refused. */
  reg.pin = "012345678";
  ck_assert (parses (make_registered (reg), m, e));
  GV_ASSERT_STR_EQ (get_string (m, "pin").c_str (), "012345678");
  reg.pin = "0123456789";
  ck_assert (!parses (make_registered (reg), m, e));
  reg.pin = "01234";
  ck_assert (!parses (make_registered (reg), m, e));

  ck_assert (parses (make_error (ErrorCode::PinExpired, "", Type::Join), m, e));
  GV_ASSERT_STR_EQ (get_string (m, "code").c_str (), "PIN_EXPIRED");
  GV_ASSERT_STR_EQ (get_string (m, "ref").c_str (), "join");
  ck_assert (!get_string (m, "message").empty ());
}
END_TEST

START_TEST (test_malformed_refused)
{
  ck_assert (refusal ("") == ErrorCode::BadMessage);
  ck_assert (refusal ("not json") == ErrorCode::BadMessage);
  ck_assert (refusal ("[1,2,3]") == ErrorCode::BadMessage);
  ck_assert (refusal ("{}") == ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":42}") == ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":\"launch-missiles\"}") == ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":\"join\"}") == ErrorCode::BadMessage);                /* no pin */
  ck_assert (refusal ("{\"type\":\"join\",\"pin\":123456}") == ErrorCode::BadMessage); /* number */
  ck_assert (refusal ("{\"type\":\"register\",\"max_viewers\":0}") == ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":\"register\",\"max_viewers\":1000}") == ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":\"sdp\",\"sdp_type\":\"pranswer\",\"sdp\":\"v=0\"}") ==
             ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":\"ice\",\"candidate\":\"x\",\"sdp_mline_index\":-1}") ==
             ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":\"accept\",\"peer\":\"p\",\"capabilities\":[\"root\"]}") ==
             ErrorCode::BadMessage);
  ck_assert (refusal ("{\"type\":\"accept\",\"peer\":\"p\",\"capabilities\":\"view\"}") ==
             ErrorCode::BadMessage);
  std::string bad_utf8 = "{\"type\":\"join\",\"pin\":\"\xff\xfe\"}";
  ck_assert (refusal (bad_utf8) == ErrorCode::BadMessage);
}
END_TEST

/* A viewer's report: a problem from the fixed list, one short line of
 * detail and codec; anything else is refused with a sentence saying why. */
static std::string refusal_text (const std::string &text)
{
  Message m;
  ParseError e;
  ck_assert_msg (!parses (text, m, e), "accepted: %s", text.c_str ());
  ck_assert_msg (e.code == ErrorCode::BadMessage, "not BAD_MESSAGE: %s", text.c_str ());
  return e.message;
}

START_TEST (test_report_validated)
{
  Message m;
  ParseError e;
  for (const char *problem : kProblems) {
    ck_assert (is_problem (problem));
    ck_assert_msg (parses (make_report ("", problem, "", ""), m, e), "%s: %s", problem,
                   e.message.c_str ());
    ck_assert (m.type == Type::Report);
    GV_ASSERT_STR_EQ (get_string (m, "problem").c_str (), problem);
    ck_assert (!has_field (m, "detail") && !has_field (m, "codec"));
  }
  ck_assert_uint_eq (G_N_ELEMENTS (kProblems), 7);
  ck_assert (!is_problem ("") && !is_problem (nullptr) && !is_problem ("No-Media"));

  /* The builder keeps what fits, cut at a character. */
  std::string long_detail;
  for (int i = 0; i < 200; i++)
    long_detail += "\xc3\xa9"; /* é, 2 bytes */
  ck_assert (parses (make_report ("p1", kProblemCannotDecode, long_detail, "VP9"), m, e));
  ck_assert_uint_eq (get_string (m, "detail").size (), kMaxDetailBytes);
  ck_assert (g_utf8_validate (get_string (m, "detail").c_str (), -1, nullptr));
  GV_ASSERT_STR_EQ (get_string (m, "codec").c_str (), "VP9");
  GV_ASSERT_STR_EQ (get_string (m, "peer").c_str (), "p1");
  ck_assert (parses (make_restart (""), m, e) && m.type == Type::Restart);
  ck_assert (!has_field (m, "peer"));

  const std::string ok = "{\"type\":\"report\",\"problem\":\"no-media\"";
  std::string why = refusal_text ("{\"type\":\"report\"}");
  ck_assert_msg (why.find ("problem") != std::string::npos, "%s", why.c_str ());
  why = refusal_text ("{\"type\":\"report\",\"problem\":\"bored\"}");
  GV_ASSERT_STR_EQ (why.c_str (), "unknown problem \"bored\"");
  refusal_text ("{\"type\":\"report\",\"problem\":\"\"}");
  refusal_text ("{\"type\":\"report\",\"problem\":7}");
  why = refusal_text (ok + ",\"detail\":\"" + std::string (kMaxDetailBytes + 1, 'x') + "\"}");
  GV_ASSERT_STR_EQ (why.c_str (), "\"detail\" has a bad length");
  ck_assert (parses (ok + ",\"detail\":\"" + std::string (kMaxDetailBytes, 'x') + "\"}", m, e));
  why = refusal_text (ok + ",\"codec\":\"" + std::string (kMaxCodecBytes + 1, 'x') + "\"}");
  GV_ASSERT_STR_EQ (why.c_str (), "\"codec\" has a bad length");
  /* Shown on the host's console and page: one line, no control characters. */
  why = refusal_text (ok + ",\"detail\":\"fine\\n[12:00:00] viewer joined: forged\"}");
  GV_ASSERT_STR_EQ (why.c_str (), "\"detail\" must be one line of text");
  refusal_text (ok + ",\"detail\":\"bell\\u0007\"}");
  refusal_text (ok + ",\"detail\":\"escape\\u001b[2J\"}");
  refusal_text (ok + ",\"detail\":\"line\\u2028separator\"}");
  why = refusal_text (ok + ",\"codec\":\"H264\\r\"}");
  GV_ASSERT_STR_EQ (why.c_str (), "\"codec\" must be one line of text");
  refusal_text (ok + ",\"detail\":[\"a\"]}");
  refusal_text ("{\"type\":\"restart\",\"peer\":\"" + std::string (65, 'p') + "\"}");
}
END_TEST

START_TEST (test_version_checked)
{
  ck_assert (refusal ("{\"type\":\"join\",\"version\":2,\"pin\":\"123456\"}") ==
             ErrorCode::UnsupportedVersion);
  Message m;
  ParseError e;
  ck_assert (parses ("{\"type\":\"join\",\"pin\":\"123456\"}", m, e)); /* absent means 1 */
}
END_TEST

START_TEST (test_size_and_depth_limits)
{
  std::string big = "{\"type\":\"sdp\",\"sdp_type\":\"offer\",\"sdp\":\"" +
                    std::string (kMaxMessageBytes, 'a') + "\"}";
  ck_assert (refusal (big) == ErrorCode::TooLarge);

  /* Under the message limit but over the SDP limit. */
  std::string long_sdp = "{\"type\":\"sdp\",\"sdp_type\":\"offer\",\"sdp\":\"" +
                         std::string (kMaxSdpBytes + 10, 'a') + "\"}";
  ck_assert (refusal (long_sdp) == ErrorCode::BadMessage);

  std::string deep =
      "{\"type\":\"ping\",\"x\":" + std::string (10000, '[') + std::string (10000, ']') + "}";
  ck_assert (refusal (deep) == ErrorCode::BadMessage);

  /* Brackets inside strings do not count as nesting. */
  Message m;
  ParseError e;
  std::string quoted = "{\"type\":\"join\",\"pin\":\"123456\",\"name\":\"[[[[[[[[[[[[[[[[[[[[\"}";
  ck_assert (parses (quoted, m, e));
}
END_TEST

/* The reason of a refusal goes back in an "error" message: a client must be
 * able to read it, whatever the bad message held (found by fuzzing: the
 * parser's own words quoted a lone surrogate, which is not UTF-8, and a
 * quoted string can be as long as a message). */
START_TEST (test_refusal_reply_readable)
{
  const std::string bad[] = {
    "{\"type\":\"join\",\"pin\":\"12\\ud800ab\"rn}",
    "{\"type\":\"join\",\"pin\":\"" + std::string (60000, 'a') + "\\ud800ab\"rn}",
    "{\"type\":\"\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\"}",
    "{\"type\":\"accept\",\"peer\":\"p\",\"capabilities\":[\"\\ud800\"]}",
  };
  for (const auto &text : bad) {
    Message m;
    ParseError e;
    ck_assert (!parses (text, m, e));
    ck_assert_msg (g_utf8_validate (e.message.c_str (), -1, nullptr), "not UTF-8: %s",
                   e.message.c_str ());
    Message reply;
    ParseError reply_error;
    ck_assert_msg (parses (make_error (e.code, e.message), reply, reply_error), "%s",
                   reply_error.message.c_str ());
    GV_ASSERT_STR_EQ (get_string (reply, "message").c_str (), e.message.c_str ());
  }
}
END_TEST

START_TEST (test_fallback_messages)
{
  Message m;
  ParseError e;
  ck_assert (parses (make_fallback ("v1", kFallbackAck, 42), m, e));
  ck_assert (m.type == Type::Fallback);
  GV_ASSERT_STR_EQ (get_string (m, "action"), "ack");
  ck_assert_int_eq (get_int (m, "frame"), 42);
  ck_assert (parses (make_fallback ("", kFallbackUnavailable, 0, "line one\nline two"), m, e) ==
             false);
  ck_assert (refusal (R"({"type":"fallback","action":"pause"})") == ErrorCode::BadMessage);
  ck_assert (refusal (R"({"type":"fallback"})") == ErrorCode::BadMessage);

  JsonArray *events = json_array_new ();
  JsonObject *move = json_object_new ();
  json_object_set_string_member (move, "t", "mm");
  json_object_set_double_member (move, "x", 0.5);
  json_array_add_object_element (events, move);
  ck_assert (parses (make_input ("", events), m, e));
  ck_assert (m.type == Type::Input);
  json_array_unref (events);
  ck_assert (refusal (R"({"type":"input","events":[]})") == ErrorCode::BadMessage);
  ck_assert (refusal (R"({"type":"input","events":[1,2]})") == ErrorCode::BadMessage);
  std::string many = R"({"type":"input","events":[)";
  for (int i = 0; i <= kMaxInputEvents; i++)
    many += std::string (i ? "," : "") + R"({"t":"mm","x":0,"y":0})";
  ck_assert (refusal (many + "]}") == ErrorCode::BadMessage);
}
END_TEST

START_TEST (test_fallback_pictures)
{
  const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xd9 };
  GBytes *b = make_fallback_frame ("peer1", 9, 1280, 720, jpeg, sizeof jpeg);
  ck_assert (b != nullptr);
  gsize size = 0;
  const auto *data = static_cast<const guint8 *> (g_bytes_get_data (b, &size));
  FallbackFrame f;
  std::string why;
  ck_assert (parse_fallback_frame (data, size, f, why));
  GV_ASSERT_STR_EQ (f.peer, "peer1");
  ck_assert_uint_eq (f.frame, 9);
  ck_assert_uint_eq (f.width, 1280);
  ck_assert_uint_eq (f.height, 720);
  ck_assert_uint_eq (f.jpeg_size, sizeof jpeg);
  /* Every cut of it is refused, with a reason, and nothing past the cut is read. */
  for (gsize cut = 0; cut < size; cut++) {
    std::string part (reinterpret_cast<const char *> (data), cut);
    FallbackFrame g;
    why.clear ();
    bool ok = parse_fallback_frame (reinterpret_cast<const guint8 *> (part.data ()), cut, g, why);
    ck_assert_msg (!ok || cut >= size - 2, "a cut at %zu parsed", (size_t) cut);
  }
  g_bytes_unref (b);
  const guint8 png[] = { 0x89, 'P', 'N', 'G' };
  b = make_fallback_frame ("", 1, 2, 2, png, sizeof png);
  data = static_cast<const guint8 *> (g_bytes_get_data (b, &size));
  ck_assert (!parse_fallback_frame (data, size, f, why));
  GV_ASSERT_STR_EQ (why, "fallback picture is not a JPEG image");
  g_bytes_unref (b);
  /* Too large to build, and too long a peer. */
  ck_assert (make_fallback_frame ("", 1, 2, 2, jpeg, kMaxFallbackFrameBytes) == nullptr);
  ck_assert (make_fallback_frame (std::string (256, 'p'), 1, 2, 2, jpeg, sizeof jpeg) == nullptr);
}
END_TEST

START_TEST (test_error_codes_stable)
{
  const char *names[] = {
    "PIN_INVALID", "PIN_EXPIRED",  "PIN_USED",  "SESSION_FULL",    "RATE_LIMITED",
    "DECLINED",    "BAD_MESSAGE",  "TOO_LARGE", "ORIGIN_REJECTED", "UNSUPPORTED_VERSION",
    "NOT_ALLOWED", "UNKNOWN_PEER", "INTERNAL"
  };
  for (const char *n : names) {
    auto code = error_code_from_name (n);
    ck_assert_msg (code.has_value (), "%s unknown", n);
    GV_ASSERT_STR_EQ (error_code_name (*code), n);
    ck_assert (strlen (error_code_default_message (*code)) > 10);
  }
  ck_assert (!error_code_from_name ("NOPE").has_value ());
}
END_TEST

static Suite *protocol_suite ()
{
  Suite *s = suite_create ("protocol");
  TCase *tc = tcase_create ("protocol");
  tcase_add_test (tc, test_builders_round_trip);
  tcase_add_test (tc, test_malformed_refused);
  tcase_add_test (tc, test_report_validated);
  tcase_add_test (tc, test_version_checked);
  tcase_add_test (tc, test_size_and_depth_limits);
  tcase_add_test (tc, test_error_codes_stable);
  tcase_add_test (tc, test_fallback_messages);
  tcase_add_test (tc, test_fallback_pictures);
  tcase_add_test (tc, test_refusal_reply_readable);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (protocol_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
