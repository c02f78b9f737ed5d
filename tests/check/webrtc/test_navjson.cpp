/* The input channel's message forms <-> GstNavigation events, without
 * WebRTC: the table of accepted and refused messages, and a walk of
 * gv::nav::kKinds through the parser and the builder so that the table
 * cannot say what the code does not do; the host's link report, through
 * the receiver's parser, whole and malformed. */
#include "gvnavjson.h"

#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <string>

struct Accepted {
  const char *json;
  GstNavigationEventType type;
  double x, y; /* pixels of a 640x480 stream; -1: not a pointer event */
};

static const Accepted accepted[] = {
  { "{\"t\":\"mm\",\"x\":0.5,\"y\":0.25}", GST_NAVIGATION_EVENT_MOUSE_MOVE, 320, 120 },
  { "{\"t\":\"md\",\"x\":1,\"y\":0,\"b\":3}", GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS, 640, 0 },
  { "{\"t\":\"mu\",\"x\":2.5,\"y\":-1}", GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE, 640, 0 },
  { "{\"t\":\"wh\",\"x\":0.1,\"y\":0.1,\"dx\":0,\"dy\":-1}", GST_NAVIGATION_EVENT_MOUSE_SCROLL, 64,
    48 },
  { "{\"t\":\"kd\",\"k\":\"Shift_L\"}", GST_NAVIGATION_EVENT_KEY_PRESS, -1, -1 },
  { "{\"t\":\"ku\",\"k\":\"a\"}", GST_NAVIGATION_EVENT_KEY_RELEASE, -1, -1 },
  { "{\"t\":\"td\",\"id\":0,\"x\":0.5,\"y\":0.5,\"p\":0.5}", GST_NAVIGATION_EVENT_TOUCH_DOWN, 320,
    240 },
  { "{\"t\":\"tf\"}", GST_NAVIGATION_EVENT_TOUCH_FRAME, -1, -1 },
  { "{\"id\":3,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"MouseMove\","
    "\"x\":100,\"y\":200,\"modifier_state\":\"shift-mask\"}}}",
    GST_NAVIGATION_EVENT_MOUSE_MOVE, 100, 200 },
  { "{\"id\":4,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"KeyPress\","
    "\"key\":\"Return\"}}}",
    GST_NAVIGATION_EVENT_KEY_PRESS, -1, -1 },
};

GST_START_TEST (test_accepted)
{
  const Accepted &a = accepted[__i__];
  gv::nav::InputMessage msg;
  std::string error;
  fail_unless (gv::nav::parse_input_message (a.json, strlen (a.json), 640, 480, msg, error),
               "%s refused: %s", a.json, error.c_str ());
  fail_unless (msg.event != nullptr);
  fail_unless_equals_int (gst_navigation_event_get_type (msg.event), a.type);
  if (a.x >= 0) {
    double x = -1, y = -1;
    const GstStructure *s = gst_event_get_structure (msg.event);
    gst_structure_get_double (s, "pointer_x", &x);
    gst_structure_get_double (s, "pointer_y", &y);
    fail_unless (G_APPROX_VALUE (x, a.x, 0.001) && G_APPROX_VALUE (y, a.y, 0.001), "%s at %f,%f",
                 a.json, x, y);
  }
  gst_event_unref (msg.event);
}
GST_END_TEST;

static const char *refused[] = {
  "",
  "null",
  "not json",
  "[]",
  "{}",
  "{\"t\":\"zz\"}",
  "{\"t\":\"mm\",\"x\":0.5}",
  "{\"t\":\"mm\",\"x\":\"0.5\",\"y\":0}",
  "{\"t\":\"md\",\"x\":0,\"y\":0,\"b\":0}",
  "{\"t\":\"kd\"}",
  "{\"t\":\"kd\",\"k\":\"\\u0001\"}",
  "{\"t\":\"kd\",\"k\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
  "{\"t\":\"td\",\"x\":0,\"y\":0}",
  "{\"t\":\"wh\",\"dy\":1e300}",
  "{\"id\":1}",
  "{\"id\":1,\"request\":{\"type\":\"other\"}}",
  "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"Nope\"}}}",
};

GST_START_TEST (test_refused)
{
  const char *json = refused[__i__];
  gv::nav::InputMessage msg;
  std::string error;
  fail_if (gv::nav::parse_input_message (json, strlen (json), 640, 480, msg, error), "%s accepted",
           json);
  fail_if (error.empty ());
  fail_unless (msg.event == nullptr);
}
GST_END_TEST;

GST_START_TEST (test_oversized)
{
  std::string big = "{\"t\":\"kd\",\"k\":\"" + std::string (gv::nav::kMaxMessageBytes, 'a') + "\"}";
  gv::nav::InputMessage msg;
  std::string error;
  fail_if (gv::nav::parse_input_message (big.c_str (), big.size (), 640, 480, msg, error));
}
GST_END_TEST;

GST_START_TEST (test_response_and_compact)
{
  std::string response = gv::nav::make_control_response (7, nullptr);
  fail_unless_equals_string (response.c_str (),
                             "{\"type\":\"ControlResponseMessage\",\"id\":7,\"error\":null}");
  GstEvent *ev = gst_navigation_event_new_mouse_move (160, 60, GST_NAVIGATION_MODIFIER_NONE);
  std::string text = gv::nav::compact_from_event (ev, 320, 240);
  gst_event_unref (ev);
  /* ... and back, at another size: the same relative position. */
  gv::nav::InputMessage msg;
  std::string error;
  fail_unless (gv::nav::parse_input_message (text.c_str (), text.size (), 640, 480, msg, error),
               "%s", text.c_str ());
  double x = 0, y = 0;
  gst_navigation_event_parse_mouse_move_event (msg.event, &x, &y);
  fail_unless (G_APPROX_VALUE (x, 320.0, 0.001) && G_APPROX_VALUE (y, 120.0, 0.001));
  gst_event_unref (msg.event);
}
GST_END_TEST;

/* ---- the table walk: every kind of gv::nav::kKinds, in both forms ---- */

using gv::nav::Field;
using gv::nav::FieldSpec;
using gv::nav::FieldType;
using gv::nav::KindSpec;
using gv::nav::Presence;

static const int kWidth = 640, kHeight = 480;

/* A valid value for `spec` that is not its fallback: normalised for the
 * compact form, in pixels of kWidth x kHeight for the control form. */
static void add_sample (JsonBuilder *b, const FieldSpec &spec, bool compact)
{
  json_builder_set_member_name (b, compact ? spec.compact : spec.control);
  switch (spec.type) {
  case FieldType::Coordinate: {
    double v = spec.field == Field::Y ? 0.75 : 0.25;
    json_builder_add_double_value (b,
                                   compact ? v : v * (spec.field == Field::Y ? kHeight : kWidth));
    break;
  }
  case FieldType::Integer:
    json_builder_add_int_value (b, (gint64) spec.min + 1);
    break;
  case FieldType::Number:
    json_builder_add_double_value (b, 0.5);
    break;
  case FieldType::Key:
    json_builder_add_string_value (b, "a");
    break;
  case FieldType::Modifiers:
    json_builder_add_string_value (b, "shift-mask");
    break;
  }
}

static std::string to_text (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

/* The kind's message with every listed field (but `skip`, and with `bad`
 * replaced by `bad_value`) and a modifier_state. */
static std::string build (const KindSpec &kind, bool compact, Field skip = Field::Count,
                          Field bad = Field::Count, JsonNode *bad_value = nullptr)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  if (!compact) {
    json_builder_set_member_name (b, gv::nav::kControlIdField);
    json_builder_add_int_value (b, 5);
    json_builder_set_member_name (b, gv::nav::kControlRequestField);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, gv::nav::kControlTypeField);
    json_builder_add_string_value (b, gv::nav::kControlRequestType);
    json_builder_set_member_name (b, gv::nav::kControlEventField);
    json_builder_begin_object (b);
  }
  json_builder_set_member_name (b, compact ? gv::nav::kKindField : gv::nav::kControlEventField);
  json_builder_add_string_value (b, compact ? kind.compact : kind.control);
  for (gsize i = 0; i < gv::nav::kind_field_count (kind); i++) {
    const FieldSpec &spec = gv::nav::field_spec (kind.fields[i].field);
    if (spec.field == skip)
      continue;
    if (spec.field == bad) {
      json_builder_set_member_name (b, compact ? spec.compact : spec.control);
      json_builder_add_value (b, json_node_copy (bad_value));
      continue;
    }
    add_sample (b, spec, compact);
  }
  add_sample (b, gv::nav::field_spec (Field::ModifierState), compact);
  if (!compact) {
    json_builder_end_object (b);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  return to_text (b);
}

static GstEvent *parse_ok (const std::string &text, gv::nav::InputMessage &msg)
{
  std::string error;
  fail_unless (
      gv::nav::parse_input_message (text.c_str (), text.size (), kWidth, kHeight, msg, error),
      "%s refused: %s", text.c_str (), error.c_str ());
  fail_unless (msg.event != nullptr, "%s: no event", text.c_str ());
  return msg.event;
}

static void refused_with (const std::string &text, const char *field)
{
  gv::nav::InputMessage msg;
  std::string error;
  fail_if (gv::nav::parse_input_message (text.c_str (), text.size (), kWidth, kHeight, msg, error),
           "%s accepted", text.c_str ());
  fail_unless (msg.event == nullptr);
  fail_unless (error.find (std::string ("\"") + field + "\"") != std::string::npos,
               "%s: the error \"%s\" does not name %s", text.c_str (), error.c_str (), field);
}

GST_START_TEST (test_table_kind)
{
  const KindSpec &kind = gv::nav::kKinds[__i__];
  if (kind.direction != gv::nav::Direction::ViewerToHost)
    return; /* test_table_host_kind */
  fail_unless (gv::nav::kind_by_compact (kind.compact) == &kind);
  fail_unless (gv::nav::kind_by_control (kind.control) == &kind);
  fail_unless (gv::nav::kind_by_event (kind.event) == &kind);

  /* The compact form becomes the kind's event ... */
  std::string text = build (kind, true);
  gv::nav::InputMessage msg;
  GstEvent *event = parse_ok (text, msg);
  fail_unless_equals_int (gst_navigation_event_get_type (event), kind.event);
  GstNavigationModifierType state = GST_NAVIGATION_MODIFIER_NONE;
  fail_unless (gst_navigation_event_parse_modifier_state (event, &state));
  fail_unless_equals_int (state, GST_NAVIGATION_MODIFIER_SHIFT_MASK);

  /* ... which the builder writes back as exactly the table's fields, with
   * the values sent (modifier_state is not forwarded). */
  std::string again = gv::nav::compact_from_event (event, kWidth, kHeight);
  gst_event_unref (event);
  JsonNode *root = json_from_string (again.c_str (), nullptr);
  fail_unless (root && JSON_NODE_HOLDS_OBJECT (root), "%s", again.c_str ());
  JsonObject *obj = json_node_get_object (root);
  fail_unless_equals_string (json_object_get_string_member (obj, gv::nav::kKindField),
                             kind.compact);
  fail_unless_equals_int (json_object_get_size (obj), gv::nav::kind_field_count (kind) + 1);
  JsonNode *sent = json_from_string (text.c_str (), nullptr);
  JsonObject *sent_obj = json_node_get_object (sent);
  for (gsize i = 0; i < gv::nav::kind_field_count (kind); i++) {
    const FieldSpec &spec = gv::nav::field_spec (kind.fields[i].field);
    fail_unless (json_object_has_member (obj, spec.compact), "%s lacks %s", again.c_str (),
                 spec.compact);
    JsonNode *a = json_object_get_member (obj, spec.compact);
    JsonNode *b = json_object_get_member (sent_obj, spec.compact);
    if (spec.type == FieldType::Key) {
      fail_unless_equals_string (json_node_get_string (a), json_node_get_string (b));
    } else {
      fail_unless (G_APPROX_VALUE (json_node_get_double (a), json_node_get_double (b), 1e-9),
                   "%s: %s is %f, sent %f", kind.name, spec.compact, json_node_get_double (a),
                   json_node_get_double (b));
    }
  }
  json_node_unref (sent);
  json_node_unref (root);

  /* ... and parses again to the same message. */
  gv::nav::InputMessage msg2;
  event = parse_ok (again, msg2);
  std::string third = gv::nav::compact_from_event (event, kWidth, kHeight);
  fail_unless_equals_string (third.c_str (), again.c_str ());
  gst_event_unref (event);

  /* The control form, in pixels, is the same event. */
  gv::nav::InputMessage control;
  event = parse_ok (build (kind, false), control);
  fail_unless (control.has_id && control.id == 5);
  std::string from_control = gv::nav::compact_from_event (event, kWidth, kHeight);
  fail_unless_equals_string (from_control.c_str (), again.c_str ());
  gst_event_unref (event);
}
GST_END_TEST;

/* Each field as the table says: a required one missing, a wrong type, a
 * value out of range is refused with an error that names the field; an
 * optional one may be left out. */
GST_START_TEST (test_table_fields)
{
  const KindSpec &kind = gv::nav::kKinds[__i__];
  if (kind.direction != gv::nav::Direction::ViewerToHost)
    return; /* test_table_host_kind */
  JsonNode *wrong = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (wrong, json_array_new ());
  for (bool compact : { true, false }) {
    for (gsize i = 0; i < gv::nav::kind_field_count (kind); i++) {
      const gv::nav::FieldUse &use = kind.fields[i];
      const FieldSpec &spec = gv::nav::field_spec (use.field);
      const char *name = compact ? spec.compact : spec.control;
      std::string without = build (kind, compact, use.field);
      if (use.presence == Presence::Optional) {
        gv::nav::InputMessage msg;
        gst_event_unref (parse_ok (without, msg));
      } else {
        refused_with (without, name);
      }
      refused_with (build (kind, compact, Field::Count, use.field, wrong), name);
      if ((spec.type == FieldType::Integer || spec.type == FieldType::Number) &&
          spec.max < G_MAXDOUBLE) {
        JsonNode *n = json_node_new (JSON_NODE_VALUE);
        for (double v : { spec.min - 1, spec.max + 1 }) {
          if (spec.type == FieldType::Integer)
            json_node_set_int (n, (gint64) v);
          else
            json_node_set_double (n, v);
          refused_with (build (kind, compact, Field::Count, use.field, n), name);
        }
        json_node_unref (n);
      }
    }
  }
  json_node_unref (wrong);
}
GST_END_TEST;

GST_START_TEST (test_table_builders)
{
  std::string text = gv::nav::make_request_control ();
  gv::nav::InputMessage msg;
  std::string error;
  fail_unless (gv::nav::parse_input_message (text.c_str (), text.size (), 0, 0, msg, error));
  fail_unless (msg.request_control && msg.event == nullptr);
  fail_unless (gv::nav::kind_by_compact (gv::nav::kRequestControl) == nullptr);

  JsonNode *root = json_from_string (gv::nav::make_control_response (9, "no").c_str (), nullptr);
  JsonObject *obj = json_node_get_object (root);
  fail_unless_equals_string (json_object_get_string_member (obj, gv::nav::kControlTypeField),
                             gv::nav::kControlResponseType);
  fail_unless_equals_int (json_object_get_int_member (obj, gv::nav::kControlIdField), 9);
  fail_unless_equals_string (json_object_get_string_member (obj, gv::nav::kControlErrorField),
                             "no");
  json_node_unref (root);

  /* Every event the table lists is forwarded; others are not. */
  GstEvent *ev = gst_navigation_event_new_command (GST_NAVIGATION_COMMAND_MENU1);
  fail_unless (gv::nav::kind_by_event (gst_navigation_event_get_type (ev)) == nullptr);
  fail_unless (gv::nav::compact_from_event (ev, kWidth, kHeight).empty ());
  gst_event_unref (ev);
}
GST_END_TEST;

/* ---- the host's link report ---- */

static gv::nav::LinkReport parse_link_ok (const std::string &text)
{
  gv::nav::LinkReport link;
  std::string error;
  fail_unless (gv::nav::parse_host_message (text.c_str (), text.size (), link, error),
               "%s refused: %s", text.c_str (), error.c_str ());
  return link;
}

static void link_refused_with (const std::string &text, const char *what)
{
  gv::nav::LinkReport link;
  link.estimate_bps = 7;
  std::string error;
  fail_if (gv::nav::parse_host_message (text.c_str (), text.size (), link, error), "%s accepted",
           text.c_str ());
  fail_unless (error.find (what) != std::string::npos, "%s: the error \"%s\" does not name %s",
               text.c_str (), error.c_str (), what);
  fail_unless_equals_int (link.estimate_bps, 7); /* untouched */
}

/* Each HostToViewer kind as the table says, through the receiver's parser:
 * with every field, without each optional one, and refused (naming the
 * field) without a required one, with a wrong type, out of range. The host
 * refuses it from a viewer. */
GST_START_TEST (test_table_host_kind)
{
  const KindSpec &kind = gv::nav::kKinds[__i__];
  if (kind.direction != gv::nav::Direction::HostToViewer)
    return;
  fail_unless (gv::nav::kind_by_compact (kind.compact) == &kind);
  fail_unless (kind.control == nullptr && gv::nav::kind_by_event (kind.event) == nullptr);
  auto build_host = [&] (Field skip, Field bad, const char *bad_value) {
    std::string text = std::string ("{\"") + gv::nav::kKindField + "\":\"" + kind.compact + "\"";
    for (gsize i = 0; i < gv::nav::kind_field_count (kind); i++) {
      const FieldSpec &spec = gv::nav::field_spec (kind.fields[i].field);
      fail_unless (spec.type == FieldType::Integer, "%s: the builder writes integers only",
                   spec.name);
      if (spec.field == skip)
        continue;
      text += std::string (",\"") + spec.compact + "\":";
      text += spec.field == bad ? bad_value : std::to_string ((gint64) spec.min + 1);
    }
    return text + "}";
  };
  parse_link_ok (build_host (Field::Count, Field::Count, nullptr));
  for (gsize i = 0; i < gv::nav::kind_field_count (kind); i++) {
    const gv::nav::FieldUse &use = kind.fields[i];
    const FieldSpec &spec = gv::nav::field_spec (use.field);
    std::string quoted = std::string ("\"") + spec.compact + "\"";
    std::string without = build_host (use.field, Field::Count, nullptr);
    if (use.presence == Presence::Optional)
      parse_link_ok (without);
    else
      link_refused_with (without, quoted.c_str ());
    for (const char *wrong : { "\"1\"", "1.5", "null", "[]", "true" })
      link_refused_with (build_host (Field::Count, use.field, wrong), quoted.c_str ());
    for (double v : { spec.min - 1, spec.max + 1 })
      link_refused_with (build_host (Field::Count, use.field, std::to_string ((gint64) v).c_str ()),
                         quoted.c_str ());
  }

  /* The host never takes it from a viewer: malformed input. */
  std::string text = build_host (Field::Count, Field::Count, nullptr);
  gv::nav::InputMessage msg;
  std::string error;
  fail_if (gv::nav::parse_input_message (text.c_str (), text.size (), kWidth, kHeight, msg, error),
           "the host accepts %s", text.c_str ());
  fail_unless (msg.event == nullptr && !msg.request_control);
  fail_unless (error.find (kind.compact) != std::string::npos, "%s", error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_link_round_trip)
{
  gv::nav::LinkReport link;
  link.estimate_bps = 1400000;
  link.layer = 1;
  link.bitrate_bps = 1350000;
  std::string text = gv::nav::make_link_message (link);
  fail_unless_equals_string (
      text.c_str (), "{\"t\":\"link\",\"estimate\":1400000,\"layer\":1,\"bitrate\":1350000}");
  gv::nav::LinkReport back = parse_link_ok (text);
  fail_unless_equals_uint64 (back.estimate_bps, 1400000);
  fail_unless_equals_int (back.layer, 1);
  fail_unless_equals_uint64 (back.bitrate_bps, 1350000);

  /* No video: no layer, read back as -1. */
  link.layer = -1;
  text = gv::nav::make_link_message (link);
  fail_unless (text.find ("layer") == std::string::npos, "%s", text.c_str ());
  fail_unless_equals_int (parse_link_ok (text).layer, -1);

  /* Whatever the host holds, it writes what a viewer accepts. */
  link.estimate_bps = G_MAXUINT64;
  link.layer = 7;
  link.bitrate_bps = (guint64) gv::nav::kMaxLinkBps + 1;
  back = parse_link_ok (gv::nav::make_link_message (link));
  fail_unless_equals_uint64 (back.estimate_bps, (guint64) gv::nav::kMaxLinkBps);
  fail_unless_equals_int (back.layer, gv::nav::kMaxLinkLayer);
  fail_unless_equals_uint64 (back.bitrate_bps, (guint64) gv::nav::kMaxLinkBps);
}
GST_END_TEST;

/* What else a receiver may get on the channel, or a broken host may send. */
static const char *link_refused[] = {
  "",
  "null",
  "not json",
  "[]",
  "{}",
  "{\"t\":1}",
  "{\"t\":\"zz\",\"estimate\":1,\"bitrate\":1}",
  "{\"t\":\"mm\",\"x\":0.5,\"y\":0.5}",
  "{\"t\":\"request-control\"}",
  "{\"type\":\"ControlResponseMessage\",\"id\":1,\"error\":null}",
  "{\"t\":\"link\"}",
  "{\"t\":\"link\",\"estimate\":1400000}",
  "{\"t\":\"link\",\"estimate\":-1,\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":1e300,\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":1400000.5,\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":\"1400000\",\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":99999999999999999999,\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":1,\"layer\":-1,\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":1,\"layer\":3,\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":1,\"layer\":null,\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":1,\"layer\":\"full\",\"bitrate\":0}",
  "{\"t\":\"link\",\"estimate\":1,\"bitrate\":{}}",
  "{\"t\":\"link\",\"estimate\":1,\"bitrate\":0",
};

GST_START_TEST (test_link_refused)
{
  const char *json = link_refused[__i__];
  gv::nav::LinkReport link;
  std::string error;
  fail_if (gv::nav::parse_host_message (json, strlen (json), link, error), "%s accepted", json);
  fail_if (error.empty ());
  fail_unless_equals_uint64 (link.estimate_bps, 0);
  fail_unless_equals_int (link.layer, -1);
}
GST_END_TEST;

GST_START_TEST (test_link_oversized)
{
  std::string big = "{\"t\":\"link\",\"estimate\":1,\"bitrate\":1,\"pad\":\"" +
                    std::string (gv::nav::kMaxMessageBytes, 'a') + "\"}";
  gv::nav::LinkReport link;
  std::string error;
  fail_if (gv::nav::parse_host_message (big.c_str (), big.size (), link, error));
  /* Members it does not know are left alone, as in the viewer's messages. */
  parse_link_ok ("{\"t\":\"link\",\"estimate\":1,\"bitrate\":1,\"later\":true}");
}
GST_END_TEST;

static Suite *navjson_suite (void)
{
  Suite *s = suite_create ("webrtc-navjson");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_accepted, 0, G_N_ELEMENTS (accepted));
  tcase_add_loop_test (tc, test_refused, 0, G_N_ELEMENTS (refused));
  tcase_add_test (tc, test_oversized);
  tcase_add_test (tc, test_response_and_compact);
  tcase_add_loop_test (tc, test_table_kind, 0, gv::nav::kKindCount);
  tcase_add_loop_test (tc, test_table_fields, 0, gv::nav::kKindCount);
  tcase_add_test (tc, test_table_builders);
  tcase_add_loop_test (tc, test_table_host_kind, 0, gv::nav::kKindCount);
  tcase_add_test (tc, test_link_round_trip);
  tcase_add_loop_test (tc, test_link_refused, 0, G_N_ELEMENTS (link_refused));
  tcase_add_test (tc, test_link_oversized);
  return s;
}

GST_CHECK_MAIN (navjson);
