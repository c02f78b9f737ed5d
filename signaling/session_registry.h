/* Sessions, PINs and viewers: the pairing rules of PROTOCOL.md with no
 * sockets attached, so they can be tested on their own. In memory only. */
#pragma once

#include "invite_token.h"
#include "protocol.h"

#include <glib.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gv::signaling {

struct Viewer {
  std::string id;
  std::string name;
  std::string address;
  guint capabilities = 0;
  bool admitted = false;
  std::string invite_id;         /* the invite link it came with; empty: a PIN */
  guint invite_capabilities = 0; /* what that link stands for */
  bool offers = false;           /* a WHEP player: it sends the offer */
};

struct Session {
  std::string id;
  std::string pin;
  /* Empty while the session is a reservation no host has claimed yet
   * (reserve ()). */
  std::string host_peer;
  gint64 created_at_us = 0;
  gint64 expires_at_us = 0; /* monotonic-free: g_get_real_time () base */
  int pin_ttl_s = 0;
  int max_viewers = 1;
  int uses_spent = 0;
  std::map<std::string, Viewer> viewers;
  /* Viewers each invite link (by its id) has admitted or has waiting. */
  std::map<std::string, int> invite_uses;
  /* A reservation's: the integrator's label and the API key that made it. */
  std::string label;
  std::string reserved_by;

  bool reserved () const { return host_peer.empty (); }
  int pending () const;
  int pending_by_pin () const; /* pending, and came with the PIN (not an invite) */
  int admitted () const;
};

struct JoinOutcome {
  std::optional<proto::ErrorCode> error; /* unset: the viewer is pending */
  Session *session = nullptr;
};

/* A cluster's say on a PIN a new session would get (cluster.h): the
 * registry only takes a PIN its claimer took for that session. */
enum class PinVerdict { Ours, InUse, Unavailable };
using PinClaimer = std::function<PinVerdict (const std::string &pin, const std::string &session_id,
                                             gint64 expires_at_us)>;

class SessionRegistry {
public:
  /* PINs of new sessions (create, reserve) must also be taken by
   * `claimer` (unset: this registry alone decides). */
  void set_pin_claimer (PinClaimer claimer) { claimer_ = std::move (claimer); }

  /* A new session with a fresh PIN of `pin_digits` digits, unique among
   * live sessions; nullptr when no free PIN was found (the space is nearly
   * full). */
  Session *create (const std::string &host_peer, int max_viewers, int pin_ttl_s, gint64 now_us,
                   int pin_digits = proto::kMinPinDigits);
  /* A session a host resumes (resume_token.h) with its old id, PIN, expiry
   * and uses; nullptr when its id or PIN is already live. */
  Session *restore (const std::string &host_peer, const std::string &session_id,
                    const std::string &pin, gint64 expires_at_us, int max_viewers, int uses_spent,
                    gint64 now_us);
  /* A session with a fresh PIN, as create () makes, that no host holds yet:
   * a reservation made through the session API. It waits for a host to
   * claim it (move_host) until `expires_at_us`, when its PIN expires too;
   * viewers may join it before and wait. */
  Session *reserve (int max_viewers, gint64 expires_at_us, gint64 now_us,
                    int pin_digits = proto::kMinPinDigits);
  /* The ids of reservations no host claimed whose time has passed. */
  std::vector<std::string> expired_reservations (gint64 now_us) const;
  /* The session's host is now `host_peer` (the host reconnected before the
   * server noticed its old connection had gone, or claimed a reservation). */
  void move_host (Session &s, const std::string &host_peer);
  Session *find (const std::string &session_id);
  Session *find_by_host (const std::string &host_peer);
  /* The live session with this PIN (expired or not), or nullptr. */
  Session *find_by_pin (const std::string &pin);
  /* The session a viewer (pending or admitted) belongs to. */
  Session *find_by_viewer (const std::string &viewer_peer);

  JoinOutcome join (const std::string &pin, const Viewer &viewer, gint64 now_us);
  /* A viewer with an invite whose signature was verified (invite_token.h):
   * its session must be live, the link unexpired and not used up. */
  JoinOutcome join_by_invite (const InviteClaim &invite, const Viewer &viewer, gint64 now_us);
  /* Pending -> admitted, spending one use. */
  bool accept (Session &s, const std::string &viewer_peer, guint capabilities);
  /* Admitted viewer's capabilities replaced. */
  bool grant (Session &s, const std::string &viewer_peer, guint capabilities);
  /* Removes a viewer (declined, left, kicked, disconnected). A pending one
   * gives its use back; an admitted one's use stays spent. */
  bool remove_viewer (Session &s, const std::string &viewer_peer);
  /* Ends the session; returns the ids of its viewers. */
  std::vector<std::string> end (const std::string &session_id);

  std::size_t session_count () const { return sessions_.size (); }
  /* Every live session, by id (reservations included). */
  const std::unordered_map<std::string, Session> &sessions () const { return sessions_; }
  std::size_t viewer_count () const { return viewer_index_.size (); }

private:
  /* A PIN of `digits` digits free here and taken by the claimer for
   * `session_id`; empty when none was found. */
  std::string claim_free_pin (int digits, const std::string &session_id, gint64 expires_at_us);

  PinClaimer claimer_;
  std::unordered_map<std::string, Session> sessions_;
  std::unordered_map<std::string, std::string> by_pin_;
  std::unordered_map<std::string, std::string> by_host_;
  std::unordered_map<std::string, std::string> viewer_index_; /* viewer -> session */
};

/* The viewer `peer` of session `s` (pending or admitted); nullptr if none. */
const Viewer *find_viewer (const Session &s, const std::string &peer);

/* True for 6 to 9 ASCII digits (kMinPinDigits to kMaxPinDigits). */
bool is_pin_shaped (const std::string &pin);

} // namespace gv::signaling
