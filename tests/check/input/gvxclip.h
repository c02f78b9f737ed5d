/* GhostView tests — xclip as the other X client of a clipboard test, and
 * the content such tests copy (a real PNG, large UTF-8 text).
 *
 * @display is an X display name (":93"); nullptr means $DISPLAY. Each
 * helper asserts with gstcheck's macros when xclip cannot be run at all.
 */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

/* argv for xclip on @display, then @args (nullptr-terminated list). */
static inline std::vector<const gchar *> gv_xclip_argv (const char *display,
                                                        std::initializer_list<const char *> args)
{
  std::vector<const gchar *> argv = { "xclip" };
  if (display)
    argv.insert (argv.end (), { "-display", display });
  argv.insert (argv.end (), args);
  argv.push_back (nullptr);
  return argv;
}

/* Pastes CLIPBOARD of @display as @target; false when xclip fails (target
 * refused, nothing owns the clipboard) or has not finished within
 * @timeout_ms (an owner that never answers: xclip itself would wait for
 * ever, and the test would hang instead of failing). */
static inline bool gv_xclip_out (const char *display, const char *target, std::string *out,
                                 int timeout_ms = 5000)
{
  std::vector<const gchar *> argv =
      gv_xclip_argv (display, { "-o", "-selection", "clipboard", "-t", target });
  GError *error = nullptr;
  gint out_fd = -1;
  GPid pid;
  fail_unless (
      g_spawn_async_with_pipes (nullptr, (gchar **) argv.data (), nullptr,
                                (GSpawnFlags) (G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                               G_SPAWN_STDERR_TO_DEV_NULL),
                                nullptr, nullptr, &pid, nullptr, &out_fd, nullptr, &error),
      "cannot run xclip: %s", error ? error->message : "");
  out->clear ();
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  bool timed_out = false;
  for (;;) {
    gint64 left_ms = (deadline - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND;
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pfd = { out_fd, POLLIN, 0 };
    int ready = poll (&pfd, 1, (int) MIN (left_ms, 100));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    char buf[65536];
    ssize_t n = read (out_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; /* EOF: xclip is done */
    out->append (buf, (size_t) n);
  }
  close (out_fd);
  if (timed_out)
    kill (pid, SIGKILL);
  gint status = 0;
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  if (timed_out)
    printf ("xclip -o on %s (%s) gave no answer in %d ms\n", display ? display : "$DISPLAY", target,
            timeout_ms);
  return !timed_out && WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* Copies @data to CLIPBOARD of @display as @target with an xclip that stays
 * in the foreground until another client owns the clipboard; returns its
 * pid, for the caller to end (gv_xclip_end). */
static inline GPid gv_xclip_in (const char *display, const std::string &data, const char *target)
{
  std::vector<const gchar *> argv =
      gv_xclip_argv (display, { "-quiet", "-i", "-selection", "clipboard", "-t", target });
  gint in_fd = -1;
  GPid pid;
  GError *error = nullptr;
  fail_unless (g_spawn_async_with_pipes (
                   nullptr, (gchar **) argv.data (), nullptr,
                   (GSpawnFlags) (G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL),
                   nullptr, nullptr, &pid, &in_fd, nullptr, nullptr, &error),
               "cannot run xclip: %s", error ? error->message : "");
  size_t done = 0;
  while (done < data.size ()) {
    ssize_t n = write (in_fd, data.data () + done, data.size () - done);
    fail_unless (n > 0, "writing to xclip failed");
    done += (size_t) n;
  }
  close (in_fd);
  return pid;
}

/* Ends the xclips gv_xclip_in started. */
static inline void gv_xclip_end (std::vector<GPid> *pids)
{
  for (GPid pid : *pids) {
    kill (pid, SIGTERM);
    waitpid (pid, nullptr, 0);
  }
  pids->clear ();
}

/* Pastes CLIPBOARD of @display as @target until it is @expected, for up to
 * @timeout_ms; false (and the last paste in @last, when given) otherwise. */
static inline bool gv_xclip_pasted (const char *display, const std::string &expected,
                                    const char *target, int timeout_ms, std::string *last = nullptr)
{
  std::string out;
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  do {
    if (gv_xclip_out (display, target, &out) && out == expected)
      return true;
    g_usleep (10 * 1000);
  } while (g_get_monotonic_time () < end);
  if (last)
    *last = out;
  return false;
}

/* @n bytes of valid UTF-8 text, multibyte characters included. */
static inline std::string gv_big_text (size_t n)
{
  std::string s;
  s.reserve (n);
  for (unsigned i = 0; s.size () + 32 < n; i++)
    s += "line " + std::to_string (i) + " é ü 世\n";
  while (s.size () < n)
    s += 'x';
  return s;
}

/* A real PNG of @w x @h pixels from pngenc; @noise makes it incompressible. */
static inline std::string gv_make_png (int w, int h, bool noise)
{
  GstHarness *h_png = gst_harness_new ("pngenc");
  gchar *caps = g_strdup_printf ("video/x-raw,format=RGB,width=%d,height=%d,framerate=1/1", w, h);
  gst_harness_set_src_caps_str (h_png, caps);
  g_free (caps);
  gsize stride = GST_ROUND_UP_4 (w * 3), size = stride * h;
  GstBuffer *in = gst_buffer_new_allocate (nullptr, size, nullptr);
  GstMapInfo map;
  gst_buffer_map (in, &map, GST_MAP_WRITE);
  GRand *rand = g_rand_new_with_seed (13);
  for (gsize i = 0; i < size; i++)
    map.data[i] = noise ? (guint8) g_rand_int (rand) : (guint8) (i * 7);
  g_rand_free (rand);
  gst_buffer_unmap (in, &map);
  fail_unless_equals_int (gst_harness_push (h_png, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (h_png);
  fail_unless (out != nullptr);
  gst_buffer_map (out, &map, GST_MAP_READ);
  std::string png ((const char *) map.data, map.size);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h_png);
  fail_unless (png.compare (0, 4, "\x89PNG") == 0);
  return png;
}

/* Skips the program (exit 77, with the reason) when xclip is missing. */
static inline void gv_xclip_require (void)
{
  gchar *xclip = g_find_program_in_path ("xclip");
  if (!xclip) {
    printf ("SKIP: xclip is not installed (Debian package xclip)\n");
    exit (77);
  }
  g_free (xclip);
}
