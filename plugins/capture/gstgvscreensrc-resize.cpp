/* GhostView — gvscreensrc's allow-resize: a viewer asks (the "gv-resize"
 * query, gvsharedsource.h) and a virtual X display (Xvfb, Xdummy, a VNC
 * server's) takes the size of the viewer's window through RandR: a mode of
 * that size on its one output, the screen resized to it. The capture
 * follows as it follows any screen resize; the first size comes back when
 * the element stops.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstgvscreensrc-private.h"

#ifdef GV_HAVE_X11
#include "gvx11errors.h"

#include <X11/extensions/Xrandr.h>
#endif

#include <cstring>

GST_DEBUG_CATEGORY_EXTERN (gv_screen_src_debug);
#define GST_CAT_DEFAULT gv_screen_src_debug

#ifdef GV_HAVE_X11
namespace {

/* The screen's one lit CRTC, or false (none, or several monitors). */
bool single_crtc (Display *dpy, XRRScreenResources *res, RRCrtc &crtc, RROutput &output,
                  RRMode &mode)
{
  int lit = 0;
  for (int i = 0; i < res->ncrtc; i++) {
    XRRCrtcInfo *info = XRRGetCrtcInfo (dpy, res, res->crtcs[i]);
    if (info && info->mode != None && info->noutput >= 1) {
      lit++;
      crtc = res->crtcs[i];
      output = info->outputs[0];
      mode = info->mode;
    }
    if (info)
      XRRFreeCrtcInfo (info);
  }
  return lit == 1;
}

/* A mode of exactly @width x @height that @output can take, made when
 * there is none. */
RRMode mode_for (Display *dpy, XRRScreenResources *res, RROutput output, int width, int height)
{
  RRMode found = None;
  for (int i = 0; i < res->nmode && !found; i++)
    if ((int) res->modes[i].width == width && (int) res->modes[i].height == height)
      found = res->modes[i].id;
  if (!found) {
    char name[48];
    g_snprintf (name, sizeof name, "GV-%dx%d", width, height);
    XRRModeInfo info;
    memset (&info, 0, sizeof info);
    info.width = width;
    info.height = height;
    info.hTotal = width;
    info.vTotal = height;
    info.dotClock = (unsigned long) width * height * 60; /* 60 Hz, for tools that show it */
    info.name = name;
    info.nameLength = strlen (name);
    found = XRRCreateMode (dpy, DefaultRootWindow (dpy), &info);
  }
  XRROutputInfo *out = XRRGetOutputInfo (dpy, res, output);
  bool has = false;
  for (int i = 0; out && i < out->nmode; i++)
    has |= out->modes[i] == found;
  if (out)
    XRRFreeOutputInfo (out);
  if (!has)
    XRRAddOutputMode (dpy, output, found);
  return found;
}

/* Sets the screen to @width x @height with @mode on @crtc: the screen
 * first grows to hold both sizes, the CRTC changes, the screen shrinks. */
bool apply (Display *dpy, RRCrtc crtc, RROutput output, RRMode mode, int width, int height,
            int old_width, int old_height, int mm_width, int mm_height)
{
  Window root = DefaultRootWindow (dpy);
  GvX11ErrorTrap trap (dpy);
  const int big_w = MAX (width, old_width), big_h = MAX (height, old_height);
  if (big_w != old_width || big_h != old_height)
    XRRSetScreenSize (dpy, root, big_w, big_h, mm_width * big_w / MAX (old_width, 1),
                      mm_height * big_h / MAX (old_height, 1));
  XRRScreenResources *res = XRRGetScreenResourcesCurrent (dpy, root);
  Status status =
      res ? XRRSetCrtcConfig (dpy, res, crtc, CurrentTime, 0, 0, mode, RR_Rotate_0, &output, 1)
          : BadImplementation;
  if (res)
    XRRFreeScreenResources (res);
  if (width != big_w || height != big_h)
    XRRSetScreenSize (dpy, root, width, height, mm_width * width / MAX (old_width, 1),
                      mm_height * height / MAX (old_height, 1));
  return status == Success && trap.sync () == 0;
}

} // namespace

bool gv_screen_src_resize (GvScreenSrc *self, gint width, gint height, const std::string &by,
                           gint &taken_width, gint &taken_height, std::string &why)
{
  GvScreenSrcPrivate *priv = self->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  if (!priv->allow_resize) {
    why = "the host does not resize its display to viewers";
    return false;
  }
  if (!priv->dpy || priv->active != GV_SCREEN_SRC_BACKEND_XIMAGE || !priv->source) {
    why = "only an X11 display can change size";
    return false;
  }
  if (priv->window || !priv->region.empty ()) {
    why = "the host shares a window or a region, not its whole screen";
    return false;
  }
  Display *dpy = priv->dpy;
  Window root = DefaultRootWindow (dpy);
  int min_w = 0, min_h = 0, max_w = 0, max_h = 0;
  if (!XRRGetScreenSizeRange (dpy, root, &min_w, &min_h, &max_w, &max_h)) {
    why = "the display has no RandR";
    return false;
  }
  XRRScreenResources *res = XRRGetScreenResourcesCurrent (dpy, root);
  RRCrtc crtc = None;
  RROutput output = None;
  RRMode mode = None;
  if (!res || !single_crtc (dpy, res, crtc, output, mode)) {
    if (res)
      XRRFreeScreenResources (res);
    why = "the display has several monitors (or none)";
    return false;
  }
  /* Even sizes (the encoders' 4:2:0), within what the display takes. */
  taken_width = CLAMP (width, min_w, max_w) & ~1;
  taken_height = CLAMP (height, min_h, max_h) & ~1;
  const int old_w = DisplayWidth (dpy, DefaultScreen (dpy));
  const int old_h = DisplayHeight (dpy, DefaultScreen (dpy));
  if (!priv->resized) {
    priv->resized = true;
    priv->first_mode = mode;
    priv->first_width = old_w;
    priv->first_height = old_h;
    priv->first_mm_width = DisplayWidthMM (dpy, DefaultScreen (dpy));
    priv->first_mm_height = DisplayHeightMM (dpy, DefaultScreen (dpy));
  }
  if (taken_width == old_w && taken_height == old_h) {
    XRRFreeScreenResources (res);
    return true;
  }
  RRMode wanted = mode_for (dpy, res, output, taken_width, taken_height);
  XRRFreeScreenResources (res);
  if (!apply (dpy, crtc, output, wanted, taken_width, taken_height, old_w, old_h,
              DisplayWidthMM (dpy, DefaultScreen (dpy)),
              DisplayHeightMM (dpy, DefaultScreen (dpy)))) {
    why = "the X server refused the size " + std::to_string (taken_width) + "x" +
          std::to_string (taken_height);
    return false;
  }
  GST_INFO_OBJECT (self, "display resized %dx%d -> %dx%d for %s (asked %dx%d)", old_w, old_h,
                   taken_width, taken_height, by.c_str (), width, height);
  /* The restart the screen change brings announces the new size. */
  priv->announce_requested = true;
  priv->announce_by = by;
  priv->announce_reason = GV_SHARED_REASON_RESIZED;
  return true;
}

void gv_screen_src_restore_size_locked (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  if (!priv->resized || !priv->dpy)
    return;
  priv->resized = false;
  Window root = DefaultRootWindow (priv->dpy);
  XRRScreenResources *res = XRRGetScreenResourcesCurrent (priv->dpy, root);
  RRCrtc crtc = None;
  RROutput output = None;
  RRMode mode = None;
  if (res && single_crtc (priv->dpy, res, crtc, output, mode))
    apply (priv->dpy, crtc, output, priv->first_mode, priv->first_width, priv->first_height,
           DisplayWidth (priv->dpy, DefaultScreen (priv->dpy)),
           DisplayHeight (priv->dpy, DefaultScreen (priv->dpy)),
           DisplayWidthMM (priv->dpy, DefaultScreen (priv->dpy)),
           DisplayHeightMM (priv->dpy, DefaultScreen (priv->dpy)));
  if (res)
    XRRFreeScreenResources (res);
  GST_INFO_OBJECT (self, "display back to %dx%d", priv->first_width, priv->first_height);
}

#else

bool gv_screen_src_resize (GvScreenSrc *, gint, gint, const std::string &, gint &, gint &,
                           std::string &why)
{
  why = "only an X11 display can change size";
  return false;
}

#endif
