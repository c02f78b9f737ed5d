/* GhostView — what gvinputinject hands to an input backend.
 *
 * The element turns GstNavigation events into these, already mapped to
 * screen pixels, filtered (enabled, flood limit, known keys) and with held
 * keys/buttons tracked, so a backend only has to inject.
 */
#pragma once

#include "gstgvinputinject.h"

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>

enum class GvInputEventType {
  MOTION,
  BUTTON_PRESS,
  BUTTON_RELEASE,
  SCROLL,
  KEY_PRESS,
  KEY_RELEASE,
};

struct GvInputEvent {
  GvInputEventType type = GvInputEventType::MOTION;
  gint x = 0, y = 0;                        /* screen pixels (pointer events) */
  gdouble stream_x = 0, stream_y = 0;       /* as received at the element's pad */
  gint screen_width = 0, screen_height = 0; /* 0 when unknown */
  gint button = 0;                          /* 1 left, 2 middle, 3 right, 8/9 back/forward */
  gdouble delta_x = 0, delta_y = 0;         /* scroll: positive y = up, positive x = right */
  guint32 keysym = 0;                       /* X11 keysym (also used off X11) */
  std::string key;                          /* key name as received */
  guint modifiers = 0;                      /* GstNavigationModifierType of the event */
  bool synthetic = false;                   /* made by release-all or a modifier sync */
};

const char *gv_input_event_type_name (GvInputEventType type);

class GvInputBackend {
public:
  virtual ~GvInputBackend () = default;
  /* Returns false when the event could not be injected. */
  virtual bool inject (const GvInputEvent &ev) = 0;
  /* Undoes what the backend changed for itself (borrowed keycodes...). */
  virtual void reset () {}
};

/* Receives each event structure the record backend makes (ownership passes). */
using GvInputPostFunc = std::function<void (GstStructure *)>;

/* Opens the backend @kind names; AUTO tries sendinput, then xtest, then
 * uinput (never record). *opened is the kind that opened. Null, with @error
 * set, when none could. @record_post receives the record backend's events. */
std::unique_ptr<GvInputBackend> gv_input_backend_open (GvInputInjectBackend kind,
                                                       const std::string &display,
                                                       GvInputPostFunc record_post,
                                                       GvInputInjectBackend *opened,
                                                       std::string *error);

std::unique_ptr<GvInputBackend> gv_input_backend_new_record (GvInputPostFunc post);
#ifdef GV_HAVE_XTEST
std::unique_ptr<GvInputBackend> gv_input_backend_new_xtest (const char *display,
                                                            std::string *error);
#endif
#ifdef GV_HAVE_UINPUT
std::unique_ptr<GvInputBackend> gv_input_backend_new_uinput (std::string *error);
#endif
#ifdef GV_HAVE_SENDINPUT
std::unique_ptr<GvInputBackend> gv_input_backend_new_sendinput (std::string *error);
#endif
