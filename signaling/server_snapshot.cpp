/* The session API's snapshot (PROTOCOL.md, "Snapshot"):
 * GET /api/v1/sessions/{pin}/snapshot.jpg (routed and its key checked in
 * server_api.cpp) asks the session's host for one still; the host decides
 * (its consent), and answers with a picture message addressed to the
 * request, or refuses.
 * The HTTP answer waits, paused, for at most kSnapshotTimeoutS. */
#include "fallback_frame.h"
#include "http_errors.h"
#include "random.h"
#include "server_impl.h"

#include <cstring>

namespace gv::signaling {
namespace {

using proto::ErrorCode;
using proto::Type;

constexpr guint kSnapshotTimeoutS = 5;
/* libsoup 3.2 has no name for it. */
constexpr guint kStatusTooManyRequests = 429;
/* Requests one session may have waiting at once. */
constexpr guint kMaxSnapshotsPerHost = 4;
/* The endpoint's name in /metrics (its OpenAPI operationId). */
constexpr const char *kSnapshotEndpoint = "getSnapshot";

struct TimeoutData {
  ServerImpl *server;
  std::string id;
};

gboolean on_snapshot_timeout (gpointer data)
{
  auto *t = static_cast<TimeoutData *> (data);
  t->server->snapshot_timed_out (t->id);
  return G_SOURCE_REMOVE;
}

void delete_timeout_data (gpointer data)
{
  delete static_cast<TimeoutData *> (data);
}

struct FinishedData {
  ServerImpl *server;
  std::string id;
};

void on_client_gone (SoupServerMessage *, gpointer data)
{
  auto *f = static_cast<FinishedData *> (data);
  f->server->snapshot_abandoned (f->id);
}

void delete_finished_data (gpointer data, GClosure *)
{
  delete static_cast<FinishedData *> (data);
}

void respond_jpeg (SoupServerMessage *msg, const guint8 *jpeg, gsize size)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_response (msg, "image/jpeg", SOUP_MEMORY_COPY,
                                    reinterpret_cast<const char *> (jpeg), size);
}

} // namespace

void ServerImpl::request_snapshot (SoupServerMessage *msg, const std::string &pin,
                                   const std::string &key_name)
{
  Session *s = registry.find_by_pin (pin);
  auto host = s ? connections.find (s->host_peer) : connections.end ();
  if (host == connections.end ()) {
    metrics.snapshots["no-session"]++;
    api_error (msg, kSnapshotEndpoint, SOUP_STATUS_NOT_FOUND, "SESSION_NOT_FOUND",
               s ? "The session with this PIN has no host yet (a reservation)."
                 : "No live session has this PIN.");
    return;
  }
  guint waiting = 0;
  for (const auto &kv : snapshots)
    waiting += kv.second.host_peer == s->host_peer;
  if (waiting >= kMaxSnapshotsPerHost) {
    metrics.rate_limited["snapshots"]++;
    api_error (msg, kSnapshotEndpoint, kStatusTooManyRequests, "RATE_LIMITED",
               "This session already has snapshots waiting; try again in a few seconds.");
    return;
  }

  std::string id = proto::kSnapshotRequestPrefix + random_id (12);
  PendingSnapshot &p = snapshots[id];
  p.msg = SOUP_SERVER_MESSAGE (g_object_ref (msg));
  p.host_peer = s->host_peer;
  p.finished_handler =
      g_signal_connect_data (msg, "finished", G_CALLBACK (on_client_gone),
                             new FinishedData{ this, id }, delete_finished_data, (GConnectFlags) 0);
  GSource *timeout = g_timeout_source_new_seconds (kSnapshotTimeoutS);
  g_source_set_callback (timeout, on_snapshot_timeout, new TimeoutData{ this, id },
                         delete_timeout_data);
  p.timeout = timeout;
  g_source_attach (timeout, g_main_context_get_thread_default ());
  soup_server_message_pause (msg);
  send (*host->second, proto::make_snapshot (id, key_name, ""));
}

/* Forgets request `id` and its timeout; false if there is none. */
bool ServerImpl::take_snapshot_request (const std::string &id, PendingSnapshot &out)
{
  auto it = snapshots.find (id);
  if (it == snapshots.end ())
    return false;
  out = it->second;
  snapshots.erase (it);
  g_source_destroy (out.timeout);
  g_source_unref (out.timeout);
  return true;
}

/* Answers and forgets request `id`: with the picture when `jpeg` is set,
 * else with the error. */
void ServerImpl::finish_snapshot (const std::string &id, guint status, const char *code,
                                  const std::string &message, const guint8 *jpeg, gsize size)
{
  PendingSnapshot p;
  if (!take_snapshot_request (id, p))
    return;
  g_signal_handler_disconnect (p.msg, p.finished_handler);
  if (jpeg) {
    count_api_request (kSnapshotEndpoint, "ok");
    respond_jpeg (p.msg, jpeg, size);
  } else
    api_error (p.msg, kSnapshotEndpoint, status, code, message);
  soup_server_message_unpause (p.msg);
  g_object_unref (p.msg);
}

bool ServerImpl::answer_snapshot (Connection &host, const proto::FallbackFrame &frame)
{
  if (frame.peer.rfind (proto::kSnapshotRequestPrefix, 0) != 0)
    return false;
  auto it = snapshots.find (frame.peer);
  if (it == snapshots.end () || it->second.host_peer != host.peer)
    return true; /* too late (timed out), or not this host's: dropped */
  metrics.snapshots["taken"]++;
  finish_snapshot (frame.peer, SOUP_STATUS_OK, nullptr, "", frame.jpeg, frame.jpeg_size);
  return true;
}

void ServerImpl::on_snapshot (Connection &c, const proto::Message &m)
{
  std::string id = proto::get_string (m, "request");
  auto it = snapshots.find (id);
  if (c.role != Role::Host || it == snapshots.end () || it->second.host_peer != c.peer) {
    send_error (c, ErrorCode::NotAllowed, "no snapshot request \"" + id + "\" for this host",
                m.type);
    return;
  }
  std::string reason = proto::get_string (m, "reason");
  metrics.snapshots["refused"]++;
  finish_snapshot (id, SOUP_STATUS_FORBIDDEN, "HOST_REFUSED",
                   "The host refused the snapshot" + (reason.empty () ? "." : ": " + reason + "."),
                   nullptr, 0);
}

void ServerImpl::snapshot_timed_out (const std::string &id)
{
  metrics.snapshots["timeout"]++;
  finish_snapshot (id, SOUP_STATUS_GATEWAY_TIMEOUT, "HOST_TIMEOUT",
                   "The host did not answer within " + std::to_string (kSnapshotTimeoutS) + " s.",
                   nullptr, 0);
}

void ServerImpl::snapshot_abandoned (const std::string &id)
{
  PendingSnapshot p;
  if (!take_snapshot_request (id, p))
    return;
  count_api_request (kSnapshotEndpoint, "CLIENT_GONE");
  g_object_unref (p.msg);
}

void ServerImpl::fail_snapshots (const std::string &host_peer, guint status, const char *code,
                                 const std::string &message)
{
  std::vector<std::string> ids;
  for (const auto &kv : snapshots)
    if (host_peer.empty () || kv.second.host_peer == host_peer)
      ids.push_back (kv.first);
  if (!host_peer.empty ())
    metrics.snapshots["host-gone"] += ids.size ();
  for (const auto &id : ids)
    finish_snapshot (id, status, code, message, nullptr, 0);
}

} // namespace gv::signaling
