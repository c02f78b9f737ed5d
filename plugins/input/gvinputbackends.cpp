/* GhostView — gvinputinject's backend choice: the GvInputInjectBackend enum
 * and opening the backend a kind names (see gvinputbackend.h). */
#include "gvinputbackend.h"

GType gv_input_inject_backend_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GV_INPUT_INJECT_BACKEND_AUTO, "sendinput on Windows, else xtest, else uinput", "auto" },
    { GV_INPUT_INJECT_BACKEND_XTEST, "X11 XTest", "xtest" },
    { GV_INPUT_INJECT_BACKEND_UINPUT, "Linux uinput virtual devices", "uinput" },
    { GV_INPUT_INJECT_BACKEND_SENDINPUT, "Windows SendInput", "sendinput" },
    { GV_INPUT_INJECT_BACKEND_RECORD, "Post each event as a bus message, inject nothing",
      "record" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GvInputInjectBackend", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

std::unique_ptr<GvInputBackend> gv_input_backend_open (GvInputInjectBackend kind,
                                                       const std::string &display,
                                                       GvInputPostFunc record_post,
                                                       GvInputInjectBackend *opened,
                                                       std::string *error)
{
  *opened = kind;
  switch (kind) {
  case GV_INPUT_INJECT_BACKEND_RECORD:
    return gv_input_backend_new_record (std::move (record_post));
  case GV_INPUT_INJECT_BACKEND_XTEST:
#ifdef GV_HAVE_XTEST
    return gv_input_backend_new_xtest (display.c_str (), error);
#else
    *error = "this build has no XTest backend";
    return nullptr;
#endif
  case GV_INPUT_INJECT_BACKEND_UINPUT:
#ifdef GV_HAVE_UINPUT
    return gv_input_backend_new_uinput (error);
#else
    *error = "this build has no uinput backend";
    return nullptr;
#endif
  case GV_INPUT_INJECT_BACKEND_SENDINPUT:
#ifdef GV_HAVE_SENDINPUT
    return gv_input_backend_new_sendinput (error);
#else
    *error = "this build has no SendInput backend";
    return nullptr;
#endif
  case GV_INPUT_INJECT_BACKEND_AUTO:
    break;
  }
  std::string errors;
  for (GvInputInjectBackend k : { GV_INPUT_INJECT_BACKEND_SENDINPUT, GV_INPUT_INJECT_BACKEND_XTEST,
                                  GV_INPUT_INJECT_BACKEND_UINPUT }) {
    std::string e;
    if (auto backend = gv_input_backend_open (k, display, record_post, opened, &e))
      return backend;
    errors += (errors.empty () ? "" : "; ") + e;
  }
  *error = errors;
  return nullptr;
}
