/* GhostView — gvscreensrc's state, shared by its files: the element
 * (gstgvscreensrc.cpp) and what it can share and how it switches
 * (gstgvscreensrc-sources.cpp). */
#pragma once

#include "gstgvscreensrc.h"
#include "gvcursorevent.h"
#include "gvsharedsource.h"

#include <mutex>
#include <string>
#include <vector>

#ifdef GV_HAVE_X11
#include <X11/Xlib.h>
#endif
#ifdef GV_HAVE_PIPEWIRE
#include "gvportal.h"
#endif

#define DEFAULT_BACKEND GV_SCREEN_SRC_BACKEND_AUTO
#define DEFAULT_WINDOW 0
#define DEFAULT_SHOW_CURSOR TRUE
#define DEFAULT_FPS_N 30
#define DEFAULT_FPS_D 1

struct GvRect {
  gint x = 0, y = 0, width = 0, height = 0; /* width/height 0: to the edge */
  bool empty () const { return !x && !y && !width && !height; }
};

struct GvScreenSrcPrivate {
  std::mutex lock;
  /* Held through a restart (the inner source replaced) and through the
   * teardown, so neither sees the other's elements half in the bin. Taken
   * before `lock`, never while holding it. */
  std::mutex restart_lock;
  /* properties */
  GvScreenSrcBackend backend = DEFAULT_BACKEND;
  std::string display;
  guint64 window = DEFAULT_WINDOW;
  bool show_cursor = DEFAULT_SHOW_CURSOR;
  GvRect region;
  gint fps_n = DEFAULT_FPS_N, fps_d = DEFAULT_FPS_D;
  std::string source_spec; /* the `source` property as set before READY; "" for window/region */
  bool cursor_events = false;
  bool allow_resize = false;

  /* runtime, from NULL->READY to READY->NULL */
  GstElement *source = nullptr; /* owned by the bin */
  GstElement *capsfilter = nullptr;
  GvScreenSrcBackend active = GV_SCREEN_SRC_BACKEND_AUTO;
  GvRect capture;                       /* region actually captured, relative to screen or window */
  gint base_width = 0, base_height = 0; /* screen or window size now */
  bool window_gone = false;
  bool error_posted = false;
  bool restart_pending = false;
  gulong probe_id = 0;
  /* What is shared, as a source id ("" for a plain region), and its name. */
  std::string current_id;
  std::string current_name;
  /* A switch announces itself ("gv-shared") before its first frame. */
  bool announce_requested = false; /* set by a switch, taken by the restart */
  bool announce_pending = false;   /* set by the restart, taken by the next frame */
  std::string announce_by, announce_reason;
#ifdef GV_HAVE_X11
  Display *dpy = nullptr;
  int rr_event_base = -1;
  int window_x = 0, window_y = 0; /* where the shared window was last seen */
  /* The shared window reaches past the screen's edge: only its visible
   * part is captured (X cannot read pixels that are not on the screen). */
  bool window_clipped = false;
  bool clip_notice_pending = false; /* a warning to post from the stream */
  int fixes_event_base = -1;        /* XFixes, for cursor-events; -1 without */
  bool cursor_shape_dirty = false;
  guint cursor_shape = 0; /* the shape last sent (an id), 0 none */
  GvCursorPosition cursor_sent;
  bool cursor_ever_sent = false;
  /* When the shape and position were last sent whether they changed or not
   * (monotonic µs): events can be dropped on the way (a leaky queue before
   * the encoder), so they are repeated now and then. */
  gint64 cursor_repeated_us = 0;
  /* allow-resize: the display's first size, back when the element stops. */
  bool resized = false;
  unsigned long first_mode = 0;
  int first_width = 0, first_height = 0, first_mm_width = 0, first_mm_height = 0;
#endif
#ifdef GV_HAVE_PIPEWIRE
  GvPortalStream portal;
#endif
};

struct _GvScreenSrc {
  GstBin parent;
  GstPad *srcpad;
  GvScreenSrcPrivate *priv;
};

/* gstgvscreensrc-sources.cpp. "_locked": call with priv->lock held. */

/* Everything this capture can share now (X11: the screen, each monitor,
 * each top-level window); empty elsewhere. */
std::vector<GvShareableSource> gv_screen_src_sources_locked (GvScreenSrc *self);
/* Sets window, region, current_id and current_name for source @id (on
 * the open display); false with a sentence in @why. */
bool gv_screen_src_choose_locked (GvScreenSrc *self, const std::string &id, std::string &why);
/* current_id and current_name from window and region (set as properties). */
void gv_screen_src_describe_locked (GvScreenSrc *self);
/* Switches what is shared while running; @by who asked ("" the host),
 * @reason "" or GV_SHARED_REASON_WINDOW_CLOSED. False with a sentence. */
bool gv_screen_src_switch (GvScreenSrc *self, const std::string &id, const std::string &by,
                           const char *reason, std::string &why);
/* The shared window closed: share its display instead, and say so. */
void gv_screen_src_window_closed (GvScreenSrc *self);

/* gstgvscreensrc-cursor.cpp (cursor-events). "_locked": with priv->lock. */
#ifdef GV_HAVE_X11
/* Listens for shape changes on the open display. */
void gv_screen_src_cursor_start_locked (GvScreenSrc *self);
/* True when @ev was the pointer's (then it is handled). */
bool gv_screen_src_cursor_x_event_locked (GvScreenSrc *self, XEvent *ev);
#endif
/* The events to send before the next frame (a new shape, a move); the
 * caller pushes them once the lock is let go. */
void gv_screen_src_cursor_events_locked (GvScreenSrc *self, std::vector<GstEvent *> &out);

/* gstgvscreensrc-resize.cpp (allow-resize): the display to @width x
 * @height for @by; false with a sentence. */
bool gv_screen_src_resize (GvScreenSrc *self, gint width, gint height, const std::string &by,
                           gint &taken_width, gint &taken_height, std::string &why);
#ifdef GV_HAVE_X11
/* Gives the display its first size back (when stopping). */
void gv_screen_src_restore_size_locked (GvScreenSrc *self);
#endif

/* gstgvscreensrc.cpp: restarts the inner capture with the current window
 * and region (from gst_element_call_async). */
void gv_screen_src_restart (GstElement *element, gpointer);
