#include "session_registry.h"

#include "random.h"

#include <algorithm>

namespace gv::signaling {

int Session::pending () const
{
  return (int) std::count_if (viewers.begin (), viewers.end (),
                              [] (const auto &v) { return !v.second.admitted; });
}

int Session::pending_by_pin () const
{
  return (int) std::count_if (viewers.begin (), viewers.end (), [] (const auto &v) {
    return !v.second.admitted && v.second.invite_id.empty ();
  });
}

int Session::admitted () const
{
  return (int) viewers.size () - pending ();
}

const Viewer *find_viewer (const Session &s, const std::string &peer)
{
  auto it = s.viewers.find (peer);
  return it == s.viewers.end () ? nullptr : &it->second;
}

bool is_pin_shaped (const std::string &pin)
{
  return pin.size () >= (std::size_t) proto::kMinPinDigits &&
         pin.size () <= (std::size_t) proto::kMaxPinDigits &&
         std::all_of (pin.begin (), pin.end (), [] (char c) { return c >= '0' && c <= '9'; });
}

std::string SessionRegistry::claim_free_pin (int digits, const std::string &session_id,
                                             gint64 expires_at_us)
{
  /* With the space at most 10% full, 64 draws all colliding has odds
   * below 1e-64; failing means the server is saturated, not unlucky. */
  for (int attempt = 0; attempt < 64; attempt++) {
    std::string candidate = random_pin (digits);
    if (by_pin_.find (candidate) != by_pin_.end ())
      continue;
    if (!claimer_)
      return candidate;
    switch (claimer_ (candidate, session_id, expires_at_us)) {
    case PinVerdict::Ours:
      return candidate;
    case PinVerdict::InUse:
      continue;
    case PinVerdict::Unavailable:
      return "";
    }
  }
  return "";
}

Session *SessionRegistry::create (const std::string &host_peer, int max_viewers, int pin_ttl_s,
                                  gint64 now_us, int pin_digits)
{
  std::string id = random_id (16);
  std::string pin = claim_free_pin (pin_digits, id, now_us + (gint64) pin_ttl_s * G_USEC_PER_SEC);
  if (pin.empty ())
    return nullptr;

  Session s;
  s.id = id;
  s.pin = pin;
  s.host_peer = host_peer;
  s.created_at_us = now_us;
  s.pin_ttl_s = pin_ttl_s;
  s.expires_at_us = now_us + (gint64) pin_ttl_s * G_USEC_PER_SEC;
  s.max_viewers = std::clamp (max_viewers, 1, proto::kMaxViewersLimit);
  by_pin_[pin] = id;
  by_host_[host_peer] = id;
  return &sessions_.emplace (id, std::move (s)).first->second;
}

Session *SessionRegistry::reserve (int max_viewers, gint64 expires_at_us, gint64 now_us,
                                   int pin_digits)
{
  std::string id = random_id (16);
  std::string pin = claim_free_pin (pin_digits, id, expires_at_us);
  if (pin.empty ())
    return nullptr;
  Session s;
  s.id = id;
  s.pin = pin;
  s.created_at_us = now_us;
  s.expires_at_us = expires_at_us;
  s.pin_ttl_s = (int) MAX (0, (expires_at_us - now_us) / G_USEC_PER_SEC);
  s.max_viewers = std::clamp (max_viewers, 1, proto::kMaxViewersLimit);
  by_pin_[pin] = id;
  return &sessions_.emplace (id, std::move (s)).first->second;
}

std::vector<std::string> SessionRegistry::expired_reservations (gint64 now_us) const
{
  std::vector<std::string> ids;
  for (const auto &[id, s] : sessions_)
    if (s.reserved () && now_us >= s.expires_at_us)
      ids.push_back (id);
  return ids;
}

Session *SessionRegistry::restore (const std::string &host_peer, const std::string &session_id,
                                   const std::string &pin, gint64 expires_at_us, int max_viewers,
                                   int uses_spent, gint64 now_us)
{
  if (sessions_.count (session_id) || by_pin_.count (pin) || !is_pin_shaped (pin))
    return nullptr;
  Session s;
  s.id = session_id;
  s.pin = pin;
  s.host_peer = host_peer;
  s.created_at_us = now_us;
  s.expires_at_us = expires_at_us;
  s.pin_ttl_s = (int) MAX (0, (expires_at_us - now_us) / G_USEC_PER_SEC);
  s.max_viewers = std::clamp (max_viewers, 1, proto::kMaxViewersLimit);
  s.uses_spent = std::clamp (uses_spent, 0, s.max_viewers);
  by_pin_[pin] = session_id;
  by_host_[host_peer] = session_id;
  return &sessions_.emplace (session_id, std::move (s)).first->second;
}

void SessionRegistry::move_host (Session &s, const std::string &host_peer)
{
  if (!s.reserved ())
    by_host_.erase (s.host_peer);
  s.host_peer = host_peer;
  by_host_[host_peer] = s.id;
}

Session *SessionRegistry::find (const std::string &session_id)
{
  auto it = sessions_.find (session_id);
  return it == sessions_.end () ? nullptr : &it->second;
}

Session *SessionRegistry::find_by_host (const std::string &host_peer)
{
  auto it = by_host_.find (host_peer);
  return it == by_host_.end () ? nullptr : find (it->second);
}

Session *SessionRegistry::find_by_pin (const std::string &pin)
{
  auto it = is_pin_shaped (pin) ? by_pin_.find (pin) : by_pin_.end ();
  return it == by_pin_.end () ? nullptr : find (it->second);
}

Session *SessionRegistry::find_by_viewer (const std::string &viewer_peer)
{
  auto it = viewer_index_.find (viewer_peer);
  return it == viewer_index_.end () ? nullptr : find (it->second);
}

JoinOutcome SessionRegistry::join (const std::string &pin, const Viewer &viewer, gint64 now_us)
{
  JoinOutcome out;
  auto it = is_pin_shaped (pin) ? by_pin_.find (pin) : by_pin_.end ();
  if (it == by_pin_.end ()) {
    out.error = proto::ErrorCode::PinInvalid;
    return out;
  }
  Session &s = sessions_.at (it->second);
  out.session = &s;
  if (now_us >= s.expires_at_us)
    out.error = proto::ErrorCode::PinExpired;
  else if (s.uses_spent >= s.max_viewers)
    out.error = proto::ErrorCode::PinUsed;
  else if (s.uses_spent + s.pending_by_pin () >= s.max_viewers)
    out.error = proto::ErrorCode::SessionFull;
  if (out.error)
    return out;

  Viewer v = viewer;
  v.admitted = false;
  v.capabilities = 0;
  viewer_index_[v.id] = s.id;
  s.viewers[v.id] = std::move (v);
  return out;
}

JoinOutcome SessionRegistry::join_by_invite (const InviteClaim &invite, const Viewer &viewer,
                                             gint64 now_us)
{
  JoinOutcome out;
  Session *s = find (invite.session);
  if (!s || now_us >= invite.expires_at * G_USEC_PER_SEC) {
    out.error = proto::ErrorCode::InviteExpired; /* (a session that ended takes its links along) */
    return out;
  }
  out.session = s;
  int &uses = s->invite_uses[invite.id];
  if (uses >= invite.uses)
    out.error = proto::ErrorCode::InviteUsed;
  else if ((int) s->viewers.size () >= proto::kMaxViewersLimit)
    out.error = proto::ErrorCode::SessionFull;
  if (out.error)
    return out;
  uses++;
  Viewer v = viewer;
  v.admitted = false;
  v.capabilities = 0;
  v.invite_id = invite.id;
  v.invite_capabilities = invite.capabilities;
  viewer_index_[v.id] = s->id;
  s->viewers[v.id] = std::move (v);
  return out;
}

bool SessionRegistry::accept (Session &s, const std::string &viewer_peer, guint capabilities)
{
  auto it = s.viewers.find (viewer_peer);
  if (it == s.viewers.end () || it->second.admitted)
    return false;
  it->second.admitted = true;
  it->second.capabilities = (capabilities & gv::kAllCapabilities) | GV_CAPABILITY_VIEW;
  if (it->second.invite_id.empty ()) /* an invite's use was counted when it joined */
    s.uses_spent++;
  return true;
}

bool SessionRegistry::grant (Session &s, const std::string &viewer_peer, guint capabilities)
{
  auto it = s.viewers.find (viewer_peer);
  if (it == s.viewers.end () || !it->second.admitted)
    return false;
  it->second.capabilities = (capabilities & gv::kAllCapabilities) | GV_CAPABILITY_VIEW;
  return true;
}

bool SessionRegistry::remove_viewer (Session &s, const std::string &viewer_peer)
{
  viewer_index_.erase (viewer_peer);
  auto it = s.viewers.find (viewer_peer);
  if (it == s.viewers.end ())
    return false;
  /* A pending viewer gives its invite's use back, as it gives a PIN's. */
  if (!it->second.admitted && !it->second.invite_id.empty ())
    s.invite_uses[it->second.invite_id]--;
  s.viewers.erase (it);
  return true;
}

std::vector<std::string> SessionRegistry::end (const std::string &session_id)
{
  std::vector<std::string> viewers;
  auto it = sessions_.find (session_id);
  if (it == sessions_.end ())
    return viewers;
  for (const auto &v : it->second.viewers) {
    viewers.push_back (v.first);
    viewer_index_.erase (v.first);
  }
  by_pin_.erase (it->second.pin);
  if (!it->second.reserved ())
    by_host_.erase (it->second.host_peer);
  sessions_.erase (it);
  return viewers;
}

} // namespace gv::signaling
