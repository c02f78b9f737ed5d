/* Fuzz target: one WebSocket text message into the signalling server's
 * parser and validator (signaling/protocol.cpp), then what the server does
 * with it: read its fields, answer a bad one with an error, relay sdp, ice
 * and report to the other peer. Every error and every relayed message must
 * be one the receiving side parses again. */
#include "fuzz_check.h"
#include "protocol.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace proto = gv::proto;

namespace {

/* A peer id as the server makes them (random_id (8)). */
constexpr const char *kPeer = "0123456789abcdef";

bool parses_as (const std::string &text, proto::Type type)
{
  proto::Message msg;
  proto::ParseError error;
  return proto::parse (text.data (), text.size (), msg, error) && msg.type == type;
}

void read_declared_fields (const proto::Message &msg)
{
  for (const proto::FieldInfo &f : proto::type_fields (msg.type)) {
    if (strcmp (f.kind, "string") == 0) {
      std::string value = proto::get_string (msg, f.name);
      if (f.required)
        GV_FUZZ_CHECK ((gint64) value.size () >= f.min && (gint64) value.size () <= f.max);
    } else if (strcmp (f.kind, "int") == 0) {
      gint64 value = proto::get_int (msg, f.name, f.min);
      if (f.required)
        GV_FUZZ_CHECK (value >= f.min && value <= f.max);
    } else {
      proto::get_capabilities (msg, f.name);
    }
    proto::has_field (msg, f.name);
  }
  proto::get_ice_servers (msg);
}

/* What the server sends on, built from the parsed fields as server_ws.cpp
 * builds it. */
void check_relay (const proto::Message &msg)
{
  switch (msg.type) {
  case proto::Type::Sdp:
    GV_FUZZ_CHECK (parses_as (proto::make_sdp (kPeer, proto::get_string (msg, "sdp_type"),
                                               proto::get_string (msg, "sdp")),
                              proto::Type::Sdp));
    break;
  case proto::Type::Ice:
    GV_FUZZ_CHECK (parses_as (proto::make_ice (kPeer, proto::get_string (msg, "candidate"),
                                               (guint) proto::get_int (msg, "sdp_mline_index"),
                                               proto::get_string (msg, "sdp_mid")),
                              proto::Type::Ice));
    break;
  case proto::Type::Report:
    GV_FUZZ_CHECK (parses_as (proto::make_report (kPeer, proto::get_string (msg, "problem"),
                                                  proto::get_string (msg, "detail"),
                                                  proto::get_string (msg, "codec")),
                              proto::Type::Report));
    break;
  case proto::Type::Join:
    GV_FUZZ_CHECK (
        parses_as (proto::make_join_request (kPeer, proto::get_string (msg, "name"), "192.0.2.1"),
                   proto::Type::JoinRequest));
    break;
  default:
    break;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  proto::Message msg;
  proto::ParseError error;
  if (!proto::parse (reinterpret_cast<const char *> (data), size, msg, error)) {
    GV_FUZZ_CHECK (!error.message.empty ());
    /* The server answers with the reason; the client must be able to read it. */
    GV_FUZZ_CHECK (parses_as (proto::make_error (error.code, error.message), proto::Type::Error));
    return 0;
  }
  GV_FUZZ_CHECK (msg.type != proto::Type::Unknown && msg.body);
  GV_FUZZ_CHECK (proto::type_from_name (proto::type_name (msg.type)) == msg.type);
  read_declared_fields (msg);
  check_relay (msg);
  return 0;
}
