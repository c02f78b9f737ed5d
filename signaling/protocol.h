/* GhostView signalling protocol: the one definition of the wire format.
 *
 * Every message is a JSON object tagged by "type". This header is used by
 * the server (signaling/) and by the GStreamer signaller (plugins/webrtc);
 * PROTOCOL.md is its prose description and must be kept in step.
 */
#pragma once

#include "capabilities.h"

#include <json-glib/json-glib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gv::proto {

inline constexpr int kVersion = 1;
/* Largest accepted message, in bytes of JSON text. */
inline constexpr gsize kMaxMessageBytes = 64 * 1024;
inline constexpr gsize kMaxSdpBytes = 60 * 1024;
inline constexpr gsize kMaxCandidateBytes = 1024;
inline constexpr gsize kMaxNameBytes = 64;
inline constexpr gsize kMaxReasonBytes = 256;
/* A viewer's report (type "report"): its `detail`, for people, and the
 * `codec` it names. */
inline constexpr gsize kMaxDetailBytes = 256;
inline constexpr gsize kMaxCodecBytes = 32;
inline constexpr int kMaxViewersLimit = 64;
/* A PIN is 6 digits, or 9 for sessions created while the server sees a
 * flood of wrong PINs (SECURITY.md, "PIN guessing"); every PIN field takes
 * anything in between. */
inline constexpr int kMinPinDigits = 6;
inline constexpr int kMaxPinDigits = 9;
/* A host's resume token (opaque to clients; see PROTOCOL.md). */
inline constexpr gsize kMaxResumeTokenBytes = 256;
/* An invite link's token (opaque to clients; see PROTOCOL.md, "Invite
 * links"), the viewers one link admits, and how long it lives. */
inline constexpr gsize kMaxInviteTokenBytes = 256;
inline constexpr int kMaxInviteUses = 64;
inline constexpr int kMinInviteTtlS = 60;
inline constexpr int kMaxInviteTtlS = 24 * 3600;

enum class Type {
  Unknown,
  /* client -> server */
  Register, /* host: create a session */
  Join,     /* viewer: join by PIN or invite token */
  Accept,   /* host: admit a viewer, granting capabilities */
  Decline,  /* host: refuse a viewer */
  Grant,    /* host: change a viewer's capabilities */
  Kick,     /* host: remove a viewer */
  End,      /* host: end the session */
  Invite,   /* host: make an invite link */
  Leave,    /* viewer: leave */
  Ping,
  /* both directions (relayed between host and one viewer) */
  Sdp,
  Ice,
  /* viewer -> host (relayed) */
  Report,  /* why the viewer sees no picture (or that it is back) */
  Restart, /* the viewer asks for a new peer connection: a fresh offer */
  Input,   /* the fallback's input events (the input data channel's messages) */
  /* both directions, relayed: the fallback stream over this socket */
  Fallback,
  /* server -> host: one still for the snapshot API; host -> server: refused */
  Snapshot,
  /* server -> client */
  Registered,   /* to host: session id, PIN, expiry, ICE servers */
  Waiting,      /* to viewer: join request is with the host */
  JoinRequest,  /* to host: a viewer asks to join */
  Joined,       /* to viewer: admitted, with capabilities and ICE servers */
  Capabilities, /* to viewer: capabilities changed */
  PeerLeft,     /* to host: a viewer went away */
  ResumeToken,  /* to host: a fresh token after its session spent a use */
  InviteLink,   /* to host: the invite link it asked for */
  SessionEnded, /* to viewer: the session is over for it */
  Pong,
  Error,
};

const char *type_name (Type type);
Type type_from_name (const char *name);
/* Every type's name, in the table's order (for tools and tests). */
std::vector<const char *> type_names ();

/* What a message of `type` may carry, as parse() checks it. */
struct FieldInfo {
  const char *name;
  const char *kind; /* "string", "int", "string-array" or "array" */
  bool required;
  gint64 min; /* int: minimum value; string: minimum length in bytes */
  gint64 max; /* int: maximum value; string and arrays: maximum length */
};
std::vector<FieldInfo> type_fields (Type type);

enum class ErrorCode {
  PinInvalid,
  PinExpired,
  PinUsed,
  SessionFull,
  RateLimited,
  Declined,
  BadMessage,
  TooLarge,
  OriginRejected,
  UnsupportedVersion,
  NotAllowed,
  UnknownPeer,
  ResumeRefused,
  InviteInvalid,
  InviteExpired,
  InviteUsed,
  Internal,
};

const char *error_code_name (ErrorCode code);
std::vector<const char *> error_code_names ();
std::optional<ErrorCode> error_code_from_name (const char *name);
/* A sentence a person understands, used when no better message is known. */
const char *error_code_default_message (ErrorCode code);

/* Session end / peer-left reasons. */
inline constexpr const char *kReasonLeft = "left";
inline constexpr const char *kReasonDisconnected = "disconnected";
inline constexpr const char *kReasonRemoved = "removed";
inline constexpr const char *kReasonHostEnded = "host-ended";
inline constexpr const char *kReasonHostDisconnected = "host-disconnected";
inline constexpr const char *kReasons[] = { kReasonLeft, kReasonDisconnected, kReasonRemoved,
                                            kReasonHostEnded, kReasonHostDisconnected };

/* What a viewer reports in a `report` (its "problem"): why it sees no
 * picture, or that the picture is back. Fixed; anything else is refused. */
inline constexpr const char *kProblemNoCommonCodec = "no-common-codec";
inline constexpr const char *kProblemConnectionBlocked = "connection-blocked";
inline constexpr const char *kProblemConnectionLost = "connection-lost";
inline constexpr const char *kProblemNoMedia = "no-media";
inline constexpr const char *kProblemMediaStopped = "media-stopped";
inline constexpr const char *kProblemCannotDecode = "cannot-decode";
inline constexpr const char *kProblemResolved = "resolved";
inline constexpr const char *kProblems[] = {
  kProblemNoCommonCodec, kProblemConnectionBlocked, kProblemConnectionLost, kProblemNoMedia,
  kProblemMediaStopped,  kProblemCannotDecode,      kProblemResolved,
};
bool is_problem (const char *name);

/* The fallback (PROTOCOL.md, "Fallback"): a viewer whose peer connection
 * did not connect gets JPEG frames from its host over this WebSocket, in
 * binary messages (fallback_frame.h), and sends its input back as `input`.
 * `fallback` actions: */
inline constexpr const char *kFallbackStart = "start";             /* viewer: send me frames */
inline constexpr const char *kFallbackStop = "stop";               /* viewer: WebRTC works now */
inline constexpr const char *kFallbackAck = "ack";                 /* viewer: frame `frame` shown */
inline constexpr const char *kFallbackUnavailable = "unavailable"; /* host: cannot; `reason` */
inline constexpr const char *kFallbackActions[] = { kFallbackStart, kFallbackStop, kFallbackAck,
                                                    kFallbackUnavailable };
/* Most input events in one `input` message. */
inline constexpr int kMaxInputEvents = 64;
/* A snapshot request's id (`snapshot`'s `request`, and the `peer` of the
 * picture that answers it) starts with this; a peer id never does. */
inline constexpr const char *kSnapshotRequestPrefix = "snap-";
/* The viewer ids of WHEP players (signaling/server_whep.cpp). */
inline constexpr const char *kWhepPeerPrefix = "whep-";
/* The peer ids of WHIP publishers (signaling/server_whip.cpp). */
inline constexpr const char *kWhipPeerPrefix = "whip-";
/* A WHIP relay's receiver joins with the `ingest` id the server started it
 * with (an environment variable), at most this long. */
inline constexpr gint64 kMaxIngestIdBytes = 64;

struct IceServer {
  std::vector<std::string> urls;
  std::string username;   /* empty for STUN */
  std::string credential; /* empty for STUN */
};

struct JsonObjectDeleter {
  void operator() (JsonObject *o) const { json_object_unref (o); }
};
using JsonObjectPtr = std::unique_ptr<JsonObject, JsonObjectDeleter>;

/* A received message: its type and its (validated-as-object) body. */
struct Message {
  Type type = Type::Unknown;
  JsonObjectPtr body;
};

struct ParseError {
  ErrorCode code = ErrorCode::BadMessage;
  std::string message;
};

/* Parses and checks the envelope (size, JSON object, known "type", and the
 * fields that type requires with their sizes and ranges). On failure returns
 * false and fills `error`; never aborts on any input. */
bool parse (const char *data, gsize length, Message &out, ParseError &error);

/* False when `data` nests objects and arrays deeper than `limit` (json-glib's
 * parser recurses per level: deep documents are refused before it sees
 * them, so no input can exhaust the stack). */
bool nesting_within (const char *data, gsize length, int limit);

/* Typed field access on a parsed body. Missing or wrong-typed optional
 * fields give the fallback; parse() has already checked required ones. */
std::string get_string (const Message &msg, const char *field, const char *fallback = "");
gint64 get_int (const Message &msg, const char *field, gint64 fallback = 0);
/* A boolean field; false when absent. */
bool get_bool (const Message &msg, const char *field);
bool has_field (const Message &msg, const char *field);
guint get_capabilities (const Message &msg, const char *field = "capabilities");
std::vector<IceServer> get_ice_servers (const Message &msg);

/* Capability set <-> JSON names (gv::kCapabilities: "view", "control", ...). */
std::vector<std::string> capability_names (guint caps);
std::optional<guint> capability_from_name (const char *name);

/* ---- message builders: each returns the JSON text to send ---- */

struct RegisterParams {
  int max_viewers = 1;
  int pin_ttl_s = 0; /* 0: server default */
  std::string name;
  /* The last resume token the server gave: keep that session's PIN. */
  std::string resume_token;
  /* A reservation token from the session API (POST /api/v1/sessions):
   * take the session, and the PIN, reserved for this host. */
  std::string reservation;
};
std::string make_register (const RegisterParams &p);
std::string make_join (const std::string &pin, const std::string &name);
std::string make_join_by_invite (const std::string &token, const std::string &name);
/* A WHIP relay's receiver: the publisher's offer, by the id the server
 * started the relay with (PROTOCOL.md, "WHIP"). */
std::string make_join_for_ingest (const std::string &ingest, const std::string &name);
/* Host: an invite link for `capabilities` (view is always in), admitting
 * `uses` viewers, valid `ttl_s` seconds (0: the server's default). */
std::string make_invite (guint capabilities, int uses, int ttl_s);
std::string make_accept (const std::string &peer, guint capabilities);
std::string make_decline (const std::string &peer, const std::string &reason);
std::string make_grant (const std::string &peer, guint capabilities);
std::string make_kick (const std::string &peer, const std::string &reason);
std::string make_end ();
std::string make_leave ();
std::string make_ping ();
std::string make_pong ();

/* `peer` is the addressee when a client sends (empty from a viewer: its
 * host) and the sender when the server relays. */
std::string make_sdp (const std::string &peer, const std::string &sdp_type, const std::string &sdp);
std::string make_ice (const std::string &peer, const std::string &candidate, guint mline_index,
                      const std::string &mid);
/* Viewer -> host, relayed like sdp and ice (`peer` empty from the viewer,
 * the viewer's id from the server). `problem` is one of kProblems; `detail`
 * (one line for people, cut to kMaxDetailBytes) and `codec` (a codec's RTP
 * name, e.g. "H264") are sent when not empty. */
std::string make_report (const std::string &peer, const std::string &problem,
                         const std::string &detail, const std::string &codec);
std::string make_restart (const std::string &peer);
/* `fallback`: `peer` as for sdp; `frame` (for ack) and `reason` (for
 * unavailable) are sent when not 0 / empty. */
std::string make_fallback (const std::string &peer, const char *action, guint32 frame = 0,
                           const std::string &reason = "");
/* `input` (viewer -> host): `events`, each one message of the input data
 * channel (gvnavjson.h), as JSON objects. */
std::string make_input (const std::string &peer, JsonArray *events);
/* `snapshot`: to a host, request `request` from `by` (the API key's
 * name); from a host, `reason` it refuses. */
std::string make_snapshot (const std::string &request, const std::string &by,
                           const std::string &reason);

struct RegisteredParams {
  std::string session;
  std::string peer;
  std::string pin;
  gint64 expires_at = 0; /* unix seconds */
  int pin_ttl_s = 0;
  int max_viewers = 1;
  std::string viewer_url;
  std::vector<IceServer> ice_servers;
  std::string resume_token;
};
std::string make_registered (const RegisteredParams &p);
std::string make_resume_token (const std::string &token);
struct InviteLinkParams {
  std::string token;
  guint capabilities = 0;
  int uses = 1;
  gint64 expires_at = 0; /* unix seconds */
  std::string url;       /* the viewer page with ?invite=TOKEN, when known */
};
std::string make_invite_link (const InviteLinkParams &p);
std::string make_waiting (const std::string &session, const std::string &peer);
/* `invite_capabilities`: what the invite the viewer came with stands for
 * (0: it came with a PIN); `offers`: the viewer sends the SDP offer (a
 * WHEP player), the host answers. */
std::string make_join_request (const std::string &peer, const std::string &name,
                               const std::string &address, guint invite_capabilities = 0,
                               bool offers = false);
std::string make_joined (const std::string &session, const std::string &peer, guint capabilities,
                         const std::vector<IceServer> &ice_servers);
std::string make_capabilities (guint capabilities);
std::string make_peer_left (const std::string &peer, const char *reason);
/* `message`: a sentence for people when the reason alone does not say it
 * (the session API ended the session or removed the viewer); sent when not
 * empty. */
std::string make_session_ended (const char *reason, const std::string &message = "");
/* `reason`: for DECLINED, the host's own words (sent only when not empty). */
std::string make_error (ErrorCode code, const std::string &message, Type ref = Type::Unknown,
                        const std::string &reason = "");

} // namespace gv::proto
