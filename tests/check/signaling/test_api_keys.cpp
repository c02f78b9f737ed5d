/* The REST API's keys: what a key file may hold, and what a request with
 * an Authorization header is told. */
#include "api_keys.h"

#include "gv_check.h"

#include <glib/gstdio.h>

#include <string>

using namespace gv::signaling;
using Result = ApiKeyCheck::Result;

namespace {

constexpr gint64 kSecond = G_USEC_PER_SEC;

std::string sha256_hex (const std::string &key)
{
  gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key.c_str (), -1);
  std::string s = hex;
  g_free (hex);
  return s;
}

std::string upper (const std::string &s)
{
  gchar *u = g_ascii_strup (s.c_str (), -1);
  std::string out = u;
  g_free (u);
  return out;
}

std::string bearer (const std::string &key)
{
  return "Bearer " + key;
}

/* A file with one key per scope. */
std::string three_keys ()
{
  return "reader read " + sha256_hex ("reader-key") + "\n" + "writer write " +
         sha256_hex ("writer-key") + "\n" + "boss admin " + sha256_hex ("boss-key") + "\n";
}

Result result_of (ApiKeys &keys, const char *authorization, guint scope, gint64 now_us = 0)
{
  return keys.check (authorization, scope, now_us).result;
}

Result result_of (ApiKeys &keys, const std::string &authorization, guint scope, gint64 now_us = 0)
{
  return result_of (keys, authorization.c_str (), scope, now_us);
}

/* The error for `text`, which must be refused. */
std::string refusal (const std::string &text)
{
  ApiKeys keys;
  std::string error;
  ck_assert_msg (!keys.load_text (text, error), "accepted: %s", text.c_str ());
  ck_assert (keys.empty ());
  return error;
}

void assert_starts_with (const std::string &s, const std::string &prefix)
{
  ck_assert_msg (s.compare (0, prefix.size (), prefix) == 0, "\"%s\" does not start with \"%s\"",
                 s.c_str (), prefix.c_str ());
}

void assert_contains (const std::string &s, const std::string &part)
{
  ck_assert_msg (s.find (part) != std::string::npos, "\"%s\" does not contain \"%s\"", s.c_str (),
                 part.c_str ());
}

} // namespace

START_TEST (test_scopes_parsed)
{
  guint scopes = 0;
  ck_assert (parse_api_scopes ("read", scopes));
  ck_assert_uint_eq (scopes, kScopeRead);
  ck_assert (parse_api_scopes ("write", scopes));
  ck_assert_uint_eq (scopes, kScopeWrite); /* write does not imply read */
  ck_assert (parse_api_scopes ("read,write", scopes));
  ck_assert_uint_eq (scopes, kScopeRead | kScopeWrite);
  ck_assert (parse_api_scopes ("admin", scopes));
  ck_assert_uint_eq (scopes, kScopeRead | kScopeWrite | kScopeAdmin);
  ck_assert (parse_api_scopes ("write,read,write", scopes));
  ck_assert_uint_eq (scopes, kScopeRead | kScopeWrite);

  const char *bad[] = { "",     ",",    "read,",      ",read",      "read,,write", "Read",
                        "READ", "root", "read write", "read;write", "admin " };
  for (const char *text : bad) {
    scopes = 99;
    ck_assert_msg (!parse_api_scopes (text, scopes), "accepted: \"%s\"", text);
    ck_assert_uint_eq (scopes, 99); /* untouched */
  }

  GV_ASSERT_STR_EQ (api_scope_names (kScopeRead | kScopeAdmin), "read, admin");
  GV_ASSERT_STR_EQ (api_scope_names (kScopeWrite), "write");
}
END_TEST

START_TEST (test_good_file_loaded)
{
  /* Comments, blank lines, tabs, runs of blanks, CRLF, upper-case hex. */
  std::string text = "# GhostView API keys\n"
                     "\n"
                     "   \t \n"
                     "  # indented comment\n"
                     "reader\tread\t" +
                     sha256_hex ("reader-key") +
                     "\n"
                     "  ci-job.2_x   read,write  \t" +
                     upper (sha256_hex ("ci-key")) +
                     "  \r\n"
                     "boss admin " +
                     sha256_hex ("boss-key"); /* no final newline */
  ApiKeys keys;
  std::string error;
  ck_assert_msg (keys.load_text (text, error), "refused: %s", error.c_str ());
  ck_assert_uint_eq (keys.size (), 3);
  ck_assert (!keys.empty ());

  ApiKeyCheck c = keys.check (bearer ("ci-key").c_str (), kScopeRead | kScopeWrite, 0);
  ck_assert (c.result == Result::Ok);
  GV_ASSERT_STR_EQ (c.name, "ci-job.2_x");
  ck_assert (c.message.empty ());
  c = keys.check (bearer ("reader-key").c_str (), kScopeRead, 0);
  ck_assert (c.result == Result::Ok);
  GV_ASSERT_STR_EQ (c.name, "reader");
  ck_assert (result_of (keys, bearer ("boss-key"), kScopeAdmin) == Result::Ok);

  /* A name of 64 characters is the longest. */
  std::string longest (64, 'n');
  ck_assert (keys.load_text (longest + " read " + sha256_hex ("k"), error));
  ck_assert (keys.check (bearer ("k").c_str (), kScopeRead, 0).name == longest);

  /* Nothing but comments: valid, and no key is accepted. */
  ck_assert (keys.load_text ("# all keys revoked\n", error));
  ck_assert (keys.empty ());
  ck_assert (result_of (keys, bearer ("boss-key"), kScopeRead) == Result::Unknown);
  ck_assert (keys.load_text ("", error));
  ck_assert_uint_eq (keys.size (), 0);
}
END_TEST

START_TEST (test_bad_lines_refused)
{
  const std::string hash = sha256_hex ("key");
  const std::string head = "# keys\n\nfirst read " + sha256_hex ("first") + "\n"; /* 3 lines */

  /* Wrong number of fields. */
  std::string e = refusal (head + "name read\n");
  assert_starts_with (e, "line 4: ");
  assert_contains (e, "2 fields");
  assert_starts_with (refusal ("a read " + hash + " extra\n"), "line 1: ");
  assert_starts_with (refusal (head + "lonely\n"), "line 4: ");

  /* Names. */
  assert_starts_with (refusal (head + std::string (65, 'n') + " read " + hash), "line 4: ");
  assert_starts_with (refusal (head + "bad/name read " + hash), "line 4: ");
  assert_starts_with (refusal (head + "bad:name read " + hash), "line 4: ");
  assert_starts_with (refusal (head + "caf\xc3\xa9 read " + hash), "line 4: ");
  e = refusal (head + "\n\nsp@ce read " + hash);
  assert_starts_with (e, "line 6: ");
  assert_contains (e, "name");

  /* Scopes. */
  e = refusal (head + "name root " + hash);
  assert_starts_with (e, "line 4: ");
  assert_contains (e, "scopes");
  assert_starts_with (refusal (head + "name read, " + hash), "line 4: ");
  assert_starts_with (refusal (head + "name Read " + hash), "line 4: ");

  /* Hashes: 64 hex digits, never echoed (it may be a key pasted there). */
  e = refusal (head + "name read " + hash.substr (1));
  assert_starts_with (e, "line 4: ");
  assert_contains (e, "64 hex digits");
  ck_assert (e.find (hash.substr (1)) == std::string::npos);
  assert_starts_with (refusal (head + "name read " + hash + "0"), "line 4: ");
  assert_starts_with (refusal (head + "name read g" + hash.substr (1)), "line 4: ");
  e = refusal (head + "name read my-secret-api-key");
  assert_starts_with (e, "line 4: ");
  ck_assert (e.find ("my-secret-api-key") == std::string::npos);

  /* Duplicates: a name, a hash (in either case). */
  e = refusal (head + "first write " + hash);
  assert_starts_with (e, "line 4: ");
  assert_contains (e, "line 3");
  e = refusal (head + "second read " + sha256_hex ("first"));
  assert_starts_with (e, "line 4: ");
  assert_contains (e, "line 3");
  assert_starts_with (refusal (head + "second read " + upper (sha256_hex ("first"))), "line 4: ");

  /* Line numbers count CRLF lines too. */
  assert_starts_with (refusal ("# a\r\n\r\nx read\r\n"), "line 3: ");
}
END_TEST

START_TEST (test_reload)
{
  ApiKeys keys;
  std::string error;
  ck_assert (keys.load_text (three_keys (), error));

  /* A bad file changes nothing. */
  ck_assert (!keys.load_text ("reader read " + sha256_hex ("new") + "\nbroken\n", error));
  assert_starts_with (error, "line 2: ");
  ck_assert_uint_eq (keys.size (), 3);
  ck_assert (result_of (keys, bearer ("reader-key"), kScopeRead) == Result::Ok);
  ck_assert (result_of (keys, bearer ("new"), kScopeRead) == Result::Unknown);

  /* A good one replaces the keys: a removed key is unknown, a changed hash
   * is the new key's, new scopes apply. */
  ck_assert (keys.load_text ("reader read,write " + sha256_hex ("rotated") + "\n", error));
  ck_assert_uint_eq (keys.size (), 1);
  ck_assert (result_of (keys, bearer ("reader-key"), kScopeRead) == Result::Unknown);
  ck_assert (result_of (keys, bearer ("boss-key"), kScopeRead) == Result::Unknown);
  ck_assert (result_of (keys, bearer ("rotated"), kScopeWrite) == Result::Ok);
}
END_TEST

START_TEST (test_check_results)
{
  ApiKeys keys;
  std::string error;
  ck_assert (keys.load_text (three_keys (), error));

  /* No header, another scheme, no token: Missing, with a sentence. */
  ApiKeyCheck c = keys.check (nullptr, kScopeRead, 0);
  ck_assert (c.result == Result::Missing);
  ck_assert (c.name.empty ());
  assert_contains (c.message, "Bearer");
  c = keys.check ("Basic eHl6OnBhc3M=", kScopeRead, 0);
  ck_assert (c.result == Result::Missing);
  ck_assert (!c.message.empty ());
  const char *malformed[] = { "",
                              "Bearer",
                              "Bearer ",
                              "Bearer   ",
                              "Bearerx",
                              "Bearerreader-key",
                              "Bearer\treader-key",
                              "Bearer a b",
                              "xBearer reader-key",
                              "Bearer r\xc3\xa9" };
  for (const char *header : malformed)
    ck_assert_msg (result_of (keys, header, kScopeRead) == Result::Missing, "not Missing: \"%s\"",
                   header);
  /* A token is 1 to 512 bytes. */
  ck_assert (result_of (keys, bearer (std::string (512, 'k')), kScopeRead) == Result::Unknown);
  ck_assert (result_of (keys, bearer (std::string (513, 'k')), kScopeRead) == Result::Missing);
  ck_assert (result_of (keys, bearer ("x"), kScopeRead) == Result::Unknown);

  /* Unknown: a key no hash matches, the hash itself, a near miss. */
  c = keys.check (bearer ("nobody-key").c_str (), kScopeRead, 0);
  ck_assert (c.result == Result::Unknown);
  ck_assert (c.name.empty ());
  ck_assert (!c.message.empty ());
  ck_assert (result_of (keys, bearer (sha256_hex ("reader-key")), kScopeRead) == Result::Unknown);
  ck_assert (result_of (keys, bearer ("reader-ke"), kScopeRead) == Result::Unknown);
  ck_assert (result_of (keys, bearer ("reader-keyy"), kScopeRead) == Result::Unknown);
  ck_assert (result_of (keys, bearer ("READER-KEY"), kScopeRead) == Result::Unknown);

  /* The scheme in any case, and more than one space. */
  ck_assert (result_of (keys, "bearer reader-key", kScopeRead) == Result::Ok);
  ck_assert (result_of (keys, "BEARER reader-key", kScopeRead) == Result::Ok);
  ck_assert (result_of (keys, "bEaReR   reader-key", kScopeRead) == Result::Ok);

  /* Scopes: the message names what is missing. write does not imply read. */
  c = keys.check (bearer ("reader-key").c_str (), kScopeWrite, 0);
  ck_assert (c.result == Result::Forbidden);
  GV_ASSERT_STR_EQ (c.name, "reader");
  assert_contains (c.message, "write");
  assert_contains (c.message, "reader");
  c = keys.check (bearer ("writer-key").c_str (), kScopeRead, 0);
  ck_assert (c.result == Result::Forbidden);
  assert_contains (c.message, "read");
  ck_assert (result_of (keys, bearer ("writer-key"), kScopeWrite) == Result::Ok);
  c = keys.check (bearer ("writer-key").c_str (), kScopeAdmin, 0);
  ck_assert (c.result == Result::Forbidden);
  assert_contains (c.message, "admin");
  c = keys.check (bearer ("reader-key").c_str (), kScopeRead | kScopeWrite | kScopeAdmin, 0);
  ck_assert (c.result == Result::Forbidden);
  assert_contains (c.message, "write, admin");

  /* admin has every scope. */
  for (guint scope : { (guint) kScopeRead, (guint) kScopeWrite, (guint) kScopeAdmin, kScopeAll }) {
    c = keys.check (bearer ("boss-key").c_str (), scope, 0);
    ck_assert_msg (c.result == Result::Ok, "admin refused scope %u", scope);
    GV_ASSERT_STR_EQ (c.name, "boss");
  }
}
END_TEST

START_TEST (test_upper_case_hash)
{
  ApiKeys keys;
  std::string error;
  std::string hex = upper (sha256_hex ("shouting-key"));
  ck_assert (hex.find_first_of ("ABCDEF") != std::string::npos);
  ck_assert (keys.load_text ("loud read " + hex + "\n", error));
  ck_assert (result_of (keys, bearer ("shouting-key"), kScopeRead) == Result::Ok);
  /* Mixed case too. */
  hex[0] = g_ascii_tolower (hex[0]);
  hex[63] = g_ascii_tolower (hex[63]);
  ck_assert (keys.load_text ("loud read " + hex + "\n", error));
  ck_assert (result_of (keys, bearer ("shouting-key"), kScopeRead) == Result::Ok);
}
END_TEST

START_TEST (test_rate_limited_per_key)
{
  ApiKeys keys;
  std::string error;
  ck_assert (keys.load_text (three_keys (), error));
  const std::string reader = bearer ("reader-key");
  const gint64 t0 = 1000 * kSecond;

  /* 60 at once, then refused. */
  for (int i = 0; i < 60; i++)
    ck_assert_msg (result_of (keys, reader, kScopeRead, t0) == Result::Ok, "call %d refused", i);
  ApiKeyCheck c = keys.check (reader.c_str (), kScopeRead, t0);
  ck_assert (c.result == Result::RateLimited);
  GV_ASSERT_STR_EQ (c.name, "reader");
  ck_assert (!c.message.empty ());
  ck_assert (result_of (keys, reader, kScopeRead, t0 + kSecond / 20) == Result::RateLimited);

  /* Each key has its own bucket. */
  ck_assert (result_of (keys, bearer ("boss-key"), kScopeRead, t0) == Result::Ok);

  /* 10 a second: one more after 0.1 s, and only one. A call refused for
   * its scope does not spend it. */
  ck_assert (result_of (keys, reader, kScopeWrite, t0 + kSecond / 10) == Result::Forbidden);
  ck_assert (result_of (keys, reader, kScopeRead, t0 + kSecond / 10) == Result::Ok);
  ck_assert (result_of (keys, reader, kScopeRead, t0 + kSecond / 10) == Result::RateLimited);

  /* A reload keeps the bucket of a name that stays, and the new key of a
   * new name starts full. */
  ck_assert (keys.load_text (three_keys () + "fresh read " + sha256_hex ("fresh-key"), error));
  ck_assert (result_of (keys, reader, kScopeRead, t0 + kSecond / 10) == Result::RateLimited);
  for (int i = 0; i < 60; i++)
    ck_assert (result_of (keys, bearer ("fresh-key"), kScopeRead, t0) == Result::Ok);

  /* After 6 s the bucket is full again: 60, no more. */
  const gint64 later = t0 + kSecond / 10 + 6 * kSecond;
  for (int i = 0; i < 60; i++)
    ck_assert_msg (result_of (keys, reader, kScopeRead, later) == Result::Ok, "call %d refused", i);
  ck_assert (result_of (keys, reader, kScopeRead, later) == Result::RateLimited);
}
END_TEST

START_TEST (test_load_file)
{
  gchar *dir = g_dir_make_tmp ("gv-api-keys-XXXXXX", nullptr);
  ck_assert (dir);
  gchar *path = g_build_filename (dir, "keys", nullptr);
  ApiKeys keys;
  std::string error;

  /* Not there: the error names the file. */
  ck_assert (!keys.load_file (path, error));
  assert_starts_with (error, std::string (path) + ": ");

  std::string text = three_keys ();
  ck_assert (g_file_set_contents (path, text.c_str (), (gssize) text.size (), nullptr));
  ck_assert_msg (keys.load_file (path, error), "refused: %s", error.c_str ());
  ck_assert_uint_eq (keys.size (), 3);
  ck_assert (result_of (keys, bearer ("writer-key"), kScopeWrite) == Result::Ok);

  /* A bad line: path, then line. The keys stay. */
  text = "# x\nbad line\n";
  ck_assert (g_file_set_contents (path, text.c_str (), (gssize) text.size (), nullptr));
  ck_assert (!keys.load_file (path, error));
  assert_starts_with (error, std::string (path) + ": line 2: ");
  ck_assert_uint_eq (keys.size (), 3);

  /* At most 1 MiB, even of comments. */
  text = "#" + std::string (1024 * 1024, ' ') + "\n";
  ck_assert (g_file_set_contents (path, text.c_str (), (gssize) text.size (), nullptr));
  ck_assert (!keys.load_file (path, error));
  assert_starts_with (error, std::string (path) + ": ");
  assert_contains (error, "larger");
  ck_assert_uint_eq (keys.size (), 3);
  text.resize (1024 * 1024 - 1);
  text += "\n";
  ck_assert (g_file_set_contents (path, text.c_str (), (gssize) text.size (), nullptr));
  ck_assert_msg (keys.load_file (path, error), "refused: %s", error.c_str ());
  ck_assert (keys.empty ());

  /* A directory is not a key file. */
  ck_assert (!keys.load_file (dir, error));
  assert_starts_with (error, std::string (dir) + ": ");

  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}
END_TEST

static Suite *api_keys_suite ()
{
  Suite *s = suite_create ("api-keys");
  TCase *tc = tcase_create ("api-keys");
  tcase_add_test (tc, test_scopes_parsed);
  tcase_add_test (tc, test_good_file_loaded);
  tcase_add_test (tc, test_bad_lines_refused);
  tcase_add_test (tc, test_reload);
  tcase_add_test (tc, test_check_results);
  tcase_add_test (tc, test_upper_case_hash);
  tcase_add_test (tc, test_rate_limited_per_key);
  tcase_add_test (tc, test_load_file);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (api_keys_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
