/* Notifications: session events (PROTOCOL.md, "Notifications") POSTed to
 * the operator's webhook receivers, signed with HMAC-SHA-256, and to a
 * Gotify server as human-readable messages. Delivery is asynchronous on the
 * server's main context (libsoup's SoupSession): a slow or dead receiver
 * costs a bounded queue, never a blocked join. */
#pragma once

#include "session_registry.h"

#include <glib.h>

#include <memory>
#include <string>
#include <vector>

namespace gv::signaling {

/* Where and how events are sent: ServerConfig's part for notifications. */
struct WebhookSettings {
  std::vector<std::string> urls; /* --webhook, http:// or https:// */
  std::string secret_file;       /* --webhook-secret-file: the HMAC key */
  std::string gotify_url;        /* --gotify: the Gotify server's base URL */
  std::string gotify_token_file; /* --gotify-token-file: an application token */
  /* Delivery, per target. */
  guint queue_limit = 1000;   /* events waiting; more drop the oldest */
  guint concurrency = 4;      /* events being delivered (sent, or waiting to be re-sent) */
  guint timeout_s = 5;        /* one request */
  guint retries = 5;          /* re-sends after the first attempt */
  guint retry_base_ms = 1000; /* first wait; doubles each time: 1, 2, 4, 8, 16 s */

  bool any () const { return !urls.empty () || !gotify_url.empty (); }
};

/* The event types, as they appear in the body's "type". */
namespace event {
inline constexpr const char *kSessionCreated = "session.created";
inline constexpr const char *kViewerJoined = "viewer.joined";
inline constexpr const char *kViewerLeft = "viewer.left";
inline constexpr const char *kControlGranted = "control.granted";
inline constexpr const char *kControlRevoked = "control.revoked";
inline constexpr const char *kSessionEnded = "session.ended";
/* A recorder pool job ended (recording_jobs.h): its files are final. */
inline constexpr const char *kRecordingDone = "recording.done";
inline constexpr const char *kRecordingFailed = "recording.failed";
} // namespace event

/* What a recording event says of its job. */
struct RecordingNote {
  std::string id;
  std::string state;
  std::vector<std::string> files;
  std::string error;
};

/* Counters for /metrics: ghostview_webhooks_total{outcome=...}. An event
 * sent to two targets counts twice. */
struct WebhookCounters {
  guint64 delivered = 0; /* a 2xx answer */
  guint64 retried = 0;   /* an attempt failed and the event will be sent again */
  guint64 failed = 0;    /* the last retry failed too: given up */
  guint64 dropped = 0;   /* a full queue dropped its oldest event */
};

/* True for an absolute http:// or https:// URL with a host; otherwise
 * false with `why` set. */
bool webhook_url_ok (const std::string &url, std::string &why);

/* "sha256=" + hex HMAC-SHA-256 of `timestamp` "." `body` with `secret`:
 * the X-GhostView-Signature header (PROTOCOL.md). */
std::string webhook_signature (const std::string &secret, const std::string &timestamp,
                               const std::string &body);

class Notifier {
public:
  /* Reads the secret and token files and checks the URLs; nullptr with
   * `error` set when one is unreadable, empty or not http(s). */
  static std::unique_ptr<Notifier> create (const WebhookSettings &settings, GError **error);
  ~Notifier ();
  Notifier (const Notifier &) = delete;
  Notifier &operator= (const Notifier &) = delete;

  /* Queues an event about `session` (and `viewer`, when it is about one)
   * for every target. `reason` (may be null) says why a viewer left or a
   * session ended. Returns at once. */
  void emit (const char *type, const Session &session, const Viewer *viewer = nullptr,
             const char *reason = nullptr, const RecordingNote *recording = nullptr);

  /* Abandons everything queued and in flight (the server is stopping). */
  void shutdown ();

  const WebhookCounters &counters () const { return counters_; }
  /* Events waiting in the targets' queues, not yet being delivered. */
  guint64 queued () const;
  std::size_t target_count () const;

  struct Target;

private:
  Notifier () = default;
  WebhookSettings settings_;
  std::string secret_;
  std::vector<std::shared_ptr<Target>> targets_;
  WebhookCounters counters_;
  guint64 seq_ = 0;
};

} // namespace gv::signaling
