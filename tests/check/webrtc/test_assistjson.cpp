/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The assistance channel's messages (gvassistjson.h): the limits of chat
 * text and names, refusals of what is not a message, the builders. The
 * browser's copy is held to these by tests/protocol/.
 */
#include "gvassistjson.h"

#include <check.h>
#include <glib.h>

#include <string>

namespace assist = gv::assist;

namespace {

bool parses (const std::string &text, assist::Message &m, std::string &error)
{
  return assist::parse_message (text.c_str (), text.size (), m, error);
}

/* True when the message is refused, with a sentence saying why. */
bool refused (const std::string &text)
{
  assist::Message m;
  std::string error;
  if (parses (text, m, error))
    return false;
  ck_assert_msg (error.size () > 10, "a clear error for %s: '%s'", text.c_str (), error.c_str ());
  return true;
}

std::string chat_of (const std::string &text_json)
{
  return "{\"t\":\"chat\",\"text\":" + text_json + "}";
}

} // namespace

START_TEST (test_chat_text_limits)
{
  assist::Message m;
  std::string error;
  std::string most (assist::kMaxChatBytes, 'x');
  ck_assert (parses (chat_of ("\"" + most + "\""), m, error));
  ck_assert (m.kind == assist::Kind::ViewerChat);
  ck_assert_uint_eq (m.text.size (), 4000);
  ck_assert (refused (chat_of ("\"" + most + "x\"")));
  ck_assert (refused (chat_of ("\"\"")));

  /* Bytes, not characters: 2000 two-byte characters fit, one more byte not. */
  std::string accents;
  for (int i = 0; i < 2000; i++)
    accents += "\xc3\xa9";
  ck_assert (parses (chat_of ("\"" + accents + "\""), m, error));
  ck_assert (refused (chat_of ("\"" + accents + "x\"")));
  ck_assert (assist::valid_chat_text (most.c_str ()));
  ck_assert (!assist::valid_chat_text ((most + "x").c_str (), &error));
  ck_assert (error.find ("4001") != std::string::npos);
}
END_TEST

START_TEST (test_chat_control_characters)
{
  assist::Message m;
  std::string error;
  ck_assert (parses (chat_of ("\"two\\nlines\\tand a tab\""), m, error));
  ck_assert_str_eq (m.text.c_str (), "two\nlines\tand a tab");
  for (const char *bad : { "\"cr\\r\"", "\"bell\\u0007\"", "\"esc\\u001b[2J\"", "\"del\\u007f\"",
                           "\"nul\\u0000after\"", "\"\\u0001\"", "\"vt\\u000b\"" })
    ck_assert_msg (refused (chat_of (bad)), "%s", bad);
  /* Only C0 controls and DEL: other characters are text. */
  ck_assert (parses (chat_of ("\"line\\u2028sep \\u0085 next\""), m, error));
  ck_assert (!assist::valid_chat_text ("a\rb"));
  ck_assert (!assist::valid_chat_text ("\xff\xfe"));
  /* An escaped backslash before "u0000" is text, not a NUL. */
  ck_assert (parses (chat_of ("\"\\\\u0000 is how JSON spells NUL\""), m, error));
  ck_assert_str_eq (m.text.c_str (), "\\u0000 is how JSON spells NUL");
}
END_TEST

START_TEST (test_not_messages)
{
  for (const char *bad :
       { "", "not json", "{\"t\":\"chat\",\"text\":\"x\"", "[]", "null", "\"chat\"", "{}",
         "{\"text\":\"x\"}", "{\"t\":7,\"text\":\"x\"}", "{\"t\":\"file\",\"name\":\"a\"}",
         "{\"t\":\"chat\"}", "{\"t\":\"chat\",\"text\":42}", "{\"t\":\"chat\",\"text\":null}",
         "{\"t\":\"chat\",\"text\":[\"x\"]}", "{\"t\":\"chat\",\"text\":{\"a\":1}}",
         "{\"t\":\"chat\",\"text\":\"\\ud800\"}" })
    ck_assert_msg (refused (bad), "%s", bad);
  /* Bytes that are not UTF-8, and a message over the limit. */
  ck_assert (refused ("{\"t\":\"chat\",\"text\":\"\xc3\"}"));
  std::string big = "{\"t\":\"chat\",\"text\":\"x\",\"pad\":\"" +
                    std::string (assist::kMaxMessageBytes, 'p') + "\"}";
  ck_assert (refused (big));
  assist::Message m;
  std::string error;
  ck_assert (!assist::parse_message (nullptr, 0, m, error));
}
END_TEST

START_TEST (test_host_chat_fields)
{
  assist::Message m;
  std::string error;
  const std::string ok = "{\"t\":\"chat\",\"from\":\"Ann\",\"peer\":\"ab12\",\"text\":\"hi\","
                         "\"time\":1764763200000}";
  ck_assert (parses (ok, m, error));
  ck_assert (m.kind == assist::Kind::HostChat);
  ck_assert_str_eq (m.from.c_str (), "Ann");
  ck_assert_str_eq (m.peer.c_str (), "ab12");
  ck_assert_int_eq (m.time, G_GINT64_CONSTANT (1764763200000));
  auto with = [] (const std::string &from, const std::string &peer, const std::string &time) {
    return "{\"t\":\"chat\",\"from\":" + from + ",\"peer\":" + peer +
           ",\"text\":\"x\",\"time\":" + time + "}";
  };
  ck_assert (parses (with ("\"\"", "\"p\"", "0"), m, error));
  ck_assert (parses (with ("\"" + std::string (64, 'n') + "\"", "\"p\"", "1.0"), m, error));
  ck_assert_int_eq (m.time, 1);
  ck_assert (refused (with ("\"" + std::string (65, 'n') + "\"", "\"p\"", "1")));
  ck_assert (refused (with ("7", "\"p\"", "1")));
  ck_assert (refused (with ("null", "\"p\"", "1")));
  ck_assert (refused (with ("\"A\"", "\"\"", "1")));
  ck_assert (refused (with ("\"A\"", "\"" + std::string (65, 'p') + "\"", "1")));
  ck_assert (refused (with ("\"A\"", "\"p\"", "-1")));
  ck_assert (refused (with ("\"A\"", "\"p\"", "1.5")));
  ck_assert (refused (with ("\"A\"", "\"p\"", "\"1\"")));
  ck_assert (refused (with ("\"A\"", "\"p\"", "9007199254740992")));
  ck_assert (parses (with ("\"A\"", "\"p\"", "9007199254740991"), m, error));
  /* A viewer's line has none of the three; one alone makes it a bad relayed line. */
  ck_assert (refused ("{\"t\":\"chat\",\"text\":\"x\",\"peer\":\"p\"}"));
}
END_TEST

START_TEST (test_refused)
{
  assist::Message m;
  std::string error;
  for (const char *what : assist::kRefusedWhat) {
    std::string text = assist::make_refused (what, assist::kChatRefusedMessage);
    ck_assert (parses (text, m, error));
    ck_assert (m.kind == assist::Kind::Refused);
    ck_assert_str_eq (m.what.c_str (), what);
    ck_assert_str_eq (m.message.c_str (), "The host has not allowed chat.");
  }
  ck_assert (refused ("{\"t\":\"refused\",\"what\":\"control\",\"message\":\"no\"}"));
  ck_assert (refused ("{\"t\":\"refused\",\"what\":\"chat\"}"));
  ck_assert (refused ("{\"t\":\"refused\",\"what\":\"chat\",\"message\":\"" +
                      std::string (257, 'm') + "\"}"));
  ck_assert (assist::make_refused ("control", "no").empty ());
  /* A long sentence is cut to the limit, and still parses. */
  std::string long_one = assist::make_refused ("file", std::string (300, 'm').c_str ());
  ck_assert (parses (long_one, m, error));
  ck_assert_uint_eq (m.message.size (), assist::kMaxRefusedMessageBytes);
}
END_TEST

START_TEST (test_builders)
{
  assist::Message m;
  std::string error;
  std::string hello = assist::make_chat ("hello");
  ck_assert_str_eq (hello.c_str (), "{\"t\":\"chat\",\"text\":\"hello\"}");
  ck_assert (assist::make_chat ("").empty ());
  ck_assert (assist::make_chat (std::string (4001, 'x').c_str ()).empty ());
  ck_assert (assist::make_chat ("bell\a").empty ());
  ck_assert (assist::make_host_chat ("A", "p", "\x1b[2J", 1).empty ());
  ck_assert (assist::make_host_chat ("A", "", "x", 1).empty ());

  /* A name past the limit is cut on a character boundary. */
  std::string name;
  for (int i = 0; i < 40; i++)
    name += "\xc3\xa9";
  std::string line = assist::make_host_chat (name.c_str (), assist::kHostPeer, "a\n\"quoted\"", 5);
  ck_assert (parses (line, m, error));
  ck_assert (m.kind == assist::Kind::HostChat);
  ck_assert_uint_eq (m.from.size (), 64);
  ck_assert (g_utf8_validate (m.from.c_str (), -1, nullptr));
  ck_assert_str_eq (m.peer.c_str (), "host");
  ck_assert_str_eq (m.text.c_str (), "a\n\"quoted\"");
  ck_assert_int_eq (m.time, 5);
  /* A peer id is cut as the parser counts it, in UTF-16 units: 60 ASCII
   * and five 3-byte characters are 65 units, 75 bytes (found by fuzzing). */
  std::string peer = std::string (60, 'p');
  for (int i = 0; i < 5; i++)
    peer += "\xe2\x98\x83";
  std::string relayed = assist::make_host_chat ("A", peer.c_str (), "x", 1);
  ck_assert (parses (relayed, m, error));
  ck_assert_uint_eq (m.peer.size (), 60 + 4 * 3);
  std::string cut = assist::truncate_utf8 ("\xc3\xa9\xc3\xa9", 3);
  ck_assert_str_eq (cut.c_str (), "\xc3\xa9");
}
END_TEST

static Suite *assistjson_suite ()
{
  Suite *s = suite_create ("assistjson");
  TCase *tc = tcase_create ("messages");
  tcase_add_test (tc, test_chat_text_limits);
  tcase_add_test (tc, test_chat_control_characters);
  tcase_add_test (tc, test_not_messages);
  tcase_add_test (tc, test_host_chat_fields);
  tcase_add_test (tc, test_refused);
  tcase_add_test (tc, test_builders);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (assistjson_suite ());
  srunner_run_all (sr, CK_NORMAL);
  const int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
