/* GhostView tests — start private Xvfb servers (-noreset) for one test program.
 *
 * gv_xvfb_start() picks a display number whose socket does not exist, starts
 * Xvfb there, waits until it accepts connections and sets $DISPLAY;
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
  GPid *pid = &gv_xvfb_pids[gv_xvfb_count];
  char *display = gv_xvfb_names[gv_xvfb_count];
  int first = gv_xvfb_count == 0 ? 90 + (getpid () % 50) : 0;
  for (int i = 0; i < gv_xvfb_count; i++) /* after the ones already ours */
    first = MAX (first, (int) g_ascii_strtoll (gv_xvfb_names[i] + 1, nullptr, 10) + 1);
  for (int n = first, tries = 0; tries < 40; n++, tries++) {
    gchar *sock = g_strdup_printf ("/tmp/.X11-unix/X%d", n);
    gchar *lock = g_strdup_printf ("/tmp/.X%d-lock", n);
    bool used = g_file_test (sock, G_FILE_TEST_EXISTS) || g_file_test (lock, G_FILE_TEST_EXISTS);
    g_free (sock);
    g_free (lock);
    if (used)
      continue;
    snprintf (display, sizeof gv_xvfb_names[0], ":%d", n);
    const gchar *argv[] = { xvfb,      display, "-noreset",    "-nolisten", "tcp",
                            "-screen", "0",     "1280x720x24", nullptr };
    GError *error = nullptr;
    if (gv_xvfb_count == 0) {
      gv_xvfb_owner = getpid ();
      atexit (gv_xvfb_stop);
    }
    if (!g_spawn_async (nullptr, (gchar **) argv, nullptr,
                        (GSpawnFlags) (G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                       G_SPAWN_STDERR_TO_DEV_NULL),
                        gv_xvfb_child_setup, nullptr, pid, &error)) {
      printf ("SKIP: cannot start Xvfb: %s\n", error->message);
      exit (77);
    }
    gv_xvfb_count++;
    for (int i = 0; i < 200; i++) { /* up to 10 s */
      if (waitpid (*pid, nullptr, WNOHANG) == *pid) {
        *pid = 0; /* lost a race for this number: try the next */
        break;
      }
      if (Display *dpy = XOpenDisplay (display)) {
        XCloseDisplay (dpy);
        g_free (xvfb);
        return display;
      }
      g_usleep (50 * 1000);
    }
    if (*pid > 0) {
      kill (*pid, SIGTERM);
      waitpid (*pid, nullptr, 0);
      *pid = 0;
    }
    gv_xvfb_count--;
  }
  g_free (xvfb);
  printf ("SKIP: could not start Xvfb on any display\n");
  exit (77);
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
