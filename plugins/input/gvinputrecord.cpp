/* GhostView — the `record` input backend: each event becomes a
 * "gvinputinject-event" element message instead of input (tests, audit). */
#include "gvinputbackend.h"

const char *gv_input_event_type_name (GvInputEventType type)
{
  switch (type) {
  case GvInputEventType::MOTION:
    return "motion";
  case GvInputEventType::BUTTON_PRESS:
    return "button-press";
  case GvInputEventType::BUTTON_RELEASE:
    return "button-release";
  case GvInputEventType::SCROLL:
    return "scroll";
  case GvInputEventType::KEY_PRESS:
    return "key-press";
  case GvInputEventType::KEY_RELEASE:
    return "key-release";
  }
  return "unknown";
}

namespace {
class RecordBackend : public GvInputBackend {
public:
  explicit RecordBackend (GvInputPostFunc post) : post_ (std::move (post)) {}

  bool inject (const GvInputEvent &ev) override
  {
    post_ (gst_structure_new (
        "gvinputinject-event", "type", G_TYPE_STRING, gv_input_event_type_name (ev.type), "x",
        G_TYPE_INT, ev.x, "y", G_TYPE_INT, ev.y, "stream-x", G_TYPE_DOUBLE, ev.stream_x, "stream-y",
        G_TYPE_DOUBLE, ev.stream_y, "button", G_TYPE_INT, ev.button, "key", G_TYPE_STRING,
        ev.key.c_str (), "keysym", G_TYPE_UINT, ev.keysym, "delta-x", G_TYPE_DOUBLE, ev.delta_x,
        "delta-y", G_TYPE_DOUBLE, ev.delta_y, "modifiers", G_TYPE_UINT, ev.modifiers, "synthetic",
        G_TYPE_BOOLEAN, (gboolean) ev.synthetic, NULL));
    return true;
  }

private:
  GvInputPostFunc post_;
};
} // namespace

std::unique_ptr<GvInputBackend> gv_input_backend_new_record (GvInputPostFunc post)
{
  return std::make_unique<RecordBackend> (std::move (post));
}
