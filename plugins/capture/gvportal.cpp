/* GhostView — xdg-desktop-portal ScreenCast handshake, see gvportal.h. */
#include "gvportal.h"

#include <gio/gunixfdlist.h>
#include <string>
#include <unistd.h>

#define PORTAL_BUS "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define SCREENCAST_IFACE "org.freedesktop.portal.ScreenCast"

namespace {
struct PendingRequest {
  GMainContext *context = nullptr;
  bool done = false;
  guint32 response = 2;
  GVariant *results = nullptr;
};

void on_response (GDBusConnection *, const gchar *, const gchar *, const gchar *, const gchar *,
                  GVariant *parameters, gpointer user_data)
{
  auto *req = static_cast<PendingRequest *> (user_data);
  g_variant_get (parameters, "(u@a{sv})", &req->response, &req->results);
  req->done = true;
  g_main_context_wakeup (req->context);
}

gboolean on_timeout (gpointer user_data)
{
  *static_cast<bool *> (user_data) = true;
  return G_SOURCE_REMOVE;
}

/* Calls @method with a fresh handle_token added to @options (its last
 * argument) and waits for the Request's Response signal. */
GVariant *portal_request (GDBusConnection *bus, GMainContext *ctx, const std::string &sender,
                          const char *method, GVariant *leading_args, GVariantBuilder *options,
                          guint timeout_s, GError **error)
{
  static guint counter = 0;
  std::string token = "gv" + std::to_string (getpid ()) + "_" + std::to_string (++counter);
  std::string request_path = PORTAL_PATH "/request/" + sender + "/" + token;
  g_variant_builder_add (options, "{sv}", "handle_token", g_variant_new_string (token.c_str ()));

  PendingRequest req;
  req.context = ctx;
  guint sub = g_dbus_connection_signal_subscribe (
      bus, PORTAL_BUS, "org.freedesktop.portal.Request", "Response", request_path.c_str (), nullptr,
      G_DBUS_SIGNAL_FLAGS_NONE, on_response, &req, nullptr);

  GVariantBuilder args;
  g_variant_builder_init (&args, G_VARIANT_TYPE_TUPLE);
  if (leading_args) {
    GVariantIter iter;
    g_variant_iter_init (&iter, leading_args);
    while (GVariant *child = g_variant_iter_next_value (&iter)) {
      g_variant_builder_add_value (&args, child);
      g_variant_unref (child);
    }
    g_variant_unref (leading_args);
  }
  g_variant_builder_add_value (&args, g_variant_builder_end (options));

  GVariant *reply = g_dbus_connection_call_sync (bus, PORTAL_BUS, PORTAL_PATH, SCREENCAST_IFACE,
                                                 method, g_variant_builder_end (&args), nullptr,
                                                 G_DBUS_CALL_FLAGS_NONE, -1, nullptr, error);
  if (reply) {
    g_variant_unref (reply);
    bool timed_out = false;
    GSource *timer = g_timeout_source_new_seconds (timeout_s);
    g_source_set_callback (timer, on_timeout, &timed_out, nullptr);
    g_source_attach (timer, ctx);
    while (!req.done && !timed_out)
      g_main_context_iteration (ctx, TRUE);
    g_source_destroy (timer);
    g_source_unref (timer);
    if (!req.done)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "The screen-cast portal did not answer %s within %u s", method, timeout_s);
    else if (req.response != 0)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                   "The screen-cast portal refused %s (response %u)", method, req.response);
  }
  g_dbus_connection_signal_unsubscribe (bus, sub);
  if (error && *error) {
    if (req.results)
      g_variant_unref (req.results);
    return nullptr;
  }
  return req.results;
}

GVariantBuilder *new_options ()
{
  return g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
}
} // namespace

gboolean gv_portal_open (guint source_types, gboolean show_cursor, guint timeout_s,
                         GvPortalStream *out, GError **error)
{
  GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, nullptr, error);
  if (!bus)
    return FALSE;
  GMainContext *ctx = g_main_context_new ();
  g_main_context_push_thread_default (ctx);

  std::string sender = g_dbus_connection_get_unique_name (bus) + 1; /* drop ':' */
  for (char &c : sender)
    if (c == '.')
      c = '_';

  gboolean ok = FALSE;
  gchar *session = nullptr;
  GVariant *results = nullptr;
  GVariantBuilder *opts = new_options ();
  g_variant_builder_add (opts, "{sv}", "session_handle_token", g_variant_new_string ("gvsession"));
  results = portal_request (bus, ctx, sender, "CreateSession", nullptr, opts, timeout_s, error);
  g_variant_builder_unref (opts);
  if (results) {
    g_variant_lookup (results, "session_handle", "s", &session);
    g_variant_unref (results);
  }
  if (!session) {
    if (error && !*error)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The portal created no session");
    goto out;
  }

  opts = new_options ();
  g_variant_builder_add (opts, "{sv}", "types", g_variant_new_uint32 (source_types));
  g_variant_builder_add (opts, "{sv}", "multiple", g_variant_new_boolean (FALSE));
  /* cursor_mode: 1 hidden, 2 embedded in the frames */
  g_variant_builder_add (opts, "{sv}", "cursor_mode", g_variant_new_uint32 (show_cursor ? 2 : 1));
  results =
      portal_request (bus, ctx, sender, "SelectSources",
                      g_variant_ref_sink (g_variant_new ("(o)", session)), opts, timeout_s, error);
  g_variant_builder_unref (opts);
  if (!results)
    goto out;
  g_variant_unref (results);

  opts = new_options ();
  results = portal_request (bus, ctx, sender, "Start",
                            g_variant_ref_sink (g_variant_new ("(os)", session, "")), opts,
                            timeout_s, error);
  g_variant_builder_unref (opts);
  if (!results)
    goto out;
  {
    GVariant *streams = g_variant_lookup_value (results, "streams", G_VARIANT_TYPE ("a(ua{sv})"));
    if (streams && g_variant_n_children (streams) > 0) {
      GVariant *props = nullptr;
      g_variant_get_child (streams, 0, "(u@a{sv})", &out->node_id, &props);
      g_variant_lookup (props, "position", "(ii)", &out->x, &out->y);
      g_variant_lookup (props, "size", "(ii)", &out->width, &out->height);
      g_variant_unref (props);
      ok = TRUE;
    }
    if (streams)
      g_variant_unref (streams);
    g_variant_unref (results);
  }
  if (!ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The portal started no stream");
    goto out;
  }

  {
    GUnixFDList *fds = nullptr;
    GVariant *reply = g_dbus_connection_call_with_unix_fd_list_sync (
        bus, PORTAL_BUS, PORTAL_PATH, SCREENCAST_IFACE, "OpenPipeWireRemote",
        g_variant_new ("(oa{sv})", session, nullptr), G_VARIANT_TYPE ("(h)"),
        G_DBUS_CALL_FLAGS_NONE, -1, nullptr, &fds, nullptr, error);
    ok = FALSE;
    if (reply) {
      gint32 index = 0;
      g_variant_get (reply, "(h)", &index);
      out->fd = g_unix_fd_list_get (fds, index, error);
      ok = out->fd >= 0;
      g_variant_unref (reply);
    }
    if (fds)
      g_object_unref (fds);
  }

out:
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  if (ok) {
    out->session = session;
    out->bus = bus;
  } else {
    if (session)
      g_dbus_connection_call_sync (bus, PORTAL_BUS, session, "org.freedesktop.portal.Session",
                                   "Close", nullptr, nullptr, G_DBUS_CALL_FLAGS_NONE, -1, nullptr,
                                   nullptr);
    g_free (session);
    g_object_unref (bus);
  }
  return ok;
}

void gv_portal_close (GvPortalStream *stream)
{
  if (stream->bus && stream->session)
    g_dbus_connection_call_sync (stream->bus, PORTAL_BUS, stream->session,
                                 "org.freedesktop.portal.Session", "Close", nullptr, nullptr,
                                 G_DBUS_CALL_FLAGS_NONE, -1, nullptr, nullptr);
  if (stream->fd >= 0)
    close (stream->fd);
  g_clear_pointer (&stream->session, g_free);
  g_clear_object (&stream->bus);
  stream->fd = -1;
}
