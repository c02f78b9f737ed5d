/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtcbin helpers shared by gvwebrtcsink and gvwebrtcsrc: ICE on loopback,
 * mDNS candidates, ICE servers from the signaller, the DTLS certificate,
 * and the elements' hold on their signaller.
 */
#pragma once

#include "gvsignaller.h"

#include <gst/gst.h>

#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <vector>

namespace gv::webrtc {

/* libnice gathers nothing on a machine whose only interface is `lo`, and it
 * never gathers 127.0.0.1 when another interface is up. With `force` (the
 * elements' ice-loopback=true) or when no other interface exists, 127.0.0.1
 * is added to the webrtcbin's NiceAgent; note that libnice then gathers
 * only that address. Call before the first local description is set. */
void maybe_add_loopback (GstElement *webrtcbin, bool force, GstObject *log_object);

/* Turns libnice's UPnP IGD off on the webrtcbin's NiceAgent. Its gupnp
 * thread aborts the whole process (a g_error in gupnp_context_get_server)
 * when it cannot open its HTTP server, which happened here under viewer
 * churn (fault-viewer-kills); and a port mapping on a home router is not
 * how our peers connect (STUN, TURN). Call before gathering starts. */
void disable_upnp (GstElement *webrtcbin, GstObject *log_object);

/* Adds a remote candidate. Browsers hide host candidates behind mDNS names
 * ("<uuid>.local") that libnice cannot use: those are resolved first with
 * GResolver (asynchronously, on the caller's thread-default context) and
 * dropped with a debug log if they do not resolve. Empty candidates (end of
 * candidates) are ignored. */
void add_remote_candidate (GstElement *webrtcbin, guint mline_index, const char *candidate,
                           GstObject *log_object);

/* Sets stun-server (the first of `stun`) and adds every `turn` server, in
 * webrtcbin's URI form (gv_signaller_dup_ice_servers). */
void configure_ice_servers (GstElement *webrtcbin, const gchar *const *stun,
                            const gchar *const *turn);

/* Calls `visit` with every element in `bin`, at any depth, until it
 * returns false. */
void for_each_element (GstBin *bin, const std::function<bool (GstElement *)> &visit);

/* Calls `visit` with every element in `bin`, at any depth, made by the
 * factory `factory` (rtprtxsend inside a webrtcbin, say), until it returns
 * false. */
void for_each_element_made_by (GstBin *bin, const char *factory,
                               const std::function<bool (GstElement *)> &visit);

/* A data channel's bytes go from its appsrc into webrtcbin's sctpenc, whose
 * chain function waits (holding the pad's stream lock) while the SCTP send
 * buffer is full. A peer gone mid-file never drains it, and taking webrtcbin
 * to NULL then waits for that lock forever (GStreamer 1.22's sctpenc
 * leaves that wait only when its pads flush). Call this on the way down:
 * it flushes every sctpenc in `bin`, so a waiting chain returns FLUSHING. */
void unblock_data_channels (GstBin *bin);

/* Each transport's receive bin inside GStreamer 1.22's webrtcbin watches
 * its ICE transport's state, and on every change blocks its input again
 * with a probe that holds a reference to the bin. A change after the bin
 * went to NULL (ICE failing as a vanished viewer is torn down) leaves that
 * reference for good: the bin, its nicesrc and the ICE agent's sockets
 * are never freed (tests/integration/test_fault_viewer_kills.py). Call
 * this before taking `webrtcbin` down: it disconnects those watchers. */
void forget_ice_state_watchers (GstElement *webrtcbin);

/* GStreamer's DTLS elements generate the process's certificate (an RSA-2048
 * key, 0.2 - 0.6 s of CPU) when the first of them is made, which is on the
 * join path: the host's first offer, the receiver's answer. This makes it
 * now, on a thread of its own, once per process; a webrtcbin that needs it
 * meanwhile waits for the same generation instead of starting another. */
void prepare_dtls_certificate ();

/* A signaller's "error" as the element's bus message: an error when the
 * signaller has given up (`fatal`), a warning otherwise. */
void post_signaller_error (GstElement *element, const char *code, const char *message, bool fatal);

/* `error` (an error message, taken) as a warning from `from`, its text
 * `text (the error's own text)`, its domain, code and debug kept. */
GstMessage *error_as_warning (GstMessage *error, GstObject *from,
                              const std::function<std::string (const char *)> &text);

/* The signaller an element talks through and the handlers it connected.
 * The element guards it with its own lock. */
struct SignallerHold {
  GvSignaller *signaller = nullptr;
  std::vector<gulong> handlers;

  struct Handler {
    const char *signal;
    GCallback callback;
  };
  /* Takes `signaller` (sinking a floating reference), gives it `role` if it
   * has that property, connects `handlers` with `user`; the previous
   * signaller is disconnected and dropped. */
  void attach (GvSignaller *signaller, GvSignallerRole role, std::initializer_list<Handler> connect,
               gpointer user);
  /* Stops the signaller, disconnects it and drops it. */
  void release ();
  /* A new reference, or nullptr. */
  GvSignaller *ref () const;
};

/* The elements' "signaller" property (construct or READY). */
GParamSpec *signaller_param_spec ();

/* GstChildProxy::get_child_by_name of an element with a signaller:
 * "signaller" (as in `signaller::server=...` on a launch line) is `hold`'s,
 * any other name is looked up by `parent_class`'s implementation. */
GObject *signaller_or_child (GstChildProxy *proxy, const gchar *name, std::mutex &lock,
                             const SignallerHold &hold, gpointer parent_class);

} // namespace gv::webrtc
