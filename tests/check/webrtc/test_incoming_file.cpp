/* A file a peer sends, as it lands (plugins/webrtc/gvincomingfile.h): the
 * hostile names of issue 13 land sanitised inside the folder; nothing is
 * overwritten; a partial file never has the final name; a cut transfer
 * resumes where it stopped; a damaged file is refused and removed; a full
 * disk (a small tmpfs, as root) is a clear error and leaves nothing. */
#include "gvincomingfile.h"
#include "gvsha256.h"

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>

#include <sys/mount.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace gv::webrtc;

namespace {

std::string make_dir ()
{
  gchar *d = g_dir_make_tmp ("gv-incoming-XXXXXX", nullptr);
  fail_unless (d != nullptr);
  std::string dir = d;
  g_free (d);
  return dir;
}

void remove_dir (const std::string &dir)
{
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  if (d) {
    while (const gchar *n = g_dir_read_name (d))
      g_unlink ((dir + "/" + n).c_str ());
    g_dir_close (d);
  }
  g_rmdir (dir.c_str ());
}

std::vector<std::string> list_dir (const std::string &dir)
{
  std::vector<std::string> names;
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  while (const gchar *n = g_dir_read_name (d))
    names.emplace_back (n);
  g_dir_close (d);
  return names;
}

std::string sha256 (const std::string &data)
{
  gchar *hex =
      g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data.data (), data.size ());
  std::string out = hex;
  g_free (hex);
  return out;
}

std::string pattern (gsize bytes)
{
  std::string s (bytes, '\0');
  for (gsize i = 0; i < bytes; i++)
    s[i] = (char) ((i * 131 + i / 7) & 0xff);
  return s;
}

const std::string kId = "0123456789abcdef0123456789abcdef";

/* Sends `data` in one go and finishes; the final path. */
std::string receive (const std::string &dir, const std::string &name, const std::string &data,
                     const std::string &id = kId)
{
  GError *error = nullptr;
  auto f = IncomingFile::open (dir, id, name, data.size (), sha256 (data), &error);
  fail_unless (f != nullptr, "%s", error ? error->message : "");
  fail_unless (f->write ((const guint8 *) data.data (), data.size (), &error));
  std::string path;
  fail_unless (f->finish (path, &error), "%s", error ? error->message : "");
  return path;
}

} // namespace

GST_START_TEST (test_hostile_names_land_inside_sanitised)
{
  struct Case {
    std::string offered, expected;
  };
  const std::vector<Case> cases = {
    { "../../etc/passwd", "passwd" },
    { "..\\..\\Windows\\system.ini", "system.ini" },
    { "/etc/shadow", "shadow" },
    { "..", "download" },
    { ".bashrc", "bashrc" },
    { "CON", "_CON" },
    { "con.txt", "_con.txt" },
    { "LPT1", "_LPT1" },
    { "COM9.log", "_COM9.log" },
    { "COM10", "COM10" },
    { std::string ("a\0b.txt", 7), "a\xef\xbf\xbd"
                                   "b.txt" }, /* NUL: not UTF-8 text, U+FFFD */
    { "line\nbreak\r.txt", "line_break_.txt" },
    { "invoice\u202Etxt.exe", "invoice_txt.exe" },
    { "what?<is>*this|\":", "what__is__this___" },
    { "report. ", "report" },
    { "\xff\xfe bad utf-8.txt", "\xef\xbf\xbd\xef\xbf\xbd bad utf-8.txt" },
    { "", "download" },
    { "résumé.pdf", "résumé.pdf" },
  };
  for (const Case &c : cases) {
    std::string got = safe_file_name (c.offered);
    fail_unless (got == c.expected, "'%s' -> '%s', expected '%s'", c.offered.c_str (), got.c_str (),
                 c.expected.c_str ());
  }
  /* 4,000 characters: cut to the limit, the extension kept, valid UTF-8. */
  std::string long_name;
  for (int i = 0; i < 2000; i++)
    long_name += "é";
  long_name += ".tar.gz";
  std::string cut = safe_file_name (long_name);
  fail_unless (cut.size () <= kMaxFileNameBytes);
  fail_unless (g_str_has_suffix (cut.c_str (), ".gz"));
  fail_unless (g_utf8_validate (cut.c_str (), -1, nullptr));

  /* Each lands inside the folder, under its sanitised name. */
  std::string dir = make_dir ();
  for (const std::string &offered :
       { std::string ("../../etc/passwd"), std::string ("CON"), std::string ("a\nb"), long_name }) {
    std::string path = receive (dir, offered, "x");
    gchar *parent = g_path_get_dirname (path.c_str ());
    fail_unless (dir == parent, "%s is outside %s", path.c_str (), dir.c_str ());
    g_free (parent);
  }
  fail_unless_equals_int (list_dir (dir).size (), 4);
  remove_dir (dir);
}
GST_END_TEST;

GST_START_TEST (test_never_overwrites)
{
  std::string dir = make_dir ();
  fail_unless (g_file_set_contents ((dir + "/notes.txt").c_str (), "mine", -1, nullptr));
  std::string first = receive (dir, "notes.txt", "theirs 1");
  std::string second = receive (dir, "notes.txt", "theirs 2");
  fail_unless (first == dir + "/notes (1).txt", "%s", first.c_str ());
  fail_unless (second == dir + "/notes (2).txt", "%s", second.c_str ());
  gchar *mine = nullptr;
  fail_unless (g_file_get_contents ((dir + "/notes.txt").c_str (), &mine, nullptr, nullptr));
  fail_unless_equals_string (mine, "mine");
  g_free (mine);
  remove_dir (dir);
}
GST_END_TEST;

GST_START_TEST (test_partial_hidden_then_resumed)
{
  std::string dir = make_dir ();
  const std::string data = pattern (300 * 1024);
  GError *error = nullptr;
  {
    auto f = IncomingFile::open (dir, kId, "big.bin", data.size (), sha256 (data), &error);
    fail_unless (f != nullptr);
    fail_unless (f->write ((const guint8 *) data.data (), 100 * 1024, &error));
    /* Under way: no file has the final name. */
    std::vector<std::string> names = list_dir (dir);
    fail_unless_equals_int (names.size (), 1);
    fail_unless (g_str_has_prefix (names[0].c_str (), ".ghostview-"));
    fail_unless (g_str_has_suffix (names[0].c_str (), ".part"));
  } /* the connection is lost: the partial stays */
  auto again = IncomingFile::open (dir, kId, "big.bin", data.size (), sha256 (data), &error);
  fail_unless (again != nullptr);
  fail_unless_equals_uint64 (again->offset (), 100 * 1024);
  fail_unless (again->write ((const guint8 *) data.data () + again->offset (),
                             data.size () - again->offset (), &error));
  std::string path;
  fail_unless (again->finish (path, &error), "%s", error ? error->message : "");
  gchar *contents = nullptr;
  gsize length = 0;
  fail_unless (g_file_get_contents (path.c_str (), &contents, &length, nullptr));
  fail_unless (std::string (contents, length) == data);
  g_free (contents);
  fail_unless_equals_int (list_dir (dir).size (), 1); /* the partial is gone */
  remove_dir (dir);
}
GST_END_TEST;

/* The streaming hash (OpenSSL's or GLib's) gives the standard answers,
 * whatever the pieces it is fed in, and the same hex after it is over. */
GST_START_TEST (test_sha256_answers)
{
  Sha256 empty;
  const std::string none = empty.hex ();
  fail_unless_equals_string (none.c_str (),
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update ((const guint8 *) "abc", 3);
  const std::string three = abc.hex ();
  fail_unless_equals_string (three.c_str (),
                             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string data = pattern (1024 * 1024 + 7);
  const std::string expected = sha256 (data);
  Sha256 pieces;
  for (gsize at = 0, n = 1; at < data.size (); at += n, n = n * 3 + 1)
    pieces.update ((const guint8 *) data.data () + at, std::min (n, data.size () - at));
  const std::string whole = pieces.hex ();
  fail_unless_equals_string (whole.c_str (), expected.c_str ());
  pieces.update ((const guint8 *) "more", 4);
  const std::string again = pieces.hex ();
  fail_unless_equals_string (again.c_str (), whole.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_damaged_or_oversized_refused)
{
  std::string dir = make_dir ();
  GError *error = nullptr;
  const std::string data = pattern (4096);
  auto f = IncomingFile::open (dir, kId, "x.bin", data.size (), sha256 ("something else"), &error);
  fail_unless (f->write ((const guint8 *) data.data (), data.size (), &error));
  std::string path;
  fail_if (f->finish (path, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  fail_unless (strstr (error->message, "damaged"));
  g_clear_error (&error);
  fail_unless_equals_int (list_dir (dir).size (), 0); /* nothing kept */

  auto g = IncomingFile::open (dir, "fedcba9876543210", "y.bin", 10, sha256 ("0123456789"), &error);
  fail_if (g->write ((const guint8 *) "0123456789A", 11, &error));
  g_clear_error (&error);
  fail_if (g->finish (path, &error)); /* nothing written yet: incomplete */
  g_clear_error (&error);
  g->abort ();

  /* Malformed ids and hashes. */
  fail_unless (IncomingFile::open (dir, "../x", "z", 1, sha256 ("z"), &error) == nullptr);
  g_clear_error (&error);
  fail_unless (IncomingFile::open (dir, "ABCDEF0123456789", "z", 1, sha256 ("z"), &error) ==
               nullptr);
  g_clear_error (&error);
  fail_unless (IncomingFile::open (dir, kId, "z", 1, "abc", &error) == nullptr);
  g_clear_error (&error);
  fail_unless_equals_int (list_dir (dir).size (), 0);
  remove_dir (dir);
}
GST_END_TEST;

GST_START_TEST (test_disk_full_is_clear_and_leaves_nothing)
{
  if (geteuid () != 0) {
    g_print ("SKIP (this case): mounting a small tmpfs needs root\n");
    return;
  }
  std::string dir = make_dir ();
  if (mount ("gv-incoming", dir.c_str (), "tmpfs", 0, "size=256k") != 0) {
    g_print ("SKIP (this case): cannot mount a tmpfs here (%s)\n", g_strerror (errno));
    remove_dir (dir);
    return;
  }
  /* 1 MiB offered to a 256 KiB filesystem: refused at once, nothing made. */
  const std::string data = pattern (1024 * 1024);
  GError *error = nullptr;
  auto f = IncomingFile::open (dir, kId, "too-big.bin", data.size (), sha256 (data), &error);
  fail_unless (f == nullptr, "1 MiB accepted into a 256 KiB filesystem");
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE), "%s", error->message);
  fail_unless (strstr (error->message, "the disk is full"), "%s", error->message);
  fail_unless (strstr (error->message, "MiB free"), "%s", error->message);
  g_clear_error (&error);
  fail_unless_equals_int (list_dir (dir).size (), 0);

  /* 160 KiB fits when offered; something else then takes the space: the
   * writes fail clearly and abort () leaves only that other file. */
  const std::string fits = pattern (160 * 1024);
  f = IncomingFile::open (dir, kId, "fits.bin", fits.size (), sha256 (fits), &error);
  fail_unless (f != nullptr, "%s", error ? error->message : "");
  const std::string filler_path = dir + "/filler";
  const std::string filler = pattern (160 * 1024);
  g_file_set_contents (filler_path.c_str (), filler.data (), (gssize) filler.size (), nullptr);
  bool ok = true;
  for (gsize at = 0; ok && at < fits.size (); at += 16 * 1024)
    ok = f->write ((const guint8 *) fits.data () + at, 16 * 1024, &error);
  fail_if (ok, "320 KiB fitted into a 256 KiB filesystem");
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE), "%s", error->message);
  fail_unless (strstr (error->message, "the disk is full"));
  g_clear_error (&error);
  f->abort ();
  g_unlink (filler_path.c_str ());
  fail_unless_equals_int (list_dir (dir).size (), 0);
  umount (dir.c_str ());
  remove_dir (dir);
}
GST_END_TEST;

static Suite *incoming_file_suite (void)
{
  Suite *s = suite_create ("incoming-file");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_hostile_names_land_inside_sanitised);
  tcase_add_test (tc, test_never_overwrites);
  tcase_add_test (tc, test_partial_hidden_then_resumed);
  tcase_add_test (tc, test_sha256_answers);
  tcase_add_test (tc, test_damaged_or_oversized_refused);
  tcase_add_test (tc, test_disk_full_is_clear_and_leaves_nothing);
  return s;
}

GST_CHECK_MAIN (incoming_file);
