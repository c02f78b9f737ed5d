/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvwebrtcutils.h"

#include <gio/gio.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include <set>
#include <string>

GST_DEBUG_CATEGORY_STATIC (gv_webrtc_utils_debug);
#define GST_CAT_DEFAULT gv_webrtc_utils_debug

namespace gv::webrtc {

namespace {

void init_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gv_webrtc_utils_debug, "gvwebrtcutils", 0, "GhostView webrtc helpers");
    g_once_init_leave (&once, 1);
  }
}

bool have_other_interface ()
{
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  bool found = ips != nullptr;
  g_list_free_full (ips, g_free);
  return found;
}

struct PendingCandidate {
  GstElement *webrtcbin;
  GstObject *log_object;
  guint mline_index;
  std::string candidate;
  std::string hostname;
};

void resolved_cb (GObject *source, GAsyncResult *res, gpointer user)
{
  auto *pending = static_cast<PendingCandidate *> (user);
  GError *err = nullptr;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), res, &err);
  if (!addresses) {
    GST_DEBUG_OBJECT (pending->log_object, "dropping mDNS candidate %s: %s",
                      pending->hostname.c_str (), err ? err->message : "no address");
    g_clear_error (&err);
  } else {
    gchar *ip = g_inet_address_to_string (G_INET_ADDRESS (addresses->data));
    std::string c = pending->candidate;
    c.replace (c.find (pending->hostname), pending->hostname.size (), ip);
    GST_DEBUG_OBJECT (pending->log_object, "mDNS %s resolved to %s", pending->hostname.c_str (),
                      ip);
    g_signal_emit_by_name (pending->webrtcbin, "add-ice-candidate", pending->mline_index,
                           c.c_str ());
    g_free (ip);
    g_resolver_free_addresses (addresses);
  }
  gst_object_unref (pending->webrtcbin);
  gst_object_unref (pending->log_object);
  delete pending;
}

/* webrtcbin's libnice agent (a reference), or nullptr; `has_ice` says
 * whether webrtcbin has an ICE agent at all (one that is not libnice gives
 * nullptr with `has_ice` true). */
NiceAgent *ref_nice_agent (GstElement *webrtcbin, bool &has_ice)
{
  GObject *ice = nullptr;
  g_object_get (webrtcbin, "ice-agent", &ice, nullptr);
  has_ice = ice != nullptr;
  if (!ice)
    return nullptr;
  NiceAgent *agent = nullptr;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, nullptr);
  g_object_unref (ice);
  return agent;
}

} // namespace

void maybe_add_loopback (GstElement *webrtcbin, bool force, GstObject *log_object)
{
  init_debug ();
  if (!force && have_other_interface ())
    return;
  bool has_ice = false;
  NiceAgent *agent = ref_nice_agent (webrtcbin, has_ice);
  if (!has_ice)
    return;
  if (agent) {
    NiceAddress addr;
    nice_address_init (&addr);
    nice_address_set_from_string (&addr, "127.0.0.1");
    nice_agent_add_local_address (agent, &addr);
    GST_DEBUG_OBJECT (log_object, "ICE gathers on 127.0.0.1%s",
                      force ? " (ice-loopback=true)" : " (no other interface)");
    g_object_unref (agent);
  } else {
    GST_WARNING_OBJECT (log_object, "webrtcbin's ICE agent is not libnice; cannot add loopback");
  }
}

void disable_upnp (GstElement *webrtcbin, GstObject *log_object)
{
  bool has_ice = false;
  NiceAgent *agent = ref_nice_agent (webrtcbin, has_ice);
  if (agent && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp")) {
    g_object_set (agent, "upnp", FALSE, nullptr);
    GST_DEBUG_OBJECT (log_object, "libnice UPnP off");
  }
  g_clear_object (&agent);
}

void add_remote_candidate (GstElement *webrtcbin, guint mline_index, const char *candidate,
                           GstObject *log_object)
{
  init_debug ();
  if (!candidate || !*candidate)
    return;
  gchar **parts = g_strsplit (candidate, " ", 8);
  std::string address = g_strv_length (parts) > 4 ? parts[4] : "";
  g_strfreev (parts);
  if (!g_str_has_suffix (address.c_str (), ".local")) {
    g_signal_emit_by_name (webrtcbin, "add-ice-candidate", mline_index, candidate);
    return;
  }
  auto *pending = new PendingCandidate{ GST_ELEMENT (gst_object_ref (webrtcbin)),
                                        GST_OBJECT (gst_object_ref (log_object)), mline_index,
                                        candidate, address };
  GResolver *resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, address.c_str (), nullptr, resolved_cb, pending);
  g_object_unref (resolver);
}

void configure_ice_servers (GstElement *webrtcbin, const gchar *const *stun,
                            const gchar *const *turn)
{
  if (stun && stun[0])
    g_object_set (webrtcbin, "stun-server", stun[0], nullptr);
  for (int i = 0; turn && turn[i]; i++) {
    gboolean ok = FALSE;
    g_signal_emit_by_name (webrtcbin, "add-turn-server", turn[i], &ok);
  }
}

void prepare_dtls_certificate ()
{
  init_debug ();
  static gsize started = 0;
  if (!g_once_init_enter (&started))
    return;
  GThread *thread = g_thread_try_new (
      "gv-dtls-cert",
      [] (gpointer) -> gpointer {
        gint64 start = g_get_monotonic_time ();
        /* Making the element generates the shared certificate. */
        GstElement *dtls = gst_element_factory_make ("dtlsdec", nullptr);
        if (dtls)
          gst_object_unref (gst_object_ref_sink (dtls));
        GST_DEBUG ("DTLS certificate ready in %" G_GINT64_FORMAT " ms",
                   (g_get_monotonic_time () - start) / 1000);
        return nullptr;
      },
      nullptr, nullptr);
  if (thread)
    g_thread_unref (thread);
  g_once_init_leave (&started, 1);
}

void post_signaller_error (GstElement *element, const char *code, const char *message, bool fatal)
{
  if (fatal)
    GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ, ("%s", message), ("signaller error %s", code));
  else
    GST_ELEMENT_WARNING (element, RESOURCE, READ, ("%s", message), ("signaller error %s", code));
}

void SignallerHold::attach (GvSignaller *next, GvSignallerRole role,
                            std::initializer_list<Handler> connect, gpointer user)
{
  if (signaller) {
    for (gulong id : handlers)
      g_signal_handler_disconnect (signaller, id);
    handlers.clear ();
    g_object_unref (signaller);
  }
  signaller = GV_SIGNALLER (g_object_ref_sink (next));
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), "role"))
    g_object_set (signaller, "role", role, nullptr);
  for (const Handler &h : connect)
    handlers.push_back (g_signal_connect (signaller, h.signal, h.callback, user));
}

void SignallerHold::release ()
{
  if (!signaller)
    return;
  gv_signaller_stop (signaller);
  for (gulong id : handlers)
    g_signal_handler_disconnect (signaller, id);
  handlers.clear ();
  g_clear_object (&signaller);
}

GvSignaller *SignallerHold::ref () const
{
  return signaller ? GV_SIGNALLER (g_object_ref (signaller)) : nullptr;
}

GParamSpec *signaller_param_spec ()
{
  return g_param_spec_object (
      "signaller", "Signaller",
      "The GvSignaller (default: a GvPinSignaller); its properties are set as "
      "signaller::server=ws://... on a launch line",
      GV_TYPE_SIGNALLER,
      (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
}

GObject *signaller_or_child (GstChildProxy *proxy, const gchar *name, std::mutex &lock,
                             const SignallerHold &hold, gpointer parent_class)
{
  if (g_strcmp0 (name, "signaller") == 0) {
    std::lock_guard<std::mutex> guard (lock);
    return G_OBJECT (hold.ref ());
  }
  auto *parent_iface = static_cast<GstChildProxyInterface *> (
      g_type_interface_peek (parent_class, GST_TYPE_CHILD_PROXY));
  return parent_iface->get_child_by_name (proxy, name);
}

void for_each_element (GstBin *bin, const std::function<bool (GstElement *)> &visit)
{
  GstIterator *it = gst_bin_iterate_recurse (bin);
  GValue item = G_VALUE_INIT;
  bool more = true;
  while (more && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    more = visit (GST_ELEMENT (g_value_get_object (&item)));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

void for_each_element_made_by (GstBin *bin, const char *factory,
                               const std::function<bool (GstElement *)> &visit)
{
  for_each_element (bin, [&] (GstElement *e) {
    GstElementFactory *f = gst_element_get_factory (e);
    return !(f && g_str_equal (GST_OBJECT_NAME (f), factory)) || visit (e);
  });
}

void unblock_data_channels (GstBin *bin)
{
  for_each_element_made_by (bin, "sctpenc", [] (GstElement *sctpenc) {
    GstPad *src = gst_element_get_static_pad (sctpenc, "src");
    if (src) {
      gst_pad_send_event (src, gst_event_new_flush_start ());
      gst_object_unref (src);
    }
    return true;
  });
}

/* The ICE transport under a DTLS transport (either may be null). */
static void add_ice_transport (GObject *dtls, std::set<GObject *> &ice)
{
  if (!dtls)
    return;
  GObject *transport = nullptr;
  g_object_get (dtls, "transport", &transport, nullptr);
  if (transport && !ice.insert (transport).second)
    g_object_unref (transport);
  g_object_unref (dtls);
}

void forget_ice_state_watchers (GstElement *webrtcbin)
{
  std::set<GObject *> ice;
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (webrtcbin, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++) {
    GObject *sender = nullptr;
    g_object_get (g_array_index (transceivers, GObject *, i), "sender", &sender, nullptr);
    if (!sender)
      continue;
    GObject *dtls = nullptr;
    g_object_get (sender, "transport", &dtls, nullptr);
    add_ice_transport (dtls, ice);
    g_object_unref (sender);
  }
  if (transceivers)
    g_array_unref (transceivers);
  GObject *sctp = nullptr;
  g_object_get (webrtcbin, "sctp-transport", &sctp, nullptr);
  if (sctp) {
    GObject *dtls = nullptr;
    g_object_get (sctp, "transport", &dtls, nullptr);
    add_ice_transport (dtls, ice);
    g_object_unref (sctp);
  }

  /* webrtcbin makes these with g_object_new: no factory to match. */
  std::vector<GstElement *> receive_bins;
  for_each_element (GST_BIN (webrtcbin), [&] (GstElement *e) {
    if (g_str_equal (G_OBJECT_TYPE_NAME (e), "TransportReceiveBin"))
      receive_bins.push_back (GST_ELEMENT (gst_object_ref (e)));
    return true;
  });

  for (GObject *transport : ice) {
    for (GstElement *bin : receive_bins)
      g_signal_handlers_disconnect_matched (transport, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr,
                                            bin);
    g_object_unref (transport);
  }
  for (GstElement *bin : receive_bins)
    gst_object_unref (bin);
}

GstMessage *error_as_warning (GstMessage *error, GstObject *from,
                              const std::function<std::string (const char *)> &text)
{
  GError *err = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error (error, &err, &debug);
  GError *warning = g_error_new_literal (err->domain, err->code, text (err->message).c_str ());
  GstMessage *converted = gst_message_new_warning (from, warning, debug);
  g_error_free (warning);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (error);
  return converted;
}

} // namespace gv::webrtc
