/* GhostView — gvscreensrc: the platform's screen capture behind one element. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GV_SCREEN_SRC_BACKEND_AUTO,
  GV_SCREEN_SRC_BACKEND_XIMAGE,
  GV_SCREEN_SRC_BACKEND_PIPEWIRE,
  GV_SCREEN_SRC_BACKEND_D3D11,
  GV_SCREEN_SRC_BACKEND_AVF,
} GvScreenSrcBackend;

#define GV_TYPE_SCREEN_SRC_BACKEND (gv_screen_src_backend_get_type ())
GType gv_screen_src_backend_get_type (void);

#define GV_TYPE_SCREEN_SRC (gv_screen_src_get_type ())
G_DECLARE_FINAL_TYPE (GvScreenSrc, gv_screen_src, GV, SCREEN_SRC, GstBin)

GST_ELEMENT_REGISTER_DECLARE (gvscreensrc);

G_END_DECLS
