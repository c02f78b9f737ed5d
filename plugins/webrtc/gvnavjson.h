/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input data channel's messages <-> GstNavigation events: the one
 * definition of that protocol. Two forms are accepted from a viewer (see
 * gvwebrtcsink's documentation, "Input data channel"):
 *   compact:  {"t":"mm","x":0.5,"y":0.25}       (coordinates normalised 0..1)
 *   gst-plugins-rs control form:
 *     {"id":3,"request":{"type":"navigationEvent",
 *                        "event":{"event":"MouseMove","x":640,"y":360}}}
 *     (coordinates in pixels of the stream), answered with
 *     {"type":"ControlResponseMessage","id":3,"error":null}
 *
 * The host sends on the same channel, in the compact form only, about once a
 * second: {"t":"link","estimate":1400000,"layer":0,"bitrate":1350000}, what
 * it knows of the link to that viewer (see LinkReport). A side never accepts
 * the kinds the other side sends.
 *
 * kKinds below lists every message kind with its direction and its fields in
 * both forms; the parsers and the builders read and write fields only through it, and
 * tests/check/webrtc/test_navjson.cpp walks it through both. The browser's
 * copy (web/js/protocol.js) is checked against it by tests/protocol/.
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/navigation.h>

#include <cmath>
#include <string>

namespace gv::nav {

/* Label of the input data channel the host opens to every viewer. */
inline constexpr const char *kChannelLabel = "control";
/* Largest message accepted on the input channel. */
inline constexpr gsize kMaxMessageBytes = 4096;
/* Longest key name accepted ("Return", "Shift_L", "a"). */
inline constexpr gsize kMaxKeyBytes = 32;
/* Mouse buttons: 1 left, 2 middle, 3 right, 4..7 wheel, 8 back, 9 forward. */
inline constexpr int kMinButton = 1;
inline constexpr int kMaxButton = 9;
/* Touch point identifiers. */
inline constexpr int kMinTouchId = 0;
inline constexpr int kMaxTouchId = 64;
/* Largest scroll step either way, in notches. */
inline constexpr double kMaxScrollDelta = 10000;
/* A longer modifier_state is ignored (no modifiers), not refused. */
inline constexpr gsize kMaxModifierStateBytes = 256;
/* The host's link report: bit/s up to 10 Gbit/s; video layers 0 (full
 * size), 1 (half) and 2 (quarter), as the sink's quality ladder has them. */
inline constexpr double kMaxLinkBps = 10e9;
inline constexpr int kMaxLinkLayer = 2;

/* The compact form: the member naming the kind, the viewer's one kind that
 * is not an event (not in kKinds), and the host's report (in kKinds). */
inline constexpr const char *kKindField = "t";
inline constexpr const char *kRequestControl = "request-control";
/* The host's report of the link to a viewer (LinkReport). */
inline constexpr const char *kLinkKind = "link";

/* The gst-plugins-rs control form. */
inline constexpr const char *kControlIdField = "id";
inline constexpr const char *kControlRequestField = "request";
inline constexpr const char *kControlTypeField = "type";
inline constexpr const char *kControlRequestType = "navigationEvent";
inline constexpr const char *kControlEventField = "event"; /* the event object, and its kind */
inline constexpr const char *kControlErrorField = "error";
inline constexpr const char *kControlResponseType = "ControlResponseMessage";

/* Every value a message kind can carry. */
enum class Field {
  X,
  Y,
  Button,
  DeltaX,
  DeltaY,
  Key,
  TouchId,
  Pressure,
  ModifierState,
  LinkEstimate,
  LinkLayer,
  LinkBitrate,
  Count
};

enum class FieldType {
  Coordinate, /* number; compact form: 0..1 of the picture, control form: pixels;
               * clamped into the picture, never refused for its value */
  Integer,    /* a JSON integer in [min, max]; refused outside */
  Number,     /* a finite JSON number in [min, max]; refused outside */
  Key,        /* an X keysym name: 1..kMaxKeyBytes bytes of UTF-8, no control characters */
  Modifiers,  /* GstNavigationModifierType nicks joined by '+' ("shift-mask+control-mask");
               * ignored (no modifiers) when not understood, never refused */
};

struct FieldSpec {
  Field field;
  const char *name;    /* for people and protocol.js (InputField.DELTA_X, HostField.ESTIMATE) */
  const char *compact; /* member name in the compact form */
  const char *control; /* member name in the control form's event; null for the fields
                        * of host -> viewer kinds, which have no control form */
  FieldType type;
  double min, max; /* Integer/Number: accepted range; Coordinate: the compact form's;
                    * Key/Modifiers: length in bytes */
  double fallback; /* value when an optional field is absent (NAN: none) */
};

/* Indexed by Field. */
inline constexpr FieldSpec kFields[] = {
  { Field::X, "x", "x", "x", FieldType::Coordinate, 0, 1, 0 },
  { Field::Y, "y", "y", "y", FieldType::Coordinate, 0, 1, 0 },
  { Field::Button, "button", "b", "button", FieldType::Integer, kMinButton, kMaxButton, 1 },
  { Field::DeltaX, "delta-x", "dx", "delta_x", FieldType::Number, -kMaxScrollDelta, kMaxScrollDelta,
    0 },
  { Field::DeltaY, "delta-y", "dy", "delta_y", FieldType::Number, -kMaxScrollDelta, kMaxScrollDelta,
    0 },
  { Field::Key, "key", "k", "key", FieldType::Key, 1, kMaxKeyBytes, NAN },
  { Field::TouchId, "touch-id", "id", "identifier", FieldType::Integer, kMinTouchId, kMaxTouchId,
    NAN },
  { Field::Pressure, "pressure", "p", "pressure", FieldType::Number, 0, 1, NAN },
  { Field::ModifierState, "modifier-state", "modifier_state", "modifier_state",
    FieldType::Modifiers, 0, kMaxModifierStateBytes, NAN },
  { Field::LinkEstimate, "estimate", "estimate", nullptr, FieldType::Integer, 0, kMaxLinkBps, NAN },
  { Field::LinkLayer, "layer", "layer", nullptr, FieldType::Integer, 0, kMaxLinkLayer, NAN },
  { Field::LinkBitrate, "bitrate", "bitrate", nullptr, FieldType::Integer, 0, kMaxLinkBps, NAN },
};
inline constexpr gsize kFieldCount = G_N_ELEMENTS (kFields);

enum class Presence {
  Required,
  Optional,     /* absent: the field's fallback */
  WithPrevious, /* present exactly when the field listed before it is (the wheel's y) */
};

struct FieldUse {
  Field field = Field::Count; /* Count: an unused entry */
  Presence presence = Presence::Optional;
};

/* Who sends a kind. The other side refuses it: a viewer's report of a link
 * is malformed input to the host. */
enum class Direction {
  ViewerToHost, /* input events: both forms, a GstNavigation event each */
  HostToViewer, /* reports: the compact form only, no event */
};

struct KindSpec {
  const char *name;    /* for people and protocol.js (Input.MOUSE_DOWN, HostMessage.LINK) */
  const char *compact; /* the compact form's "t" */
  const char *control; /* the control form's event "event"; null: HostToViewer */
  GstNavigationEventType event; /* GST_NAVIGATION_EVENT_INVALID: HostToViewer */
  /* In the order the builders write them; modifier_state, which every
   * ViewerToHost kind accepts, is not listed. Unused entries come last. */
  FieldUse fields[4];
  Direction direction = Direction::ViewerToHost;
};

inline constexpr KindSpec kKinds[] = {
  { "mouse-move",
    "mm",
    "MouseMove",
    GST_NAVIGATION_EVENT_MOUSE_MOVE,
    { { Field::X, Presence::Required }, { Field::Y, Presence::Required } } },
  { "mouse-down",
    "md",
    "MouseButtonPress",
    GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS,
    { { Field::X, Presence::Required },
      { Field::Y, Presence::Required },
      { Field::Button, Presence::Optional } } },
  { "mouse-up",
    "mu",
    "MouseButtonRelease",
    GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE,
    { { Field::X, Presence::Required },
      { Field::Y, Presence::Required },
      { Field::Button, Presence::Optional } } },
  { "wheel",
    "wh",
    "MouseScroll",
    GST_NAVIGATION_EVENT_MOUSE_SCROLL,
    { { Field::X, Presence::Optional },
      { Field::Y, Presence::WithPrevious },
      { Field::DeltaX, Presence::Optional },
      { Field::DeltaY, Presence::Optional } } },
  { "key-down",
    "kd",
    "KeyPress",
    GST_NAVIGATION_EVENT_KEY_PRESS,
    { { Field::Key, Presence::Required } } },
  { "key-up",
    "ku",
    "KeyRelease",
    GST_NAVIGATION_EVENT_KEY_RELEASE,
    { { Field::Key, Presence::Required } } },
  { "touch-down",
    "td",
    "TouchDown",
    GST_NAVIGATION_EVENT_TOUCH_DOWN,
    { { Field::TouchId, Presence::Required },
      { Field::X, Presence::Required },
      { Field::Y, Presence::Required },
      { Field::Pressure, Presence::Optional } } },
  { "touch-move",
    "tm",
    "TouchMotion",
    GST_NAVIGATION_EVENT_TOUCH_MOTION,
    { { Field::TouchId, Presence::Required },
      { Field::X, Presence::Required },
      { Field::Y, Presence::Required },
      { Field::Pressure, Presence::Optional } } },
  { "touch-up",
    "tu",
    "TouchUp",
    GST_NAVIGATION_EVENT_TOUCH_UP,
    { { Field::TouchId, Presence::Required },
      { Field::X, Presence::Required },
      { Field::Y, Presence::Required } } },
  { "touch-frame", "tf", "TouchFrame", GST_NAVIGATION_EVENT_TOUCH_FRAME, {} },
  { "touch-cancel", "tc", "TouchCancel", GST_NAVIGATION_EVENT_TOUCH_CANCEL, {} },
  /* The host's report of the link to a viewer (LinkReport); no layer when
   * the host sends no video. */
  { "link",
    kLinkKind,
    nullptr,
    GST_NAVIGATION_EVENT_INVALID,
    { { Field::LinkEstimate, Presence::Required },
      { Field::LinkLayer, Presence::Optional },
      { Field::LinkBitrate, Presence::Required } },
    Direction::HostToViewer },
};
inline constexpr gsize kKindCount = G_N_ELEMENTS (kKinds);

/* ---- compile-time checks of the tables ---- */
namespace detail {

constexpr bool same (const char *a, const char *b)
{
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

constexpr bool fields_in_order ()
{
  for (gsize i = 0; i < kFieldCount; i++)
    if ((gsize) kFields[i].field != i)
      return false;
  return kFieldCount == (gsize) Field::Count;
}

constexpr bool same_if_named (const char *a, const char *b)
{
  return a && b && same (a, b);
}

constexpr bool kinds_well_formed ()
{
  for (gsize i = 0; i < kKindCount; i++) {
    const KindSpec &k = kKinds[i];
    const bool from_viewer = k.direction == Direction::ViewerToHost;
    if (same (k.compact, kRequestControl))
      return false;
    /* A viewer's kind has both forms and an event; the host's neither. */
    if (from_viewer != (k.control != nullptr) ||
        from_viewer != (k.event != GST_NAVIGATION_EVENT_INVALID))
      return false;
    for (gsize j = 0; j < i; j++)
      if (same (k.name, kKinds[j].name) || same (k.compact, kKinds[j].compact) ||
          same_if_named (k.control, kKinds[j].control) ||
          (from_viewer && k.event == kKinds[j].event))
        return false;
    bool ended = false;
    for (gsize f = 0; f < G_N_ELEMENTS (k.fields); f++) {
      const FieldUse &use = k.fields[f];
      if (use.field == Field::Count) {
        ended = true;
        continue;
      }
      if (ended || use.field == Field::ModifierState)
        return false;
      /* A field of one direction only: a control name exactly for a viewer's. */
      if (from_viewer != (kFields[(gsize) use.field].control != nullptr))
        return false;
      if (use.presence == Presence::WithPrevious && f == 0)
        return false;
      for (gsize g = 0; g < f; g++)
        if (k.fields[g].field == use.field)
          return false;
    }
  }
  return true;
}

constexpr bool is_host_kind (const char *compact)
{
  for (const KindSpec &k : kKinds)
    if (same (k.compact, compact))
      return k.direction == Direction::HostToViewer;
  return false;
}

} // namespace detail

static_assert (detail::fields_in_order (), "kFields must list every Field once, in enum order");
static_assert (detail::kinds_well_formed (),
               "kKinds: names, compact names, control names and events must be unique, fields "
               "listed once each, modifier_state never, unused entries last; a viewer's kinds "
               "have a control name and an event and use fields with control names, the host's "
               "have neither");
static_assert (detail::is_host_kind (kLinkKind), "kKinds must list the host's link report");

/* The kind with compact name (either direction) or control name `name`;
 * the ViewerToHost kind of `event`; null if none. */
const KindSpec *kind_by_compact (const char *name);
const KindSpec *kind_by_control (const char *name);
const KindSpec *kind_by_event (GstNavigationEventType event);
inline const FieldSpec &field_spec (Field field)
{
  return kFields[(gsize) field];
}
/* The fields a kind uses, up to the first unused entry. */
gsize kind_field_count (const KindSpec &kind);

struct InputMessage {
  GstEvent *event = nullptr;    /* a navigation event, owned; null if none */
  bool request_control = false; /* {"t":"request-control"} */
  bool has_id = false;          /* control form: answer with `id` */
  gint64 id = 0;
};

/* Parses one message. `width`/`height` are the stream's size in pixels, used
 * to scale normalised coordinates; 0 if unknown (then compact coordinates
 * stay normalised). Returns false with `error` set when the message is
 * malformed; `out.has_id` may still be set so that the error can be
 * answered. */
bool parse_input_message (const char *data, gsize length, int width, int height, InputMessage &out,
                          std::string &error);

/* {"type":"ControlResponseMessage","id":N,"error":null|"..."} */
std::string make_control_response (gint64 id, const char *error);

/* {"t":"request-control"}: the viewer asks the host for control. */
std::string make_request_control ();

/* Receiver side: a navigation event in pixels of a `width`x`height` stream
 * to the compact form; empty if the event is not one we forward. */
std::string compact_from_event (GstEvent *event, int width, int height);

/* What the host tells a viewer of the link between them ({"t":"link"}). */
struct LinkReport {
  guint64 estimate_bps = 0; /* the host's bandwidth estimate of the link */
  int layer = -1;           /* the video layer the viewer watches, 0..kMaxLinkLayer;
                             * -1: none (no video) */
  guint64 bitrate_bps = 0;  /* what the host sent the viewer lately */
};

/* Host side: {"t":"link","estimate":N,"layer":N,"bitrate":N}, values clamped
 * into the table's ranges, "layer" left out when it is -1. */
std::string make_link_message (const LinkReport &link);

/* Viewer side: one message from the host. Returns false with `error` set
 * when it is malformed or not a kind the host sends. */
bool parse_host_message (const char *data, gsize length, LinkReport &out, std::string &error);

} // namespace gv::nav
