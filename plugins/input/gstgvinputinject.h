/* GhostView — gvinputinject: GstNavigation events -> OS input. */
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GV_INPUT_INJECT_BACKEND_AUTO,
  GV_INPUT_INJECT_BACKEND_XTEST,
  GV_INPUT_INJECT_BACKEND_UINPUT,
  GV_INPUT_INJECT_BACKEND_SENDINPUT,
  GV_INPUT_INJECT_BACKEND_RECORD,
} GvInputInjectBackend;

#define GV_TYPE_INPUT_INJECT_BACKEND (gv_input_inject_backend_get_type ())
GType gv_input_inject_backend_get_type (void);

#define GV_TYPE_INPUT_INJECT (gv_input_inject_get_type ())
G_DECLARE_FINAL_TYPE (GvInputInject, gv_input_inject, GV, INPUT_INJECT, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (gvinputinject);

G_END_DECLS
