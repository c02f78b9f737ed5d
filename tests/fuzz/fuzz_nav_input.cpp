/* Fuzz target: one message on a viewer's input data channel into the
 * host's parser (plugins/webrtc/gvnavjson.cpp), and one message on that
 * channel into the viewer's parser of the host's link reports. Whatever
 * parses must survive the way back: an event the receiver forwards in the
 * compact form parses again, an error is answered in JSON, a link report
 * rebuilt parses to the same figures. */
#include "fuzz_check.h"
#include "gvnavjson.h"

#include <json-glib/json-glib.h>

#include <cstdint>
#include <string>

namespace nav = gv::nav;

namespace {

/* Stream sizes to scale against, picked by the input's length so that one
 * input always meets the same size: unknown, a usual one, the smallest and
 * a very large one. */
constexpr int kSizes[][2] = { { 0, 0 }, { 1280, 720 }, { 1, 1 }, { 7680, 4320 } };

bool is_json_object (const std::string &text)
{
  JsonParser *parser = json_parser_new ();
  bool ok = json_parser_load_from_data (parser, text.c_str (), (gssize) text.size (), nullptr) &&
            json_parser_get_root (parser) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser));
  g_object_unref (parser);
  return ok;
}

void check_input (const char *data, size_t size, int width, int height)
{
  nav::InputMessage in;
  std::string error;
  if (!nav::parse_input_message (data, size, width, height, in, error)) {
    GV_FUZZ_CHECK (!error.empty ());
    if (in.event)
      gst_event_unref (in.event);
    if (in.has_id)
      GV_FUZZ_CHECK (is_json_object (nav::make_control_response (in.id, error.c_str ())));
    return;
  }
  if (in.has_id)
    GV_FUZZ_CHECK (is_json_object (nav::make_control_response (in.id, nullptr)));
  if (!in.event)
    return;
  if (width > 0 && height > 0) {
    std::string compact = nav::compact_from_event (in.event, width, height);
    if (!compact.empty ()) {
      nav::InputMessage again;
      GV_FUZZ_CHECK (nav::parse_input_message (compact.c_str (), compact.size (), width, height,
                                               again, error));
      GV_FUZZ_CHECK (again.event && gst_navigation_event_get_type (again.event) ==
                                        gst_navigation_event_get_type (in.event));
      gst_event_unref (again.event);
    }
  }
  gst_event_unref (in.event);
}

void check_host_message (const char *data, size_t size)
{
  nav::LinkReport link;
  std::string error;
  if (!nav::parse_host_message (data, size, link, error)) {
    GV_FUZZ_CHECK (!error.empty ());
    return;
  }
  std::string text = nav::make_link_message (link);
  nav::LinkReport again;
  GV_FUZZ_CHECK (nav::parse_host_message (text.c_str (), text.size (), again, error));
  GV_FUZZ_CHECK (again.estimate_bps == link.estimate_bps && again.layer == link.layer &&
                 again.bitrate_bps == link.bitrate_bps);
}

} // namespace

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  gst_init (nullptr, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = reinterpret_cast<const char *> (data);
  const int *wh = kSizes[size % G_N_ELEMENTS (kSizes)];
  check_input (text, size, wh[0], wh[1]);
  check_host_message (text, size);
  return 0;
}
