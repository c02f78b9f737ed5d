#include "webhooks.h"

#include "protocol.h"
#include "random.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <deque>
#include <set>

namespace gv::signaling {

/* One event on its way to one target. The body is shared by the targets of
 * the same kind. */
struct Delivery {
  std::string id;
  std::string type;
  std::shared_ptr<const std::string> body;
  guint attempts = 0; /* made so far */
};

struct Notifier::Target {
  ~Target ()
  {
    g_clear_object (&cancellable);
    g_clear_object (&session);
    if (uri)
      g_uri_unref (uri);
  }

  bool gotify = false;
  std::string url; /* what the operator gave, for messages */
  GUri *uri = nullptr;
  std::string token; /* Gotify's application token */
  SoupSession *session = nullptr;
  GCancellable *cancellable = nullptr;
  std::deque<Delivery> queue;
  guint active = 0; /* deliveries sent or waiting to be re-sent */
  std::set<guint> retry_timers;
  /* Failures are logged once a minute per target, with how many were not. */
  gint64 last_warning_us = 0;
  guint64 unlogged_failures = 0;
  /* Set when the notifier goes away: callbacks still to come (a cancelled
   * request reports later) must not touch it. */
  bool closed = false;
  const WebhookSettings *settings = nullptr;
  const std::string *secret = nullptr;
  WebhookCounters *counters = nullptr;
};

namespace {

using Target = Notifier::Target;

/* A delivery and its target, owned by the request or timer it waits on. */
struct Attempt {
  std::shared_ptr<Target> target;
  Delivery delivery;
  SoupMessage *msg = nullptr;
  guint timer = 0;
  ~Attempt () { g_clear_object (&msg); }
};

void pump (const std::shared_ptr<Target> &t);
void send_attempt (std::unique_ptr<Attempt> a);

bool read_secret_file (const char *what, const std::string &path, std::string &out, GError **error)
{
  gchar *contents = nullptr;
  GError *local = nullptr;
  if (!g_file_get_contents (path.c_str (), &contents, nullptr, &local)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s %s: %s", what, path.c_str (),
                 local->message);
    g_error_free (local);
    return false;
  }
  out = g_strstrip (contents);
  g_free (contents);
  if (out.empty ()) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s %s is empty", what,
                 path.c_str ());
    return false;
  }
  return true;
}

std::string now_unix_seconds ()
{
  return std::to_string (g_get_real_time () / G_USEC_PER_SEC);
}

std::string iso8601_utc_now ()
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  gchar *out = g_strdup_printf ("%s.%03dZ", text, g_date_time_get_microsecond (now) / 1000);
  std::string s = out;
  g_free (out);
  g_free (text);
  g_date_time_unref (now);
  return s;
}

std::string to_json (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  g_object_unref (b);
  gchar *text = json_to_string (root, FALSE);
  json_node_unref (root);
  std::string s = text;
  g_free (text);
  return s;
}

void add_string (JsonBuilder *b, const char *name, const std::string &value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value.c_str ());
}

void add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void add_capabilities (JsonBuilder *b, guint caps)
{
  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_array (b);
  for (const auto &name : proto::capability_names (caps))
    json_builder_add_string_value (b, name.c_str ());
  json_builder_end_array (b);
}

std::string event_body (const std::string &id, guint64 seq, const char *type, const Session &s,
                        const Viewer *v, const char *reason, const RecordingNote *rec)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "id", id);
  add_string (b, "type", type);
  add_int (b, "seq", (gint64) seq);
  add_string (b, "time", iso8601_utc_now ());
  json_builder_set_member_name (b, "session");
  json_builder_begin_object (b);
  add_string (b, "id", s.id);
  add_string (b, "pin", s.pin);
  add_string (b, "host", s.host_peer); /* "" for a reservation no host has claimed */
  json_builder_set_member_name (b, "reserved");
  json_builder_add_boolean_value (b, s.reserved ());
  add_int (b, "max_viewers", s.max_viewers);
  add_int (b, "viewers", s.admitted ());
  if (!s.label.empty ())
    add_string (b, "label", s.label);
  json_builder_end_object (b);
  if (v) {
    json_builder_set_member_name (b, "viewer");
    json_builder_begin_object (b);
    add_string (b, "id", v->id);
    add_string (b, "name", v->name);
    add_string (b, "address", v->address);
    add_capabilities (b, v->capabilities);
    json_builder_end_object (b);
  }
  if (reason)
    add_string (b, "reason", reason);
  if (rec) {
    json_builder_set_member_name (b, "recording");
    json_builder_begin_object (b);
    add_string (b, "id", rec->id);
    add_string (b, "state", rec->state);
    json_builder_set_member_name (b, "files");
    json_builder_begin_array (b);
    for (const auto &f : rec->files)
      json_builder_add_string_value (b, f.c_str ());
    json_builder_end_array (b);
    if (!rec->error.empty ())
      add_string (b, "error", rec->error);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  return to_json (b);
}

/* Gotify's message (POST /message: title, message, priority), for a person
 * reading a phone notification. */
std::string gotify_body (const char *type, const Session &s, const Viewer *v, const char *reason,
                         const RecordingNote *rec)
{
  std::string who = v && !v->name.empty () ? "\"" + v->name + "\"" : "A viewer";
  if (v && !v->address.empty ())
    who += " (" + v->address + ")";
  std::string pin = "PIN " + s.pin;
  std::string why = reason ? std::string (" (") + reason + ")" : "";
  std::string title, message;
  int priority = 5;
  std::string t = type;
  if (t == event::kSessionCreated) {
    title = "GhostView: session started";
    message = s.reserved () ? "A session was reserved through the API: " + pin + "."
                            : "A host started sharing: " + pin + ", up to " +
                                  std::to_string (s.max_viewers) + " viewer(s).";
  } else if (t == event::kViewerJoined) {
    title = "GhostView: viewer joined";
    std::string caps;
    if (v)
      for (const auto &n : proto::capability_names (v->capabilities))
        caps += (caps.empty () ? "" : ", ") + n;
    message = who + " joined the session with " + pin + " (may: " + caps + ").";
  } else if (t == event::kViewerLeft) {
    title = "GhostView: viewer left";
    message = who + " left the session with " + pin + why + ".";
  } else if (t == event::kControlGranted) {
    title = "GhostView: control granted";
    message = who + " may now control the host's mouse and keyboard (" + pin + ").";
    priority = 7;
  } else if (t == event::kControlRevoked) {
    title = "GhostView: control revoked";
    message = who + " no longer controls the host's mouse and keyboard (" + pin + ").";
  } else if (rec && t == event::kRecordingDone) {
    title = "GhostView: recording done";
    message = "The recording of the session with " + pin +
              " is done: " + std::to_string (rec->files.size ()) + " file(s)" +
              (rec->files.empty () ? "" : ", first " + rec->files.front ()) + ".";
  } else if (rec && t == event::kRecordingFailed) {
    title = "GhostView: recording failed";
    message = "The recording of the session with " + pin + " failed: " + rec->error;
    priority = 7;
  } else {
    title = "GhostView: session ended";
    message = "The session with " + pin + " ended" + why + ".";
    priority = 4;
  }
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "title", title);
  add_string (b, "message", message);
  add_int (b, "priority", priority);
  json_builder_end_object (b);
  return to_json (b);
}

void finish_delivery (const std::shared_ptr<Target> &t)
{
  t->active--;
  pump (t);
}

gboolean retry_due (gpointer data)
{
  auto *a = static_cast<Attempt *> (data);
  a->target->retry_timers.erase (a->timer);
  a->timer = 0;
  auto again = std::make_unique<Attempt> ();
  again->target = a->target;
  again->delivery = a->delivery;
  send_attempt (std::move (again));
  return G_SOURCE_REMOVE; /* frees `a` */
}

void request_done (GObject *source, GAsyncResult *result, gpointer data)
{
  std::unique_ptr<Attempt> a (static_cast<Attempt *> (data));
  GError *error = nullptr;
  GBytes *reply = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (reply)
    g_bytes_unref (reply);
  const std::shared_ptr<Target> t = a->target;
  if (t->closed) {
    g_clear_error (&error);
    return;
  }
  guint status = error ? 0 : soup_message_get_status (a->msg);
  if (!error && SOUP_STATUS_IS_SUCCESSFUL (status)) {
    t->counters->delivered++;
    finish_delivery (t);
    return;
  }
  std::string what = error ? error->message : "HTTP " + std::to_string (status);
  g_clear_error (&error);
  if (a->delivery.attempts > t->settings->retries) {
    t->counters->failed++;
    gint64 now = g_get_monotonic_time ();
    if (t->last_warning_us == 0 || now - t->last_warning_us >= 60 * G_USEC_PER_SEC) {
      g_warning ("notification %s (%s) to %s failed after %u attempts: %s (%" G_GUINT64_FORMAT
                 " other failure(s) to it since the last such message)",
                 a->delivery.id.c_str (), a->delivery.type.c_str (), t->url.c_str (),
                 a->delivery.attempts, what.c_str (), t->unlogged_failures);
      t->last_warning_us = now;
      t->unlogged_failures = 0;
    } else {
      t->unlogged_failures++;
    }
    finish_delivery (t);
    return;
  }
  t->counters->retried++;
  /* 1, 2, 4, 8, 16 s (by default): the wait doubles with each retry; the
   * delivery keeps its place among the target's `concurrency`. */
  guint64 delay = (guint64) t->settings->retry_base_ms << (a->delivery.attempts - 1);
  delay = MIN (delay, (guint64) 3600 * 1000);
  g_clear_object (&a->msg);
  Attempt *waiting = a.release ();
  waiting->timer = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) delay, retry_due, waiting,
                                       [] (gpointer p) { delete static_cast<Attempt *> (p); });
  t->retry_timers.insert (waiting->timer);
}

void send_attempt (std::unique_ptr<Attempt> a)
{
  Target &t = *a->target;
  a->delivery.attempts++;
  a->msg = soup_message_new_from_uri ("POST", t.uri);
  /* A redirect is no delivery: the receiver's URL is the operator's to fix. */
  soup_message_add_flags (a->msg, SOUP_MESSAGE_NO_REDIRECT);
  SoupMessageHeaders *h = soup_message_get_request_headers (a->msg);
  const std::string &body = *a->delivery.body;
  if (t.gotify) {
    soup_message_headers_replace (h, "X-Gotify-Key", t.token.c_str ());
  } else {
    /* Signed per attempt: a retry carries a fresh timestamp, the same id. */
    std::string timestamp = now_unix_seconds ();
    soup_message_headers_replace (h, "X-GhostView-Event", a->delivery.type.c_str ());
    soup_message_headers_replace (h, "X-GhostView-Delivery", a->delivery.id.c_str ());
    soup_message_headers_replace (h, "X-GhostView-Timestamp", timestamp.c_str ());
    soup_message_headers_replace (h, "X-GhostView-Signature",
                                  webhook_signature (*t.secret, timestamp, body).c_str ());
  }
  GBytes *bytes = g_bytes_new (body.data (), body.size ());
  soup_message_set_request_body_from_bytes (a->msg, "application/json", bytes);
  g_bytes_unref (bytes);
  SoupMessage *msg = a->msg;
  SoupSession *session = t.session;
  GCancellable *cancellable = t.cancellable;
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable, request_done,
                                    a.release ());
}

void pump (const std::shared_ptr<Target> &t)
{
  while (!t->closed && t->active < t->settings->concurrency && !t->queue.empty ()) {
    auto a = std::make_unique<Attempt> ();
    a->target = t;
    a->delivery = std::move (t->queue.front ());
    t->queue.pop_front ();
    t->active++;
    send_attempt (std::move (a));
  }
}

} // namespace

bool webhook_url_ok (const std::string &url, std::string &why)
{
  GError *error = nullptr;
  GUri *uri = g_uri_parse (url.c_str (), G_URI_FLAGS_NONE, &error);
  if (!uri) {
    why = url + " is not a URL: " + error->message;
    g_error_free (error);
    return false;
  }
  std::string scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);
  bool ok = (scheme == "http" || scheme == "https") && host && *host;
  g_uri_unref (uri);
  if (!ok)
    why = url + " is not an http:// or https:// URL with a host";
  return ok;
}

std::string webhook_signature (const std::string &secret, const std::string &timestamp,
                               const std::string &body)
{
  GHmac *mac = g_hmac_new (G_CHECKSUM_SHA256, reinterpret_cast<const guchar *> (secret.data ()),
                           secret.size ());
  g_hmac_update (mac, reinterpret_cast<const guchar *> (timestamp.data ()),
                 (gssize) timestamp.size ());
  g_hmac_update (mac, reinterpret_cast<const guchar *> ("."), 1);
  g_hmac_update (mac, reinterpret_cast<const guchar *> (body.data ()), (gssize) body.size ());
  std::string out = std::string ("sha256=") + g_hmac_get_string (mac);
  g_hmac_unref (mac);
  return out;
}

std::unique_ptr<Notifier> Notifier::create (const WebhookSettings &settings, GError **error)
{
  std::unique_ptr<Notifier> n (new Notifier ());
  n->settings_ = settings;
  if (!settings.urls.empty ()) {
    if (settings.secret_file.empty ()) {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--webhook needs a signing secret: --webhook-secret-file FILE (or "
                           "GHOSTVIEW_WEBHOOK_SECRET_FILE)");
      return nullptr;
    }
    if (!read_secret_file ("--webhook-secret-file", settings.secret_file, n->secret_, error))
      return nullptr;
  }
  std::string gotify_token;
  if (!settings.gotify_url.empty ()) {
    if (settings.gotify_token_file.empty ()) {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--gotify needs the application token: --gotify-token-file FILE (or "
                           "GHOSTVIEW_GOTIFY_TOKEN_FILE)");
      return nullptr;
    }
    if (!read_secret_file ("--gotify-token-file", settings.gotify_token_file, gotify_token, error))
      return nullptr;
  }

  auto add_target = [&] (const std::string &given, const std::string &post_url, bool gotify) {
    std::string why;
    if (!webhook_url_ok (post_url, why)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s",
                   gotify ? "--gotify" : "--webhook", why.c_str ());
      return false;
    }
    auto t = std::make_shared<Target> ();
    t->gotify = gotify;
    t->url = given;
    t->uri = g_uri_parse (post_url.c_str (), G_URI_FLAGS_NONE, nullptr);
    t->token = gotify_token;
    t->session = SOUP_SESSION (g_object_new (
        SOUP_TYPE_SESSION, "timeout", settings.timeout_s, "idle-timeout", 60, "max-conns",
        (int) settings.concurrency, "max-conns-per-host", (int) settings.concurrency, "user-agent",
        "ghostview-signaling/" VERSION, nullptr));
    t->cancellable = g_cancellable_new ();
    t->settings = &n->settings_;
    t->secret = &n->secret_;
    t->counters = &n->counters_;
    n->targets_.push_back (std::move (t));
    return true;
  };
  for (const auto &url : settings.urls)
    if (!add_target (url, url, false))
      return nullptr;
  if (!settings.gotify_url.empty ()) {
    std::string base = settings.gotify_url;
    while (!base.empty () && base.back () == '/')
      base.pop_back ();
    if (!add_target (settings.gotify_url, base + "/message", true))
      return nullptr;
  }
  return n;
}

Notifier::~Notifier ()
{
  shutdown ();
}

void Notifier::shutdown ()
{
  for (auto &t : targets_) {
    if (t->closed)
      continue;
    t->closed = true;
    t->queue.clear ();
    for (guint timer : std::set<guint> (t->retry_timers))
      g_source_remove (timer); /* frees its Attempt */
    t->retry_timers.clear ();
    g_cancellable_cancel (t->cancellable);
    soup_session_abort (t->session);
  }
}

void Notifier::emit (const char *type, const Session &session, const Viewer *viewer,
                     const char *reason, const RecordingNote *recording)
{
  if (targets_.empty ())
    return;
  Delivery d;
  d.id = random_id (16);
  d.type = type;
  std::shared_ptr<const std::string> webhook_body, gotify;
  for (auto &t : targets_) {
    if (t->closed)
      continue;
    if (t->gotify) {
      if (!gotify)
        gotify = std::make_shared<const std::string> (
            gotify_body (type, session, viewer, reason, recording));
      d.body = gotify;
    } else {
      if (!webhook_body)
        webhook_body = std::make_shared<const std::string> (
            event_body (d.id, ++seq_, type, session, viewer, reason, recording));
      d.body = webhook_body;
    }
    if (t->queue.size () >= settings_.queue_limit) {
      t->queue.pop_front ();
      counters_.dropped++;
    }
    t->queue.push_back (d);
    pump (t);
  }
}

guint64 Notifier::queued () const
{
  guint64 n = 0;
  for (const auto &t : targets_)
    n += t->queue.size ();
  return n;
}

std::size_t Notifier::target_count () const
{
  return targets_.size ();
}

} // namespace gv::signaling
