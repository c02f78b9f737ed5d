/* GhostView tests — start a private Xvfb (-noreset) for one test program.
 *
 * gv_xvfb_start() picks a display number whose socket does not exist, starts
 * Xvfb there, waits until it accepts connections and sets $DISPLAY. Without
 * Xvfb it prints one line and exits 77 (skipped). gv_xvfb_stop() ends it.
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

static GPid gv_xvfb_pid = 0;
static pid_t gv_xvfb_owner = 0; /* Check forks tests: only the starter stops it */

static inline void gv_xvfb_stop (void)
{
  if (gv_xvfb_pid > 0 && getpid () == gv_xvfb_owner) {
    kill (gv_xvfb_pid, SIGTERM);
    waitpid (gv_xvfb_pid, nullptr, 0);
    gv_xvfb_pid = 0;
  }
}

/* Xvfb dies with the test even when the test is killed (timeout, crash). */
static inline void gv_xvfb_child_setup (gpointer)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static inline const char *gv_xvfb_start (void)
{
  static char display[16];
  gchar *xvfb = g_find_program_in_path ("Xvfb");
  if (!xvfb) {
    printf ("SKIP: Xvfb is not installed\n");
    exit (77);
  }
  for (int n = 90 + (getpid () % 50), tries = 0; tries < 40; n++, tries++) {
    gchar *sock = g_strdup_printf ("/tmp/.X11-unix/X%d", n);
    gchar *lock = g_strdup_printf ("/tmp/.X%d-lock", n);
    bool used = g_file_test (sock, G_FILE_TEST_EXISTS) || g_file_test (lock, G_FILE_TEST_EXISTS);
    g_free (sock);
    g_free (lock);
    if (used)
      continue;
    snprintf (display, sizeof display, ":%d", n);
    const gchar *argv[] = { xvfb,      display, "-noreset",    "-nolisten", "tcp",
                            "-screen", "0",     "1280x720x24", nullptr };
    GError *error = nullptr;
    gv_xvfb_owner = getpid ();
    if (!g_spawn_async (nullptr, (gchar **) argv, nullptr,
                        (GSpawnFlags) (G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                       G_SPAWN_STDERR_TO_DEV_NULL),
                        gv_xvfb_child_setup, nullptr, &gv_xvfb_pid, &error)) {
      printf ("SKIP: cannot start Xvfb: %s\n", error->message);
      exit (77);
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s */
      if (waitpid (gv_xvfb_pid, nullptr, WNOHANG) == gv_xvfb_pid) {
        gv_xvfb_pid = 0; /* lost a race for this number: try the next */
        break;
      }
      if (Display *dpy = XOpenDisplay (display)) {
        XCloseDisplay (dpy);
        g_setenv ("DISPLAY", display, TRUE);
        g_free (xvfb);
        atexit (gv_xvfb_stop);
        return display;
      }
      g_usleep (50 * 1000);
    }
    gv_xvfb_stop ();
  }
  g_free (xvfb);
  printf ("SKIP: could not start Xvfb on any display\n");
  exit (77);
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
