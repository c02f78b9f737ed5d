/* Two ends of a file-transfer channel (plugins/webrtc/gvfiletransfer.h)
 * joined by an in-process channel that keeps order and counts what it
 * holds (the data channel's buffered amount): 50 MiB each way with the
 * SHA-256 checked and the sender held back by backpressure; a transfer cut
 * by a lost connection resumes where it stopped; refusals (no capability,
 * too large, busy), cancel, a damaged file, chunks out of order and a full
 * disk each end the transfer on both sides with their code and leave
 * nothing behind. */
#include "gvfiletransfer.h"

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>

#include <sys/mount.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

using namespace gv::webrtc;

namespace {

/* One direction of the channel. */
struct Pipe {
  struct Item {
    bool binary;
    std::string text;
    std::vector<guint8> bytes;
  };
  std::deque<Item> items;
  guint64 held = 0, most_held = 0;
  /* Applied to binary items on their way (a damaged link, say). */
  std::function<void (std::vector<guint8> &)> tamper;
  void push_text (const std::string &t) { items.push_back ({ false, t, {} }); }
  void push_bytes (const std::vector<guint8> &b)
  {
    items.push_back ({ true, "", b });
    held += b.size ();
    most_held = MAX (most_held, held);
  }
};

struct Side {
  std::string dir;
  bool may_receive = true;
  std::vector<FileEvent> events;
  std::unique_ptr<FileEndpoint> end;

  const FileEvent *last (FileEvent::Direction d) const
  {
    for (auto it = events.rbegin (); it != events.rend (); ++it)
      if (it->direction == d)
        return &*it;
    return nullptr;
  }
};

struct Link {
  Pipe ab, ba; /* a -> b, b -> a */
  Side a, b;
  FileLimits limits;

  void connect ()
  {
    a.end = make (a, ab);
    b.end = make (b, ba);
  }

  std::unique_ptr<FileEndpoint> make (Side &side, Pipe &out)
  {
    FileEndpoint::Callbacks cb;
    cb.send_text = [&out] (const std::string &t) { out.push_text (t); };
    cb.send_binary = [&out] (const std::vector<guint8> &bytes) { out.push_bytes (bytes); };
    cb.buffered_amount = [&out] () { return out.held; };
    cb.may_receive = [&side] () { return side.may_receive; };
    cb.event = [&side] (const FileEvent &e) { side.events.push_back (e); };
    return std::make_unique<FileEndpoint> (side.dir, limits, std::move (cb));
  }

  /* Delivers one item of `p` to `to`; the sender pumps when it drained. */
  static bool step (Pipe &p, Side &to, Side &from)
  {
    if (p.items.empty ())
      return false;
    Pipe::Item item = std::move (p.items.front ());
    p.items.pop_front ();
    if (item.binary) {
      p.held -= item.bytes.size ();
      if (p.tamper)
        p.tamper (item.bytes);
      to.end->on_binary (item.bytes.data (), item.bytes.size ());
    } else {
      to.end->on_text (item.text.data (), item.text.size ());
    }
    if (p.held < FileEndpoint::kHighWater / 2) /* "on-buffered-amount-low" */
      from.end->pump ();
    return true;
  }

  /* Runs until both directions are empty, or `limit` items. */
  void run (guint64 limit = G_MAXUINT64)
  {
    for (guint64 n = 0; n < limit; n++)
      if (!step (ab, b, a) && !step (ba, a, b))
        return;
  }
};

std::string make_dir ()
{
  gchar *d = g_dir_make_tmp ("gv-transfer-XXXXXX", nullptr);
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

int count_files (const std::string &dir)
{
  int n = 0;
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  while (d && g_dir_read_name (d))
    n++;
  if (d)
    g_dir_close (d);
  return n;
}

/* A file of `bytes` pseudo-random bytes in `dir`; its path. */
std::string make_file (const std::string &dir, const std::string &name, gsize bytes)
{
  std::string data (bytes, '\0');
  guint32 x = 2463534242u;
  for (gsize i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = (char) x;
  }
  std::string path = dir + "/" + name;
  fail_unless (g_file_set_contents (path.c_str (), data.data (), data.size (), nullptr));
  return path;
}

std::string sha256_of (const std::string &path)
{
  gchar *contents = nullptr;
  gsize length = 0;
  fail_unless (g_file_get_contents (path.c_str (), &contents, &length, nullptr));
  gchar *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  std::string out = hex;
  g_free (hex);
  g_free (contents);
  return out;
}

struct Dirs {
  std::string src = make_dir (), a = make_dir (), b = make_dir ();
  ~Dirs ()
  {
    remove_dir (src);
    remove_dir (a);
    remove_dir (b);
  }
};

} // namespace

GST_START_TEST (test_50_mib_both_ways)
{
  Dirs dirs;
  Link link;
  link.a.dir = dirs.a;
  link.b.dir = dirs.b;
  link.connect ();
  const gsize size = 50 * 1024 * 1024;
  std::string to_b = make_file (dirs.src, "to-b.bin", size);
  std::string to_a = make_file (dirs.src, "to-a.bin", size - 12345);
  GError *error = nullptr;
  fail_unless (link.a.end->offer (to_b, "", &error));
  fail_unless (link.b.end->offer (to_a, "", &error));
  link.run ();

  const FileEvent *got_b = link.b.last (FileEvent::Direction::Incoming);
  const FileEvent *got_a = link.a.last (FileEvent::Direction::Incoming);
  fail_unless (got_b && got_b->state == FileEvent::State::Done);
  fail_unless (got_a && got_a->state == FileEvent::State::Done);
  fail_unless (sha256_of (got_b->name) == sha256_of (to_b));
  fail_unless (sha256_of (got_a->name) == sha256_of (to_a));
  /* The senders heard "done", and progress on the way. */
  fail_unless (link.a.last (FileEvent::Direction::Outgoing)->state == FileEvent::State::Done);
  fail_unless (link.b.last (FileEvent::Direction::Outgoing)->state == FileEvent::State::Done);
  int progress = 0;
  for (const FileEvent &e : link.a.events)
    progress +=
        e.direction == FileEvent::Direction::Outgoing && e.state == FileEvent::State::Progress;
  fail_unless (progress >= 40, "%d progress reports for 50 MiB", progress);
  /* Backpressure: never much more than the high-water mark in flight. */
  fail_unless (link.ab.most_held <= FileEndpoint::kHighWater + 64 * 1024, "%" G_GUINT64_FORMAT,
               link.ab.most_held);
  fail_unless_equals_int (count_files (dirs.b), 1);
}
GST_END_TEST;

GST_START_TEST (test_resume_after_lost_connection)
{
  Dirs dirs;
  Link link;
  link.b.dir = dirs.b;
  link.a.dir = dirs.a;
  link.connect ();
  std::string file = make_file (dirs.src, "big.bin", 3 * 1024 * 1024 + 17);
  GError *error = nullptr;
  fail_unless (link.a.end->offer (file, "", &error));
  const std::string id = link.a.last (FileEvent::Direction::Outgoing)->id;
  link.run (20); /* part of it, then the connection is gone */
  guint64 before = link.b.last (FileEvent::Direction::Incoming)->bytes;
  link.ab.items.clear ();
  link.ab.held = 0;
  link.ba.items.clear ();
  link.a.end.reset ();
  link.b.end.reset ();
  fail_unless_equals_int (count_files (dirs.b), 1); /* the partial, hidden */

  link.connect ();
  /* Offered again as a person would (no id given): the same file has the
   * same id, the one web/js/files.js gives it too. */
  fail_unless (link.a.end->offer (file, "", &error));
  fail_unless_equals_string (link.a.last (FileEvent::Direction::Outgoing)->id.c_str (),
                             id.c_str ());
  const std::string id_text =
      sha256_of (file) + ":" + std::to_string (3 * 1024 * 1024 + 17) + ":big.bin";
  gchar *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id_text.c_str (), -1);
  const std::string expected (digest, 32);
  g_free (digest);
  fail_unless_equals_string (id.c_str (), expected.c_str ());
  link.run ();
  const FileEvent *done = link.b.last (FileEvent::Direction::Incoming);
  fail_unless (done->state == FileEvent::State::Done);
  fail_unless (sha256_of (done->name) == sha256_of (file));
  /* It went on from where it stopped, not from the start. */
  guint64 resumed_at = 0;
  for (const FileEvent &e : link.a.events)
    if (e.state == FileEvent::State::Accepted)
      resumed_at = e.bytes;
  fail_unless (resumed_at > 0 && resumed_at >= before, "resumed at %" G_GUINT64_FORMAT, resumed_at);
  fail_unless_equals_int (count_files (dirs.b), 1);
}
GST_END_TEST;

/* A host file whose name is not UTF-8 (Linux names are bytes): offered
 * under a name the receiver can read, and received, not dropped unanswered. */
GST_START_TEST (test_name_not_utf8)
{
  Dirs dirs;
  Link link;
  link.a.dir = dirs.a;
  link.b.dir = dirs.b;
  link.connect ();
  GError *error = nullptr;
  fail_unless (link.a.end->offer (make_file (dirs.src, "caf\xe9 \xff.txt", 1000), "", &error));
  link.run ();
  const FileEvent *done = link.b.last (FileEvent::Direction::Incoming);
  fail_unless (done && done->state == FileEvent::State::Done);
  gchar *saved = g_path_get_basename (done->name.c_str ());
  fail_unless (g_utf8_validate (saved, -1, nullptr), "saved as %s", saved);
  fail_unless (g_str_has_prefix (saved, "caf") && g_str_has_suffix (saved, ".txt"), "saved as %s",
               saved);
  g_free (saved);
  fail_unless (link.a.last (FileEvent::Direction::Outgoing)->state == FileEvent::State::Done);
}
GST_END_TEST;

GST_START_TEST (test_refusals_and_cancel)
{
  Dirs dirs;
  Link link;
  link.a.dir = dirs.a;
  link.b.dir = dirs.b;
  link.limits.max_file_bytes = 1024 * 1024;
  link.connect ();
  GError *error = nullptr;

  /* No capability: refused with the sentence, counted, nothing written. */
  link.b.may_receive = false;
  fail_unless (link.a.end->offer (make_file (dirs.src, "x.txt", 100), "", &error));
  link.run ();
  const FileEvent *refused = link.a.last (FileEvent::Direction::Outgoing);
  fail_unless (refused->state == FileEvent::State::Failed);
  fail_unless_equals_string (refused->code.c_str (), "NOT_ALLOWED");
  fail_unless (refused->message.find ("not allowed") != std::string::npos);
  fail_unless_equals_uint64 (link.b.end->refused (), 1);
  fail_unless_equals_int (count_files (dirs.b), 0);
  link.b.may_receive = true;

  /* Over the receiver's limit: the sender's own limit is higher. */
  link.a.end.reset ();
  FileLimits big;
  big.max_file_bytes = 8 * 1024 * 1024;
  std::swap (link.limits, big);
  link.a.end = link.make (link.a, link.ab);
  std::swap (link.limits, big);
  fail_unless (link.a.end->offer (make_file (dirs.src, "big.bin", 2 * 1024 * 1024), "", &error));
  link.run ();
  fail_unless_equals_string (link.a.last (FileEvent::Direction::Outgoing)->code.c_str (),
                             "TOO_LARGE");
  fail_unless_equals_int (count_files (dirs.b), 0);

  /* Cancelled by the sender half way (more than the channel holds at
   * once): the receiver drops its partial. */
  link.limits = FileLimits ();
  link.b.end = link.make (link.b, link.ba);
  fail_unless (link.a.end->offer (make_file (dirs.src, "half.bin", 4 * 1024 * 1024), "", &error));
  link.run (20);
  fail_unless (link.b.end->receiving ());
  link.a.end->cancel_all ("the host stopped it");
  link.run ();
  const FileEvent *cancelled = link.b.last (FileEvent::Direction::Incoming);
  fail_unless_equals_string (cancelled->code.c_str (), "CANCELLED");
  fail_unless_equals_int (count_files (dirs.b), 0);

  /* A second offer while one is under way, from the same end: refused locally. */
  fail_unless (link.a.end->offer (make_file (dirs.src, "one.bin", 500 * 1024), "", &error));
  fail_if (link.a.end->offer (make_file (dirs.src, "two.bin", 10), "", &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY));
  g_clear_error (&error);
  link.run ();
  fail_unless (link.b.last (FileEvent::Direction::Incoming)->state == FileEvent::State::Done);
}
GST_END_TEST;

GST_START_TEST (test_damaged_and_out_of_order)
{
  Dirs dirs;
  Link link;
  link.a.dir = dirs.a;
  link.b.dir = dirs.b;
  link.connect ();
  GError *error = nullptr;
  /* One bit flipped on the way: caught by the SHA-256, on both sides. */
  link.ab.tamper = [] (std::vector<guint8> &bytes) {
    if (bytes.size () > 100)
      bytes[100] ^= 1;
  };
  fail_unless (link.a.end->offer (make_file (dirs.src, "d.bin", 40000), "", &error));
  link.run ();
  fail_unless_equals_string (link.b.last (FileEvent::Direction::Incoming)->code.c_str (),
                             "DAMAGED");
  fail_unless_equals_string (link.a.last (FileEvent::Direction::Outgoing)->code.c_str (),
                             "DAMAGED");
  fail_unless_equals_int (count_files (dirs.b), 0);

  /* A chunk that skips ahead. */
  link.ab.tamper = [] (std::vector<guint8> &bytes) { bytes[7] ^= 0x40; };
  fail_unless (link.a.end->offer (make_file (dirs.src, "o.bin", 40000), "", &error));
  link.run ();
  fail_unless_equals_string (link.b.last (FileEvent::Direction::Incoming)->code.c_str (),
                             "BAD_MESSAGE");
  fail_unless_equals_int (count_files (dirs.b), 0);
}
GST_END_TEST;

GST_START_TEST (test_disk_full)
{
  if (geteuid () != 0) {
    g_print ("SKIP (this case): mounting a small tmpfs needs root\n");
    return;
  }
  Dirs dirs;
  if (mount ("gv-transfer", dirs.b.c_str (), "tmpfs", 0, "size=256k") != 0) {
    g_print ("SKIP (this case): cannot mount a tmpfs here (%s)\n", g_strerror (errno));
    return;
  }
  Link link;
  link.a.dir = dirs.a;
  link.b.dir = dirs.b;
  link.connect ();
  GError *error = nullptr;
  fail_unless (link.a.end->offer (make_file (dirs.src, "big.bin", 1024 * 1024), "", &error));
  link.run ();
  const FileEvent *in = link.b.last (FileEvent::Direction::Incoming);
  const FileEvent *out = link.a.last (FileEvent::Direction::Outgoing);
  fail_unless_equals_string (in->code.c_str (), "DISK_FULL");
  fail_unless_equals_string (out->code.c_str (), "DISK_FULL");
  fail_unless (out->message.find ("the disk is full") != std::string::npos, "%s",
               out->message.c_str ());
  fail_unless_equals_int (count_files (dirs.b), 0);
  umount (dirs.b.c_str ());
}
GST_END_TEST;

static Suite *file_transfer_suite (void)
{
  Suite *s = suite_create ("file-transfer");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_50_mib_both_ways);
  tcase_add_test (tc, test_resume_after_lost_connection);
  tcase_add_test (tc, test_name_not_utf8);
  tcase_add_test (tc, test_refusals_and_cancel);
  tcase_add_test (tc, test_damaged_and_out_of_order);
  tcase_add_test (tc, test_disk_full);
  return s;
}

GST_CHECK_MAIN (file_transfer);
