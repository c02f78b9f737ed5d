#include "protocol.h"

#include <cstring>

namespace gv::proto {
namespace {

struct TypeName {
  Type type;
  const char *name;
};

constexpr TypeName kTypeNames[] = {
  { Type::Register, "register" },
  { Type::Join, "join" },
  { Type::Accept, "accept" },
  { Type::Decline, "decline" },
  { Type::Grant, "grant" },
  { Type::Kick, "kick" },
  { Type::End, "end" },
  { Type::Invite, "invite" },
  { Type::Leave, "leave" },
  { Type::Ping, "ping" },
  { Type::Sdp, "sdp" },
  { Type::Ice, "ice" },
  { Type::Report, "report" },
  { Type::Restart, "restart" },
  { Type::Input, "input" },
  { Type::Fallback, "fallback" },
  { Type::Snapshot, "snapshot" },
  { Type::Registered, "registered" },
  { Type::Waiting, "waiting" },
  { Type::JoinRequest, "join-request" },
  { Type::Joined, "joined" },
  { Type::Capabilities, "capabilities" },
  { Type::PeerLeft, "peer-left" },
  { Type::ResumeToken, "resume-token" },
  { Type::InviteLink, "invite-link" },
  { Type::SessionEnded, "session-ended" },
  { Type::Pong, "pong" },
  { Type::Error, "error" },
};

struct ErrorInfo {
  ErrorCode code;
  const char *name;
  const char *message;
};

constexpr ErrorInfo kErrors[] = {
  { ErrorCode::PinInvalid, "PIN_INVALID",
    "No session has this PIN. Check the digits and try again." },
  { ErrorCode::PinExpired, "PIN_EXPIRED", "This PIN has expired. Ask the host for a new one." },
  { ErrorCode::PinUsed, "PIN_USED", "This PIN has already been used. Ask the host for a new one." },
  { ErrorCode::SessionFull, "SESSION_FULL",
    "The session has no room for another viewer right now." },
  { ErrorCode::RateLimited, "RATE_LIMITED", "Too many attempts. Wait a minute and try again." },
  { ErrorCode::Declined, "DECLINED", "The host declined the request to join." },
  { ErrorCode::BadMessage, "BAD_MESSAGE", "The message is not valid." },
  { ErrorCode::TooLarge, "TOO_LARGE", "The message is too large." },
  { ErrorCode::OriginRejected, "ORIGIN_REJECTED", "This page's origin is not allowed to connect." },
  { ErrorCode::UnsupportedVersion, "UNSUPPORTED_VERSION",
    "This protocol version is not supported." },
  { ErrorCode::NotAllowed, "NOT_ALLOWED", "This message is not allowed here." },
  { ErrorCode::UnknownPeer, "UNKNOWN_PEER", "No such peer in this session." },
  { ErrorCode::ResumeRefused, "RESUME_REFUSED",
    "The session's PIN could not be kept; register again for a new one." },
  { ErrorCode::InviteInvalid, "INVITE_INVALID",
    "This invite link is not valid. Ask the host for a new one." },
  { ErrorCode::InviteExpired, "INVITE_EXPIRED",
    "This invite link has expired. Ask the host for a new one." },
  { ErrorCode::InviteUsed, "INVITE_USED",
    "This invite link has already been used. Ask the host for a new one." },
  { ErrorCode::Internal, "INTERNAL", "The server could not handle the request." },
};

enum class Kind { String, Int, Bool, StringArray, Array };

struct FieldSpec {
  const char *name;
  Kind kind;
  bool required;
  gint64 min; /* Int: minimum value; String: minimum length */
  gint64 max; /* Int: maximum value; String/arrays: maximum length */
};

struct TypeSpec {
  Type type;
  std::vector<FieldSpec> fields;
};

constexpr gint64 kIdMax = 64;

const std::vector<TypeSpec> &type_specs ()
{
  static const std::vector<TypeSpec> specs = {
    { Type::Register,
      { { "version", Kind::Int, false, 0, G_MAXINT },
        { "max_viewers", Kind::Int, false, 1, kMaxViewersLimit },
        { "pin_ttl", Kind::Int, false, 1, 24 * 3600 },
        { "name", Kind::String, false, 0, kMaxNameBytes },
        { "resume_token", Kind::String, false, 1, (gint64) kMaxResumeTokenBytes },
        { "reservation", Kind::String, false, 1, (gint64) kMaxResumeTokenBytes } } },
    { Type::Join,
      { { "version", Kind::Int, false, 0, G_MAXINT },
        { "pin", Kind::String, false, 0, 32 },
        { "invite", Kind::String, false, 1, (gint64) kMaxInviteTokenBytes },
        { "ingest", Kind::String, false, 1, kMaxIngestIdBytes },
        { "name", Kind::String, false, 0, kMaxNameBytes } } },
    { Type::Accept,
      { { "peer", Kind::String, true, 1, kIdMax },
        { "capabilities", Kind::StringArray, false, 0, 8 } } },
    { Type::Decline,
      { { "peer", Kind::String, true, 1, kIdMax },
        { "reason", Kind::String, false, 0, kMaxReasonBytes } } },
    { Type::Grant,
      { { "peer", Kind::String, true, 1, kIdMax },
        { "capabilities", Kind::StringArray, true, 0, 8 } } },
    { Type::Kick,
      { { "peer", Kind::String, true, 1, kIdMax },
        { "reason", Kind::String, false, 0, kMaxReasonBytes } } },
    { Type::End, {} },
    { Type::Invite,
      { { "capabilities", Kind::StringArray, true, 0, 8 },
        { "uses", Kind::Int, false, 1, kMaxInviteUses },
        { "ttl", Kind::Int, false, kMinInviteTtlS, kMaxInviteTtlS } } },
    { Type::InviteLink,
      { { "token", Kind::String, true, 1, (gint64) kMaxInviteTokenBytes },
        { "capabilities", Kind::StringArray, true, 0, 8 },
        { "uses", Kind::Int, true, 1, kMaxInviteUses },
        { "expires_at", Kind::Int, true, 0, G_MAXINT64 },
        { "url", Kind::String, false, 0, 2048 } } },
    { Type::Leave, {} },
    { Type::Ping, {} },
    { Type::Pong, {} },
    { Type::Sdp,
      { { "peer", Kind::String, false, 0, kIdMax },
        { "sdp_type", Kind::String, true, 1, 16 },
        { "sdp", Kind::String, true, 1, kMaxSdpBytes } } },
    { Type::Ice,
      { { "peer", Kind::String, false, 0, kIdMax },
        { "candidate", Kind::String, true, 0, kMaxCandidateBytes },
        { "sdp_mline_index", Kind::Int, true, 0, 255 },
        { "sdp_mid", Kind::String, false, 0, kIdMax } } },
    { Type::Report,
      { { "peer", Kind::String, false, 0, kIdMax },
        { "problem", Kind::String, true, 1, 32 },
        { "detail", Kind::String, false, 0, kMaxDetailBytes },
        { "codec", Kind::String, false, 0, kMaxCodecBytes } } },
    { Type::Restart, { { "peer", Kind::String, false, 0, kIdMax } } },
    { Type::Input,
      { { "peer", Kind::String, false, 0, kIdMax },
        { "events", Kind::Array, true, 1, kMaxInputEvents } } },
    { Type::Fallback,
      { { "peer", Kind::String, false, 0, kIdMax },
        { "action", Kind::String, true, 1, 16 },
        { "frame", Kind::Int, false, 0, G_MAXUINT32 },
        { "reason", Kind::String, false, 0, kMaxReasonBytes } } },
    { Type::Snapshot,
      { { "request", Kind::String, true, 1, kIdMax },
        { "by", Kind::String, false, 0, kMaxNameBytes },
        { "reason", Kind::String, false, 0, kMaxReasonBytes } } },
    { Type::Registered,
      { { "session", Kind::String, true, 1, kIdMax },
        { "peer", Kind::String, true, 1, kIdMax },
        { "pin", Kind::String, true, kMinPinDigits, kMaxPinDigits },
        { "expires_at", Kind::Int, true, 0, G_MAXINT64 },
        { "pin_ttl", Kind::Int, false, 0, G_MAXINT },
        { "max_viewers", Kind::Int, false, 1, kMaxViewersLimit },
        { "viewer_url", Kind::String, false, 0, 2048 },
        { "ice_servers", Kind::Array, false, 0, 16 },
        { "resume_token", Kind::String, false, 1, (gint64) kMaxResumeTokenBytes } } },
    { Type::Waiting,
      { { "session", Kind::String, true, 1, kIdMax }, { "peer", Kind::String, true, 1, kIdMax } } },
    { Type::JoinRequest,
      { { "peer", Kind::String, true, 1, kIdMax },
        { "name", Kind::String, false, 0, kMaxNameBytes },
        { "address", Kind::String, false, 0, 128 },
        { "capabilities", Kind::StringArray, false, 0, 8 },
        { "offers", Kind::Bool, false, 0, 0 } } },
    { Type::Joined,
      { { "session", Kind::String, true, 1, kIdMax },
        { "peer", Kind::String, true, 1, kIdMax },
        { "capabilities", Kind::StringArray, true, 0, 8 },
        { "ice_servers", Kind::Array, false, 0, 16 } } },
    { Type::Capabilities, { { "capabilities", Kind::StringArray, true, 0, 8 } } },
    { Type::PeerLeft,
      { { "peer", Kind::String, true, 1, kIdMax },
        { "reason", Kind::String, false, 0, kMaxReasonBytes } } },
    { Type::ResumeToken,
      { { "resume_token", Kind::String, true, 1, (gint64) kMaxResumeTokenBytes } } },
    { Type::SessionEnded,
      { { "reason", Kind::String, false, 0, kMaxReasonBytes },
        { "message", Kind::String, false, 0, 1024 } } },
    { Type::Error,
      { { "code", Kind::String, true, 1, 64 },
        { "message", Kind::String, false, 0, 1024 },
        { "ref", Kind::String, false, 0, 64 },
        { "reason", Kind::String, false, 0, kMaxReasonBytes } } },
  };
  return specs;
}

const TypeSpec *spec_for (Type type)
{
  for (const auto &s : type_specs ())
    if (s.type == type)
      return &s;
  return nullptr;
}

} // namespace

bool nesting_within (const char *data, gsize length, int limit)
{
  int depth = 0;
  bool in_string = false;
  for (gsize i = 0; i < length; i++) {
    char c = data[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > limit)
        return false;
    } else if (c == '}' || c == ']')
      depth--;
  }
  return true;
}

namespace {

bool is_fallback_action (const char *action)
{
  for (const char *a : kFallbackActions)
    if (strcmp (a, action) == 0)
      return true;
  return false;
}

/* Text shown to a person on another machine (a report's detail, on the
 * host's console and page): one line, no control characters, so it cannot
 * forge lines of its own. */
bool is_one_line (const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
      return false;
  }
  return true;
}

/* `text` cut to at most `bytes` bytes, never inside a character. */
std::string truncate_utf8 (const std::string &text, gsize bytes)
{
  if (text.size () <= bytes)
    return text;
  const char *start = text.c_str ();
  const char *end = start;
  while (*end) {
    const char *next = g_utf8_next_char (end);
    if ((gsize) (next - start) > bytes)
      break;
    end = next;
  }
  return std::string (start, end);
}

/* Longest reason parse () gives; its "error" reply allows 1024 bytes. */
constexpr gsize kMaxParseErrorBytes = 512;

/* The reason goes back to the peer in an "error" message, so it must be
 * UTF-8 and fit: json-glib's own messages quote the bad input, and a JSON
 * escape such as \ud800 decodes to bytes that are not UTF-8. */
bool fail (ParseError &error, ErrorCode code, const std::string &message)
{
  gchar *valid = g_utf8_make_valid (message.c_str (), (gssize) strlen (message.c_str ()));
  error.code = code;
  error.message = truncate_utf8 (valid, kMaxParseErrorBytes);
  g_free (valid);
  return false;
}

bool check_field (JsonObject *obj, const FieldSpec &f, ParseError &error)
{
  JsonNode *node = json_object_get_member (obj, f.name);
  if (!node || JSON_NODE_HOLDS_NULL (node)) {
    if (f.required)
      return fail (error, ErrorCode::BadMessage, std::string ("missing field \"") + f.name + "\"");
    return true;
  }
  switch (f.kind) {
  case Kind::String: {
    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
      return fail (error, ErrorCode::BadMessage,
                   std::string ("\"") + f.name + "\" must be a string");
    const char *s = json_node_get_string (node);
    gsize len = strlen (s);
    if ((gint64) len < f.min || (gint64) len > f.max)
      return fail (error, ErrorCode::BadMessage,
                   std::string ("\"") + f.name + "\" has a bad length");
    if (!g_utf8_validate (s, -1, nullptr))
      return fail (error, ErrorCode::BadMessage, std::string ("\"") + f.name + "\" is not UTF-8");
    return true;
  }
  case Kind::Int: {
    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
      return fail (error, ErrorCode::BadMessage,
                   std::string ("\"") + f.name + "\" must be an integer");
    gint64 v = json_node_get_int (node);
    if (v < f.min || v > f.max)
      return fail (error, ErrorCode::BadMessage,
                   std::string ("\"") + f.name + "\" is out of range");
    return true;
  }
  case Kind::Bool:
    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
      return fail (error, ErrorCode::BadMessage,
                   std::string ("\"") + f.name + "\" must be a boolean");
    return true;
  case Kind::StringArray:
  case Kind::Array: {
    if (!JSON_NODE_HOLDS_ARRAY (node))
      return fail (error, ErrorCode::BadMessage,
                   std::string ("\"") + f.name + "\" must be an array");
    JsonArray *arr = json_node_get_array (node);
    guint n = json_array_get_length (arr);
    if ((gint64) n > f.max)
      return fail (error, ErrorCode::BadMessage, std::string ("\"") + f.name + "\" is too long");
    if ((gint64) n < f.min)
      return fail (error, ErrorCode::BadMessage, std::string ("\"") + f.name + "\" is empty");
    if (f.kind == Kind::StringArray) {
      for (guint i = 0; i < n; i++) {
        JsonNode *el = json_array_get_element (arr, i);
        if (!JSON_NODE_HOLDS_VALUE (el) || json_node_get_value_type (el) != G_TYPE_STRING ||
            strlen (json_node_get_string (el)) > 32)
          return fail (error, ErrorCode::BadMessage,
                       std::string ("\"") + f.name + "\" must hold short strings");
      }
    }
    return true;
  }
  }
  return true;
}

/* Builder helpers. */
struct Builder {
  JsonBuilder *b = json_builder_new ();
  explicit Builder (Type type)
  {
    json_builder_begin_object (b);
    str ("type", type_name (type));
  }
  ~Builder () { g_object_unref (b); }
  Builder (const Builder &) = delete;
  Builder &operator= (const Builder &) = delete;

  Builder &str (const char *k, const std::string &v)
  {
    json_builder_set_member_name (b, k);
    json_builder_add_string_value (b, v.c_str ());
    return *this;
  }
  Builder &opt_str (const char *k, const std::string &v) { return v.empty () ? *this : str (k, v); }
  Builder &num (const char *k, gint64 v)
  {
    json_builder_set_member_name (b, k);
    json_builder_add_int_value (b, v);
    return *this;
  }
  Builder &boolean (const char *k, bool v)
  {
    json_builder_set_member_name (b, k);
    json_builder_add_boolean_value (b, v);
    return *this;
  }
  Builder &caps (guint c)
  {
    json_builder_set_member_name (b, "capabilities");
    json_builder_begin_array (b);
    for (const auto &n : capability_names (c))
      json_builder_add_string_value (b, n.c_str ());
    json_builder_end_array (b);
    return *this;
  }
  Builder &ice (const std::vector<IceServer> &servers)
  {
    json_builder_set_member_name (b, "ice_servers");
    json_builder_begin_array (b);
    for (const auto &s : servers) {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "urls");
      json_builder_begin_array (b);
      for (const auto &u : s.urls)
        json_builder_add_string_value (b, u.c_str ());
      json_builder_end_array (b);
      if (!s.username.empty ()) {
        json_builder_set_member_name (b, "username");
        json_builder_add_string_value (b, s.username.c_str ());
        json_builder_set_member_name (b, "credential");
        json_builder_add_string_value (b, s.credential.c_str ());
      }
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    return *this;
  }
  std::string text ()
  {
    json_builder_end_object (b);
    JsonNode *root = json_builder_get_root (b);
    gchar *s = json_to_string (root, FALSE);
    std::string out (s);
    g_free (s);
    json_node_unref (root);
    return out;
  }
};

} // namespace

const char *type_name (Type type)
{
  for (const auto &t : kTypeNames)
    if (t.type == type)
      return t.name;
  return "unknown";
}

Type type_from_name (const char *name)
{
  if (!name)
    return Type::Unknown;
  for (const auto &t : kTypeNames)
    if (strcmp (t.name, name) == 0)
      return t.type;
  return Type::Unknown;
}

std::vector<const char *> type_names ()
{
  std::vector<const char *> out;
  for (const auto &t : kTypeNames)
    out.push_back (t.name);
  return out;
}

std::vector<FieldInfo> type_fields (Type type)
{
  std::vector<FieldInfo> out;
  const TypeSpec *spec = spec_for (type);
  if (!spec)
    return out;
  for (const FieldSpec &f : spec->fields) {
    const char *kind = f.kind == Kind::String        ? "string"
                       : f.kind == Kind::Int         ? "int"
                       : f.kind == Kind::StringArray ? "string-array"
                                                     : "array";
    out.push_back ({ f.name, kind, f.required, f.min, f.max });
  }
  return out;
}

std::vector<const char *> error_code_names ()
{
  std::vector<const char *> out;
  for (const auto &e : kErrors)
    out.push_back (e.name);
  return out;
}

const char *error_code_name (ErrorCode code)
{
  for (const auto &e : kErrors)
    if (e.code == code)
      return e.name;
  return "INTERNAL";
}

std::optional<ErrorCode> error_code_from_name (const char *name)
{
  if (!name)
    return std::nullopt;
  for (const auto &e : kErrors)
    if (strcmp (e.name, name) == 0)
      return e.code;
  return std::nullopt;
}

const char *error_code_default_message (ErrorCode code)
{
  for (const auto &e : kErrors)
    if (e.code == code)
      return e.message;
  return "Unknown error.";
}

std::vector<std::string> capability_names (guint caps)
{
  std::vector<std::string> out;
  for (const CapabilityInfo &c : kCapabilities)
    if (caps & c.bit)
      out.emplace_back (c.name);
  return out;
}

std::optional<guint> capability_from_name (const char *name)
{
  for (const CapabilityInfo &c : kCapabilities)
    if (name && strcmp (name, c.name) == 0)
      return (guint) c.bit;
  return std::nullopt;
}

bool parse (const char *data, gsize length, Message &out, ParseError &error)
{
  if (length > kMaxMessageBytes)
    return fail (error, ErrorCode::TooLarge,
                 "message of " + std::to_string (length) + " bytes exceeds the limit of " +
                     std::to_string (kMaxMessageBytes));
  if (!data || length == 0)
    return fail (error, ErrorCode::BadMessage, "empty message");
  if (!g_utf8_validate (data, (gssize) length, nullptr))
    return fail (error, ErrorCode::BadMessage, "message is not UTF-8 text");
  if (!nesting_within (data, length, 16))
    return fail (error, ErrorCode::BadMessage, "message is nested too deeply");

  JsonParser *parser = json_parser_new_immutable ();
  GError *err = nullptr;
  if (!json_parser_load_from_data (parser, data, (gssize) length, &err)) {
    std::string why = std::string ("message is not JSON: ") + (err ? err->message : "?");
    g_clear_error (&err);
    g_object_unref (parser);
    return fail (error, ErrorCode::BadMessage, why);
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_object_unref (parser);
    return fail (error, ErrorCode::BadMessage, "message is not a JSON object");
  }
  JsonObjectPtr obj (json_object_ref (json_node_get_object (root)));
  g_object_unref (parser);

  JsonNode *type_node = json_object_get_member (obj.get (), "type");
  if (!type_node || !JSON_NODE_HOLDS_VALUE (type_node) ||
      json_node_get_value_type (type_node) != G_TYPE_STRING)
    return fail (error, ErrorCode::BadMessage, "message has no \"type\"");
  const char *tname = json_node_get_string (type_node);
  Type type = type_from_name (tname);
  const TypeSpec *spec = spec_for (type);
  if (!spec) {
    std::string shown (tname, strnlen (tname, 32));
    return fail (error, ErrorCode::BadMessage, "unknown message type \"" + shown + "\"");
  }

  JsonNode *version = json_object_get_member (obj.get (), "version");
  if (version && JSON_NODE_HOLDS_VALUE (version) &&
      json_node_get_value_type (version) == G_TYPE_INT64 && json_node_get_int (version) != kVersion)
    return fail (error, ErrorCode::UnsupportedVersion,
                 "protocol version " + std::to_string (json_node_get_int (version)) +
                     " is not supported; this server speaks version " + std::to_string (kVersion));

  for (const auto &f : spec->fields)
    if (!check_field (obj.get (), f, error))
      return false;

  if (type == Type::Join && json_object_has_member (obj.get (), "pin") +
                                    json_object_has_member (obj.get (), "invite") +
                                    json_object_has_member (obj.get (), "ingest") !=
                                1)
    return fail (error, ErrorCode::BadMessage,
                 "a join carries a \"pin\", an \"invite\" or an \"ingest\"");
  if (type == Type::Sdp) {
    const char *st = json_object_get_string_member (obj.get (), "sdp_type");
    if (strcmp (st, "offer") != 0 && strcmp (st, "answer") != 0)
      return fail (error, ErrorCode::BadMessage, "\"sdp_type\" must be \"offer\" or \"answer\"");
  }
  if (type == Type::Report) {
    const char *problem = json_object_get_string_member (obj.get (), "problem");
    if (!is_problem (problem))
      return fail (error, ErrorCode::BadMessage,
                   "unknown problem \"" + std::string (problem, strnlen (problem, 32)) + "\"");
    for (const char *field : { "detail", "codec" }) {
      JsonNode *node = json_object_get_member (obj.get (), field);
      if (node && JSON_NODE_HOLDS_VALUE (node) && !is_one_line (json_node_get_string (node)))
        return fail (error, ErrorCode::BadMessage,
                     std::string ("\"") + field + "\" must be one line of text");
    }
  }
  if (type == Type::Fallback || type == Type::Snapshot) {
    if (type == Type::Fallback &&
        !is_fallback_action (json_object_get_string_member (obj.get (), "action")))
      return fail (error, ErrorCode::BadMessage, "unknown fallback \"action\"");
    /* The host's reason is shown on the viewer's page. */
    JsonNode *reason = json_object_get_member (obj.get (), "reason");
    if (reason && JSON_NODE_HOLDS_VALUE (reason) && !is_one_line (json_node_get_string (reason)))
      return fail (error, ErrorCode::BadMessage, "\"reason\" must be one line of text");
  }
  if (type == Type::Input) {
    JsonArray *events = json_object_get_array_member (obj.get (), "events");
    for (guint i = 0; i < json_array_get_length (events); i++)
      if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (events, i)))
        return fail (error, ErrorCode::BadMessage, "\"events\" must hold objects");
  }
  JsonNode *caps_node = json_object_get_member (obj.get (), "capabilities");
  /* (An optional field sent as null counts as absent: not an array here;
   * found by fuzzing, 2026-12-03.) */
  if (caps_node && JSON_NODE_HOLDS_ARRAY (caps_node) &&
      (type == Type::Accept || type == Type::Grant)) {
    JsonArray *arr = json_node_get_array (caps_node);
    for (guint i = 0; i < json_array_get_length (arr); i++)
      if (!capability_from_name (json_array_get_string_element (arr, i)))
        return fail (error, ErrorCode::BadMessage,
                     std::string ("unknown capability \"") +
                         json_array_get_string_element (arr, i) + "\"");
  }

  out.type = type;
  out.body = std::move (obj);
  return true;
}

bool is_problem (const char *name)
{
  for (const char *p : kProblems)
    if (name && strcmp (name, p) == 0)
      return true;
  return false;
}

/* A member that is a string, or "" (json-glib's getters give NULL for a
 * member of another type: a number as "username" crashed the signaller). */
static std::string string_member (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

std::string get_string (const Message &msg, const char *field, const char *fallback)
{
  JsonNode *node = msg.body ? json_object_get_member (msg.body.get (), field) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (node);
}

gint64 get_int (const Message &msg, const char *field, gint64 fallback)
{
  JsonNode *node = msg.body ? json_object_get_member (msg.body.get (), field) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

bool get_bool (const Message &msg, const char *field)
{
  JsonNode *node = msg.body ? json_object_get_member (msg.body.get (), field) : nullptr;
  return node && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

bool has_field (const Message &msg, const char *field)
{
  return msg.body && json_object_has_member (msg.body.get (), field);
}

guint get_capabilities (const Message &msg, const char *field)
{
  JsonNode *node = msg.body ? json_object_get_member (msg.body.get (), field) : nullptr;
  if (!node || !JSON_NODE_HOLDS_ARRAY (node))
    return 0;
  guint caps = 0;
  JsonArray *arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *el = json_array_get_element (arr, i);
    if (JSON_NODE_HOLDS_VALUE (el) && json_node_get_value_type (el) == G_TYPE_STRING)
      caps |= capability_from_name (json_node_get_string (el)).value_or (0);
  }
  return caps;
}

std::vector<IceServer> get_ice_servers (const Message &msg)
{
  std::vector<IceServer> out;
  JsonNode *node = msg.body ? json_object_get_member (msg.body.get (), "ice_servers") : nullptr;
  if (!node || !JSON_NODE_HOLDS_ARRAY (node))
    return out;
  JsonArray *arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *el = json_array_get_element (arr, i);
    if (!JSON_NODE_HOLDS_OBJECT (el))
      continue;
    JsonObject *o = json_node_get_object (el);
    IceServer s;
    JsonNode *urls = json_object_get_member (o, "urls");
    if (urls && JSON_NODE_HOLDS_ARRAY (urls)) {
      JsonArray *ua = json_node_get_array (urls);
      for (guint j = 0; j < json_array_get_length (ua); j++) {
        JsonNode *u = json_array_get_element (ua, j);
        if (JSON_NODE_HOLDS_VALUE (u) && json_node_get_value_type (u) == G_TYPE_STRING)
          s.urls.emplace_back (json_node_get_string (u));
      }
    }
    s.username = string_member (o, "username");
    s.credential = string_member (o, "credential");
    if (!s.urls.empty ())
      out.push_back (std::move (s));
  }
  return out;
}

std::string make_register (const RegisterParams &p)
{
  Builder b (Type::Register);
  b.num ("version", kVersion).num ("max_viewers", p.max_viewers);
  if (p.pin_ttl_s > 0)
    b.num ("pin_ttl", p.pin_ttl_s);
  return b.opt_str ("name", p.name)
      .opt_str ("resume_token", p.resume_token)
      .opt_str ("reservation", p.reservation)
      .text ();
}

std::string make_join (const std::string &pin, const std::string &name)
{
  return Builder (Type::Join)
      .num ("version", kVersion)
      .str ("pin", pin)
      .opt_str ("name", name)
      .text ();
}

std::string make_join_by_invite (const std::string &token, const std::string &name)
{
  return Builder (Type::Join)
      .num ("version", kVersion)
      .str ("invite", token)
      .opt_str ("name", name)
      .text ();
}

std::string make_join_for_ingest (const std::string &ingest, const std::string &name)
{
  return Builder (Type::Join)
      .num ("version", kVersion)
      .str ("ingest", ingest)
      .opt_str ("name", name)
      .text ();
}

std::string make_invite (guint capabilities, int uses, int ttl_s)
{
  Builder b (Type::Invite);
  b.caps (capabilities | GV_CAPABILITY_VIEW).num ("uses", uses);
  if (ttl_s > 0)
    b.num ("ttl", ttl_s);
  return b.text ();
}

std::string make_accept (const std::string &peer, guint capabilities)
{
  return Builder (Type::Accept).str ("peer", peer).caps (capabilities).text ();
}

std::string make_decline (const std::string &peer, const std::string &reason)
{
  return Builder (Type::Decline).str ("peer", peer).opt_str ("reason", reason).text ();
}

std::string make_grant (const std::string &peer, guint capabilities)
{
  return Builder (Type::Grant).str ("peer", peer).caps (capabilities).text ();
}

std::string make_kick (const std::string &peer, const std::string &reason)
{
  return Builder (Type::Kick).str ("peer", peer).opt_str ("reason", reason).text ();
}

std::string make_end ()
{
  return Builder (Type::End).text ();
}
std::string make_leave ()
{
  return Builder (Type::Leave).text ();
}
std::string make_ping ()
{
  return Builder (Type::Ping).text ();
}
std::string make_pong ()
{
  return Builder (Type::Pong).text ();
}

std::string make_sdp (const std::string &peer, const std::string &sdp_type, const std::string &sdp)
{
  return Builder (Type::Sdp)
      .opt_str ("peer", peer)
      .str ("sdp_type", sdp_type)
      .str ("sdp", sdp)
      .text ();
}

std::string make_ice (const std::string &peer, const std::string &candidate, guint mline_index,
                      const std::string &mid)
{
  return Builder (Type::Ice)
      .opt_str ("peer", peer)
      .str ("candidate", candidate)
      .num ("sdp_mline_index", mline_index)
      .opt_str ("sdp_mid", mid)
      .text ();
}

std::string make_report (const std::string &peer, const std::string &problem,
                         const std::string &detail, const std::string &codec)
{
  return Builder (Type::Report)
      .opt_str ("peer", peer)
      .str ("problem", problem)
      .opt_str ("detail", truncate_utf8 (detail, kMaxDetailBytes))
      .opt_str ("codec", truncate_utf8 (codec, kMaxCodecBytes))
      .text ();
}

std::string make_restart (const std::string &peer)
{
  return Builder (Type::Restart).opt_str ("peer", peer).text ();
}

std::string make_fallback (const std::string &peer, const char *action, guint32 frame,
                           const std::string &reason)
{
  Builder b (Type::Fallback);
  b.opt_str ("peer", peer).str ("action", action);
  if (frame)
    b.num ("frame", frame);
  return b.opt_str ("reason", truncate_utf8 (reason, kMaxReasonBytes)).text ();
}

std::string make_input (const std::string &peer, JsonArray *events)
{
  Builder b (Type::Input);
  b.opt_str ("peer", peer);
  json_builder_set_member_name (b.b, "events");
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, events);
  json_builder_add_value (b.b, node); /* takes the node */
  return b.text ();
}

std::string make_snapshot (const std::string &request, const std::string &by,
                           const std::string &reason)
{
  return Builder (Type::Snapshot)
      .str ("request", request)
      .opt_str ("by", truncate_utf8 (by, kMaxNameBytes))
      .opt_str ("reason", truncate_utf8 (reason, kMaxReasonBytes))
      .text ();
}

std::string make_registered (const RegisteredParams &p)
{
  return Builder (Type::Registered)
      .num ("version", kVersion)
      .str ("session", p.session)
      .str ("peer", p.peer)
      .str ("pin", p.pin)
      .num ("expires_at", p.expires_at)
      .num ("pin_ttl", p.pin_ttl_s)
      .num ("max_viewers", p.max_viewers)
      .opt_str ("viewer_url", p.viewer_url)
      .ice (p.ice_servers)
      .opt_str ("resume_token", p.resume_token)
      .text ();
}

std::string make_resume_token (const std::string &token)
{
  return Builder (Type::ResumeToken).str ("resume_token", token).text ();
}

std::string make_invite_link (const InviteLinkParams &p)
{
  return Builder (Type::InviteLink)
      .str ("token", p.token)
      .caps (p.capabilities)
      .num ("uses", p.uses)
      .num ("expires_at", p.expires_at)
      .opt_str ("url", p.url)
      .text ();
}

std::string make_waiting (const std::string &session, const std::string &peer)
{
  return Builder (Type::Waiting).str ("session", session).str ("peer", peer).text ();
}

std::string make_join_request (const std::string &peer, const std::string &name,
                               const std::string &address, guint invite_capabilities, bool offers)
{
  Builder b (Type::JoinRequest);
  b.str ("peer", peer).opt_str ("name", name).opt_str ("address", address);
  if (invite_capabilities)
    b.caps (invite_capabilities);
  if (offers)
    b.boolean ("offers", true);
  return b.text ();
}

std::string make_joined (const std::string &session, const std::string &peer, guint capabilities,
                         const std::vector<IceServer> &ice_servers)
{
  return Builder (Type::Joined)
      .num ("version", kVersion)
      .str ("session", session)
      .str ("peer", peer)
      .caps (capabilities)
      .ice (ice_servers)
      .text ();
}

std::string make_capabilities (guint capabilities)
{
  return Builder (Type::Capabilities).caps (capabilities).text ();
}

std::string make_peer_left (const std::string &peer, const char *reason)
{
  return Builder (Type::PeerLeft).str ("peer", peer).str ("reason", reason).text ();
}

std::string make_session_ended (const char *reason, const std::string &message)
{
  Builder b (Type::SessionEnded);
  b.str ("reason", reason);
  if (!message.empty ())
    b.str ("message", message);
  return b.text ();
}

std::string make_error (ErrorCode code, const std::string &message, Type ref,
                        const std::string &reason)
{
  Builder b (Type::Error);
  b.str ("code", error_code_name (code))
      .str ("message", message.empty () ? error_code_default_message (code) : message);
  if (ref != Type::Unknown)
    b.str ("ref", type_name (ref));
  if (!reason.empty ())
    b.str ("reason", reason);
  return b.text ();
}

} // namespace gv::proto
