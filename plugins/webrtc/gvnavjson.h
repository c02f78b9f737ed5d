/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input data channel's messages <-> GstNavigation events. Two forms are
 * accepted (see gvwebrtcsink's documentation for the full list):
 *   compact:  {"t":"mm","x":0.5,"y":0.25}       (coordinates normalised 0..1)
 *   gst-plugins-rs control form:
 *     {"id":3,"request":{"type":"navigationEvent",
 *                        "event":{"event":"MouseMove","x":640,"y":360}}}
 *     (coordinates in pixels of the stream), answered with
 *     {"type":"ControlResponseMessage","id":3,"error":null}
 */
#pragma once

#include <gst/gst.h>

#include <string>

namespace gv::nav {

/* Label of the input data channel the host opens to every viewer. */
inline constexpr const char *kChannelLabel = "control";
/* Largest message accepted on the input channel. */
inline constexpr gsize kMaxMessageBytes = 4096;
/* Longest key name accepted ("Return", "Shift_L", "a"). */
inline constexpr gsize kMaxKeyBytes = 32;

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

} // namespace gv::nav
