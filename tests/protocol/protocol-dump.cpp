/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The C++ definitions of our wire protocols, for parity.test.mjs to compare
 * web/js/protocol.js with:
 *
 *   protocol-dump                          the input data channel's table and
 *                                          constants (plugins/webrtc/gvnavjson.h),
 *                                          the signalling protocol's types, fields,
 *                                          error codes, report problems and limits
 *                                          (signaling/protocol.h)
 *                                          the assistance channel's kinds and limits
 *                                          (plugins/webrtc/gvassistjson.h)
 *                                          and the capability names, as one JSON object
 *   protocol-dump parse-input WIDTH HEIGHT each line of stdin through the host's input
 *                                          parser; one JSON result a line
 *   protocol-dump parse-host               each line of stdin through the viewer's parser
 *                                          of the host's messages; one JSON result a line
 *   protocol-dump make-link EST LAYER RATE the host's link report of those figures
 *   protocol-dump parse-signalling         each line of stdin through the signalling
 *                                          parser; one JSON result a line
 *   protocol-dump parse-assist             each line of stdin through the assistance
 *                                          channel's parser; one JSON result a line
 *   protocol-dump make-chat TEXT           the C++ builders' messages ("" when refused)
 *   protocol-dump make-host-chat FROM PEER TEXT TIME
 *   protocol-dump make-refused WHAT MESSAGE
 *   protocol-dump make-fallback-frame PEER FRAME WIDTH HEIGHT
 *                                          the host's picture message of the JPEG
 *                                          on stdin (in hex), in hex ("" when refused)
 *   protocol-dump parse-fallback-frame     each line of stdin (a message in hex) through
 *                                          the server's picture parser; one JSON result a line
 */
#include "capabilities.h"
#include "fallback_frame.h"
#include "gvassistjson.h"
#include "gvnavjson.h"
#include "protocol.h"

#include <gst/gst.h>
#include <gst/video/navigation.h>
#include <gst/video/video-enumtypes.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

using namespace gv::nav;

/* A string, or null for none. */
void member (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void member (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void member (JsonBuilder *b, const char *name, bool value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

/* A finite number, or null (unbounded, no fallback). */
void number_member (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  if (!std::isfinite (value) || std::fabs (value) >= G_MAXDOUBLE)
    json_builder_add_null_value (b);
  else if (value == std::floor (value) && std::fabs (value) < 1e15)
    json_builder_add_int_value (b, (gint64) value);
  else
    json_builder_add_double_value (b, value);
}

void range_member (JsonBuilder *b, const char *name, gint64 min, gint64 max)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  member (b, "min", min);
  member (b, "max", max);
  json_builder_end_object (b);
}

const char *type_name (FieldType type)
{
  switch (type) {
  case FieldType::Coordinate:
    return "coordinate";
  case FieldType::Integer:
    return "integer";
  case FieldType::Number:
    return "number";
  case FieldType::Key:
    return "key";
  case FieldType::Modifiers:
    return "modifiers";
  }
  return "unknown";
}

const char *presence_name (Presence presence)
{
  switch (presence) {
  case Presence::Required:
    return "required";
  case Presence::Optional:
    return "optional";
  case Presence::WithPrevious:
    return "with-previous";
  }
  return "unknown";
}

const char *direction_name (Direction direction)
{
  switch (direction) {
  case Direction::ViewerToHost:
    return "viewer-to-host";
  case Direction::HostToViewer:
    return "host-to-viewer";
  }
  return "unknown";
}

/* The GstNavigationEventType's nick; null for none (the host's kinds). */
const char *event_nick (GstNavigationEventType event)
{
  if (event == GST_NAVIGATION_EVENT_INVALID)
    return nullptr;
  GEnumClass *klass = (GEnumClass *) g_type_class_ref (GST_TYPE_NAVIGATION_EVENT_TYPE);
  GEnumValue *v = g_enum_get_value (klass, event);
  const char *nick = v ? v->value_nick : "unknown";
  g_type_class_unref (klass);
  return nick;
}

void dump_input (JsonBuilder *b)
{
  json_builder_set_member_name (b, "input");
  json_builder_begin_object (b);
  member (b, "channel_label", kChannelLabel);
  member (b, "max_message_bytes", (gint64) kMaxMessageBytes);
  member (b, "max_key_bytes", (gint64) kMaxKeyBytes);
  member (b, "max_modifier_state_bytes", (gint64) kMaxModifierStateBytes);
  range_member (b, "button", kMinButton, kMaxButton);
  range_member (b, "touch_id", kMinTouchId, kMaxTouchId);
  number_member (b, "max_scroll_delta", kMaxScrollDelta);
  member (b, "kind_field", kKindField);
  member (b, "request_control", kRequestControl);
  member (b, "link_kind", kLinkKind);
  number_member (b, "max_link_bps", kMaxLinkBps);
  member (b, "max_link_layer", (gint64) kMaxLinkLayer);

  json_builder_set_member_name (b, "control_form");
  json_builder_begin_object (b);
  member (b, "id_field", kControlIdField);
  member (b, "request_field", kControlRequestField);
  member (b, "type_field", kControlTypeField);
  member (b, "request_type", kControlRequestType);
  member (b, "event_field", kControlEventField);
  member (b, "error_field", kControlErrorField);
  member (b, "response_type", kControlResponseType);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "fields");
  json_builder_begin_array (b);
  for (const FieldSpec &f : kFields) {
    json_builder_begin_object (b);
    member (b, "name", f.name);
    member (b, "compact", f.compact);
    member (b, "control", f.control);
    member (b, "type", type_name (f.type));
    number_member (b, "min", f.min);
    number_member (b, "max", f.max);
    number_member (b, "fallback", f.fallback);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "kinds");
  json_builder_begin_array (b);
  for (const KindSpec &k : kKinds) {
    json_builder_begin_object (b);
    member (b, "name", k.name);
    member (b, "compact", k.compact);
    member (b, "control", k.control);
    member (b, "event", event_nick (k.event));
    member (b, "direction", direction_name (k.direction));
    json_builder_set_member_name (b, "fields");
    json_builder_begin_array (b);
    for (gsize i = 0; i < kind_field_count (k); i++) {
      json_builder_begin_object (b);
      member (b, "name", field_spec (k.fields[i].field).name);
      member (b, "presence", presence_name (k.fields[i].presence));
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  /* What modifier_state may name: GstNavigationModifierType's nicks. */
  json_builder_set_member_name (b, "modifiers");
  json_builder_begin_array (b);
  GFlagsClass *flags = (GFlagsClass *) g_type_class_ref (GST_TYPE_NAVIGATION_MODIFIER_TYPE);
  for (guint i = 0; i < flags->n_values; i++) {
    json_builder_begin_object (b);
    member (b, "nick", flags->values[i].value_nick);
    member (b, "value", (gint64) flags->values[i].value);
    json_builder_end_object (b);
  }
  g_type_class_unref (flags);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

void dump_signalling (JsonBuilder *b)
{
  namespace proto = gv::proto;
  json_builder_set_member_name (b, "signalling");
  json_builder_begin_object (b);
  member (b, "version", (gint64) proto::kVersion);
  member (b, "pin_min_digits", (gint64) proto::kMinPinDigits);
  member (b, "pin_max_digits", (gint64) proto::kMaxPinDigits);
  member (b, "max_message_bytes", (gint64) proto::kMaxMessageBytes);
  member (b, "max_sdp_bytes", (gint64) proto::kMaxSdpBytes);
  member (b, "max_candidate_bytes", (gint64) proto::kMaxCandidateBytes);
  member (b, "max_name_bytes", (gint64) proto::kMaxNameBytes);
  member (b, "max_reason_bytes", (gint64) proto::kMaxReasonBytes);
  member (b, "max_viewers_limit", (gint64) proto::kMaxViewersLimit);
  member (b, "max_detail_bytes", (gint64) proto::kMaxDetailBytes);
  member (b, "max_codec_bytes", (gint64) proto::kMaxCodecBytes);
  member (b, "max_resume_token_bytes", (gint64) proto::kMaxResumeTokenBytes);
  member (b, "max_invite_token_bytes", (gint64) proto::kMaxInviteTokenBytes);
  member (b, "max_invite_uses", (gint64) proto::kMaxInviteUses);
  member (b, "min_invite_ttl", (gint64) proto::kMinInviteTtlS);
  member (b, "max_invite_ttl", (gint64) proto::kMaxInviteTtlS);

  json_builder_set_member_name (b, "types");
  json_builder_begin_array (b);
  for (const char *name : proto::type_names ()) {
    json_builder_begin_object (b);
    member (b, "name", name);
    json_builder_set_member_name (b, "fields");
    json_builder_begin_array (b);
    for (const proto::FieldInfo &f : proto::type_fields (proto::type_from_name (name))) {
      json_builder_begin_object (b);
      member (b, "name", f.name);
      member (b, "kind", f.kind);
      member (b, "required", f.required);
      member (b, "min", f.min);
      member (b, "max", f.max);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "error_codes");
  json_builder_begin_array (b);
  for (const char *name : proto::error_code_names ())
    json_builder_add_string_value (b, name);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "problems");
  json_builder_begin_array (b);
  for (const char *problem : proto::kProblems)
    json_builder_add_string_value (b, problem);
  json_builder_end_array (b);

  /* The fallback (signaling/fallback_frame.h and the `fallback` and
   * `input` messages). */
  json_builder_set_member_name (b, "fallback_actions");
  json_builder_begin_array (b);
  for (const char *action : proto::kFallbackActions)
    json_builder_add_string_value (b, action);
  json_builder_end_array (b);
  member (b, "max_input_events", (gint64) proto::kMaxInputEvents);
  {
    std::string magic (proto::kFallbackMagic, sizeof proto::kFallbackMagic);
    member (b, "fallback_magic", magic.c_str ());
  }
  member (b, "max_fallback_frame_bytes", (gint64) proto::kMaxFallbackFrameBytes);
  member (b, "max_fallback_in_flight", (gint64) proto::kMaxFallbackInFlight);

  json_builder_set_member_name (b, "reasons");
  json_builder_begin_array (b);
  for (const char *reason : proto::kReasons)
    json_builder_add_string_value (b, reason);
  json_builder_end_array (b);

  /* The WebSocket close codes the server uses (signaling/server_ws.cpp),
   * under the names web/js/protocol.js gives them. */
  json_builder_set_member_name (b, "close_codes");
  json_builder_begin_object (b);
  member (b, "NORMAL", (gint64) SOUP_WEBSOCKET_CLOSE_NORMAL);
  member (b, "GOING_AWAY", (gint64) SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  member (b, "POLICY", (gint64) SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  member (b, "TOO_BIG", (gint64) SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

void dump_capabilities (JsonBuilder *b)
{
  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_array (b);
  for (const gv::CapabilityInfo &c : gv::kCapabilities) {
    json_builder_begin_object (b);
    member (b, "name", c.name);
    member (b, "bit", (gint64) c.bit);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

void dump_assist (JsonBuilder *b)
{
  namespace assist = gv::assist;
  json_builder_set_member_name (b, "assist");
  json_builder_begin_object (b);
  member (b, "channel_label", assist::kChannelLabel);
  member (b, "max_message_bytes", (gint64) assist::kMaxMessageBytes);
  member (b, "max_chat_bytes", (gint64) assist::kMaxChatBytes);
  member (b, "max_name_bytes", (gint64) assist::kMaxNameBytes);
  member (b, "max_peer_length", (gint64) assist::kMaxPeerLength);
  member (b, "max_refused_message_bytes", (gint64) assist::kMaxRefusedMessageBytes);
  member (b, "max_time", assist::kMaxTime);
  member (b, "kind_field", assist::kKindField);
  member (b, "host_peer", assist::kHostPeer);
  member (b, "host_name", assist::kHostName);
  member (b, "chat_refused_message", assist::kChatRefusedMessage);
  member (b, "clipboard_refused_message", assist::kClipboardRefusedMessage);
  member (b, "max_clipboard_bytes", (gint64) assist::kMaxClipboardBytes);
  member (b, "clipboard_chunk_bytes", (gint64) assist::kClipboardChunkBytes);
  json_builder_set_member_name (b, "clipboard_mimes");
  json_builder_begin_array (b);
  for (const char *m : assist::kClipboardMimes)
    json_builder_add_string_value (b, m);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "kinds");
  json_builder_begin_array (b);
  for (const char *k : assist::kKinds)
    json_builder_add_string_value (b, k);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "refused_what");
  json_builder_begin_array (b);
  for (const char *w : assist::kRefusedWhat)
    json_builder_add_string_value (b, w);
  json_builder_end_array (b);
  member (b, "source_refused_message", assist::kSourceRefusedMessage);
  member (b, "max_cursor_size", (gint64) assist::kMaxCursorSize);
  member (b, "min_resize", (gint64) assist::kMinResize);
  member (b, "max_resize", (gint64) assist::kMaxResize);
  member (b, "resize_refused_message", assist::kResizeRefusedMessage);
  member (b, "max_cursor_coordinate", (gint64) assist::kMaxCursorCoordinate);
  member (b, "max_sources", (gint64) assist::kMaxSources);
  member (b, "max_source_name_bytes", (gint64) assist::kMaxSourceNameBytes);
  member (b, "max_source_id_bytes", (gint64) assist::kMaxSourceIdBytes);
  json_builder_set_member_name (b, "source_kinds");
  json_builder_begin_array (b);
  for (const char *k : assist::kSourceKinds)
    json_builder_add_string_value (b, k);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "shared_reasons");
  json_builder_begin_array (b);
  for (const char *r : assist::kSharedReasons)
    json_builder_add_string_value (b, r);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* parse-assist's fields of a message about what is shared. */
void source_fields (JsonBuilder *b, const gv::assist::Message &msg)
{
  namespace assist = gv::assist;
  switch (msg.kind) {
  case assist::Kind::ListSources:
    member (b, "t", assist::kListSourcesKind);
    break;
  case assist::Kind::Share:
    member (b, "t", assist::kShareKind);
    member (b, "source", msg.source.c_str ());
    break;
  case assist::Kind::Sources:
    member (b, "t", assist::kSourcesKind);
    member (b, "current", msg.current.c_str ());
    json_builder_set_member_name (b, "items");
    json_builder_begin_array (b);
    for (const assist::SourceItem &item : msg.sources) {
      json_builder_begin_object (b);
      member (b, "id", item.id.c_str ());
      member (b, "kind", item.kind.c_str ());
      member (b, "name", item.name.c_str ());
      member (b, "width", (gint64) item.width);
      member (b, "height", (gint64) item.height);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    break;
  default:
    member (b, "t", assist::kSharedKind);
    member (b, "source", msg.source.c_str ());
    member (b, "name", msg.name.c_str ());
    member (b, "width", (gint64) msg.width);
    member (b, "height", (gint64) msg.height);
    member (b, "by", msg.by.c_str ());
    member (b, "reason", msg.reason.c_str ());
    break;
  }
}

void print (JsonBuilder *b, bool pretty)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, pretty);
  std::cout << text << "\n";
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
}

void parse_input (int width, int height)
{
  std::string line;
  while (std::getline (std::cin, line)) {
    InputMessage msg;
    std::string error;
    bool ok = parse_input_message (line.c_str (), line.size (), width, height, msg, error);
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    member (b, "ok", ok);
    if (!ok) {
      member (b, "error", error.c_str ());
    } else if (msg.request_control) {
      member (b, "request_control", true);
    } else {
      GstNavigationEventType type = gst_navigation_event_get_type (msg.event);
      const KindSpec *kind = kind_by_event (type);
      member (b, "kind", kind ? kind->name : "unknown");
      member (b, "event", event_nick (type));
      GstNavigationModifierType state = GST_NAVIGATION_MODIFIER_NONE;
      gst_navigation_event_parse_modifier_state (msg.event, &state);
      member (b, "modifier_state", (gint64) state);
      /* The host's own compact form of what it understood. */
      member (b, "compact", compact_from_event (msg.event, width, height).c_str ());
      gst_event_unref (msg.event);
    }
    json_builder_end_object (b);
    print (b, FALSE);
  }
}

void parse_host ()
{
  std::string line;
  while (std::getline (std::cin, line)) {
    LinkReport link;
    std::string error;
    bool ok = parse_host_message (line.c_str (), line.size (), link, error);
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    member (b, "ok", ok);
    if (ok) {
      member (b, "kind", kLinkKind);
      member (b, "estimate", (gint64) link.estimate_bps);
      member (b, "layer", (gint64) link.layer);
      member (b, "bitrate", (gint64) link.bitrate_bps);
    } else {
      member (b, "error", error.c_str ());
    }
    json_builder_end_object (b);
    print (b, FALSE);
  }
}

void parse_signalling ()
{
  namespace proto = gv::proto;
  std::string line;
  while (std::getline (std::cin, line)) {
    proto::Message msg;
    proto::ParseError error;
    bool ok = proto::parse (line.c_str (), line.size (), msg, error);
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    member (b, "ok", ok);
    if (ok) {
      member (b, "type", proto::type_name (msg.type));
    } else {
      member (b, "code", proto::error_code_name (error.code));
      member (b, "error", error.message.c_str ());
    }
    json_builder_end_object (b);
    print (b, FALSE);
  }
}

void parse_assist ()
{
  namespace assist = gv::assist;
  std::string line;
  while (std::getline (std::cin, line)) {
    assist::Message msg;
    std::string error;
    bool ok = assist::parse_message (line.c_str (), line.size (), msg, error);
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    member (b, "ok", ok);
    if (!ok) {
      member (b, "error", error.c_str ());
    } else if (msg.kind == assist::Kind::Clipboard) {
      member (b, "t", assist::kClipboardKind);
      member (b, "id", msg.id.c_str ());
      member (b, "mime", msg.mime.c_str ());
      member (b, "size", (gint64) msg.size);
      member (b, "offset", (gint64) msg.offset);
      gchar *b64 = g_base64_encode ((const guchar *) msg.data.data (), msg.data.size ());
      member (b, "data", b64);
      g_free (b64);
      member (b, "last", msg.last);
    } else if (msg.kind == assist::Kind::ListSources || msg.kind == assist::Kind::Sources ||
               msg.kind == assist::Kind::Share || msg.kind == assist::Kind::Shared) {
      source_fields (b, msg);
    } else if (msg.kind == assist::Kind::Resize) {
      member (b, "t", assist::kResizeKind);
      member (b, "width", (gint64) msg.width);
      member (b, "height", (gint64) msg.height);
    } else if (msg.kind == assist::Kind::Cursor) {
      member (b, "t", assist::kCursorKind);
      member (b, "x", (gint64) msg.x);
      member (b, "y", (gint64) msg.y);
      member (b, "visible", msg.visible);
      member (b, "shape", (gint64) msg.shape);
    } else if (msg.kind == assist::Kind::CursorShape) {
      member (b, "t", assist::kCursorShapeKind);
      member (b, "shape", (gint64) msg.shape);
      member (b, "width", (gint64) msg.width);
      member (b, "height", (gint64) msg.height);
      member (b, "hot_x", (gint64) msg.hot_x);
      member (b, "hot_y", (gint64) msg.hot_y);
      gchar *b64 = g_base64_encode ((const guchar *) msg.data.data (), msg.data.size ());
      member (b, "rgba", b64);
      g_free (b64);
    } else if (msg.kind == assist::Kind::Refused) {
      member (b, "t", assist::kRefusedKind);
      member (b, "what", msg.what.c_str ());
      member (b, "message", msg.message.c_str ());
    } else {
      member (b, "t", assist::kChatKind);
      if (msg.kind == assist::Kind::HostChat) {
        member (b, "from", msg.from.c_str ());
        member (b, "peer", msg.peer.c_str ());
      }
      member (b, "text", msg.text.c_str ());
      if (msg.kind == assist::Kind::HostChat)
        member (b, "time", msg.time);
    }
    json_builder_end_object (b);
    print (b, FALSE);
  }
}

std::string to_hex (const guint8 *data, gsize size)
{
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve (size * 2);
  for (gsize i = 0; i < size; i++) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

/* Hex text to bytes (an odd length or a bad digit ends it). */
std::string from_hex (const std::string &hex)
{
  std::string out;
  for (gsize i = 0; i + 1 < hex.size (); i += 2) {
    int hi = g_ascii_xdigit_value (hex[i]);
    int lo = g_ascii_xdigit_value (hex[i + 1]);
    if (hi < 0 || lo < 0)
      break;
    out += (char) ((hi << 4) | lo);
  }
  return out;
}

void make_fallback_frame (const char *peer, const char *frame, const char *width,
                          const char *height)
{
  std::string jpeg_hex;
  std::getline (std::cin, jpeg_hex);
  std::string jpeg = from_hex (jpeg_hex);
  GBytes *bytes = gv::proto::make_fallback_frame (
      peer, (guint32) g_ascii_strtoull (frame, nullptr, 10), (guint) atoi (width),
      (guint) atoi (height), reinterpret_cast<const guint8 *> (jpeg.data ()), jpeg.size ());
  if (!bytes) {
    std::cout << "\n";
    return;
  }
  gsize size = 0;
  const auto *data = static_cast<const guint8 *> (g_bytes_get_data (bytes, &size));
  std::cout << to_hex (data, size) << "\n";
  g_bytes_unref (bytes);
}

void parse_fallback_frames ()
{
  std::string line;
  while (std::getline (std::cin, line)) {
    std::string bytes = from_hex (line);
    gv::proto::FallbackFrame frame;
    std::string error;
    bool ok = gv::proto::parse_fallback_frame (reinterpret_cast<const guint8 *> (bytes.data ()),
                                               bytes.size (), frame, error);
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    member (b, "ok", ok);
    if (ok) {
      member (b, "peer", frame.peer.c_str ());
      member (b, "frame", (gint64) frame.frame);
      member (b, "width", (gint64) frame.width);
      member (b, "height", (gint64) frame.height);
      member (b, "jpeg", to_hex (frame.jpeg, frame.jpeg_size).c_str ());
    } else {
      member (b, "error", error.c_str ());
    }
    json_builder_end_object (b);
    print (b, FALSE);
  }
}

} // namespace

int main (int argc, char **argv)
{
  gst_init (nullptr, nullptr);
  if (argc == 1) {
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    dump_input (b);
    dump_signalling (b);
    dump_assist (b);
    dump_capabilities (b);
    json_builder_end_object (b);
    print (b, TRUE);
    return 0;
  }
  if (argc == 4 && strcmp (argv[1], "parse-input") == 0) {
    parse_input (atoi (argv[2]), atoi (argv[3]));
    return 0;
  }
  if (argc == 2 && strcmp (argv[1], "parse-signalling") == 0) {
    parse_signalling ();
    return 0;
  }
  if (argc == 2 && strcmp (argv[1], "parse-assist") == 0) {
    parse_assist ();
    return 0;
  }
  if (argc == 3 && strcmp (argv[1], "make-chat") == 0) {
    std::cout << gv::assist::make_chat (argv[2]) << "\n";
    return 0;
  }
  if (argc == 6 && strcmp (argv[1], "make-host-chat") == 0) {
    std::cout << gv::assist::make_host_chat (argv[2], argv[3], argv[4],
                                             g_ascii_strtoll (argv[5], nullptr, 10))
              << "\n";
    return 0;
  }
  if (argc == 4 && strcmp (argv[1], "make-refused") == 0) {
    std::cout << gv::assist::make_refused (argv[2], argv[3]) << "\n";
    return 0;
  }
  if (argc == 6 && strcmp (argv[1], "make-fallback-frame") == 0) {
    make_fallback_frame (argv[2], argv[3], argv[4], argv[5]);
    return 0;
  }
  if (argc == 2 && strcmp (argv[1], "parse-fallback-frame") == 0) {
    parse_fallback_frames ();
    return 0;
  }
  if (argc == 2 && strcmp (argv[1], "parse-host") == 0) {
    parse_host ();
    return 0;
  }
  if (argc == 5 && strcmp (argv[1], "make-link") == 0) {
    LinkReport link;
    link.estimate_bps = g_ascii_strtoull (argv[2], nullptr, 10);
    link.layer = atoi (argv[3]);
    link.bitrate_bps = g_ascii_strtoull (argv[4], nullptr, 10);
    std::cout << make_link_message (link) << "\n";
    return 0;
  }
  std::cerr << "usage: " << argv[0]
            << " [parse-input WIDTH HEIGHT | parse-host | make-link ESTIMATE LAYER BITRATE | "
               "parse-signalling]  (see protocol-dump.cpp)\n";
  return 2;
}
