/* GhostView tests — start private Xvfb servers (-noreset) for one test program.
 *
 * gv_xvfb_start() starts Xvfb on a display number it picks itself
 * (-displayfd), waits until it accepts connections and sets $DISPLAY;
 * gv_xvfb_start_another() starts one more (a second machine, say) and
 * returns its name without touching $DISPLAY. Without Xvfb either prints one
 * line and exits 77 (skipped). They are stopped at exit, or by
 * gv_xvfb_stop().
 */
#pragma once

#include <X11/Xlib.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define GV_XVFB_MAX 4
static GPid gv_xvfb_pids[GV_XVFB_MAX];
static char gv_xvfb_names[GV_XVFB_MAX][16];
static int gv_xvfb_count = 0;
static pid_t gv_xvfb_owner = 0; /* Check forks tests: only the starter stops them */

static inline void gv_xvfb_stop (void)
{
  if (getpid () != gv_xvfb_owner)
    return;
  for (int i = 0; i < gv_xvfb_count; i++)
    if (gv_xvfb_pids[i] > 0) {
      kill (gv_xvfb_pids[i], SIGTERM);
      waitpid (gv_xvfb_pids[i], nullptr, 0);
      gv_xvfb_pids[i] = 0;
    }
}

/* Xvfb dies with the test even when the test is killed (timeout, crash). */
static inline void gv_xvfb_child_setup (gpointer)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Reads the display number Xvfb writes on @fd once it listens; -1 when
 * none comes within 15 s. */
static inline int gv_xvfb_read_number (int fd)
{
  char digits[16] = { 0 };
  size_t got = 0;
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (got < sizeof digits - 1 && !strchr (digits, '\n')) {
    GPollFD poll_fd = { fd, G_IO_IN, 0 };
    gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
    if (left_ms <= 0 || g_poll (&poll_fd, 1, (gint) left_ms) <= 0)
      return -1;
    ssize_t n = read (fd, digits + got, sizeof digits - 1 - got);
    if (n <= 0)
      return -1;
    got += (size_t) n;
  }
  char *end = nullptr;
  gint64 number = g_ascii_strtoll (digits, &end, 10);
  return end != digits && *end == '\n' ? (int) number : -1;
}

static inline const char *gv_xvfb_start_another (void)
{
  if (gv_xvfb_count == GV_XVFB_MAX) {
    printf ("SKIP: more than %d Xvfb servers asked for\n", GV_XVFB_MAX);
    exit (77);
  }
  gchar *xvfb = g_find_program_in_path ("Xvfb");
  if (!xvfb) {
    printf ("SKIP: Xvfb is not installed\n");
    exit (77);
  }
  if (gv_xvfb_count == 0) {
    gv_xvfb_owner = getpid ();
    atexit (gv_xvfb_stop);
  }
  GPid *pid = &gv_xvfb_pids[gv_xvfb_count];
  char *display = gv_xvfb_names[gv_xvfb_count];
  /* -displayfd: Xvfb picks a free number itself (skipping those in use and
   * clearing locks whose owner is gone) and writes it on fd 3. */
  int number_pipe[2];
  if (pipe (number_pipe) != 0) {
    printf ("SKIP: cannot make a pipe for Xvfb\n");
    exit (77);
  }
  const gchar *argv[] = { xvfb,  "-displayfd", "3", "-noreset",    "-nolisten",
                          "tcp", "-screen",    "0", "1280x720x24", nullptr };
  const gint source_fds[] = { number_pipe[1] };
  const gint target_fds[] = { 3 };
  GError *error = nullptr;
  gboolean spawned = g_spawn_async_with_pipes_and_fds (
      nullptr, argv, nullptr,
      (GSpawnFlags) (G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                     G_SPAWN_STDERR_TO_DEV_NULL),
      gv_xvfb_child_setup, nullptr, -1, -1, -1, source_fds, target_fds, 1, pid, nullptr, nullptr,
      nullptr, &error);
  close (number_pipe[1]);
  g_free (xvfb);
  if (!spawned) {
    close (number_pipe[0]);
    printf ("SKIP: cannot start Xvfb: %s\n", error->message);
    exit (77);
  }
  gv_xvfb_count++;
  int number = gv_xvfb_read_number (number_pipe[0]);
  close (number_pipe[0]);
  if (number >= 0) {
    snprintf (display, sizeof gv_xvfb_names[0], ":%d", number);
    for (int i = 0; i < 200; i++) { /* up to 10 s */
      if (Display *dpy = XOpenDisplay (display)) {
        XCloseDisplay (dpy);
        return display;
      }
      g_usleep (50 * 1000);
    }
  }
  printf ("FAIL: Xvfb gave no usable display in 25 s\n");
  exit (1);
}

static inline const char *gv_xvfb_start (void)
{
  const char *display = gv_xvfb_start_another ();
  g_setenv ("DISPLAY", display, TRUE);
  return display;
}

/* A plain window filled with @pixel (0xRRGGBB on the 24-bit TrueColor
 * visual), shown without a window manager and flushed. */
static inline Window gv_xvfb_colour_window (Display *dpy, int x, int y, int w, int h,
                                            unsigned long pixel)
{
  XSetWindowAttributes attrs;
  attrs.background_pixel = pixel;
  attrs.override_redirect = True;
  Window win =
      XCreateWindow (dpy, DefaultRootWindow (dpy), x, y, w, h, 0, CopyFromParent, InputOutput,
                     CopyFromParent, CWBackPixel | CWOverrideRedirect, &attrs);
  XSelectInput (dpy, win, StructureNotifyMask);
  XMapWindow (dpy, win);
  XEvent ev;
  do
    XNextEvent (dpy, &ev);
  while (ev.type != MapNotify || ev.xmap.window != win);
  XClearWindow (dpy, win);
  XSync (dpy, False);
  return win;
}
