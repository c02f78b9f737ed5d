/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One viewer's assistance data channel ("assist") on the host: each
 * message is checked (flood limit, size, form: gvassistjson.h); a chat line
 * is handed on only when the viewer has the `chat` capability, else the
 * viewer is sent a refusal; refusals and malformed messages are counted.
 * Messages arrive on webrtcbin's threads; nothing here waits. The host's
 * own messages to the viewer (relayed chat) go out through send ().
 */
#pragma once

#include "gvassistjson.h"
#include "gvsignaller.h"
#include "token_bucket.h"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gv::webrtc {

/* The flood limit of one viewer's assistance channel: a person typing
 * never meets it; a script pasting lines in a loop does. */
inline constexpr double kAssistBurst = 20;
inline constexpr double kAssistPerSecond = 5;

struct AssistCounters {
  guint64 chat = 0;      /* chat lines handed on */
  guint64 refused = 0;   /* needed a capability the viewer lacks (answered) */
  guint64 malformed = 0; /* not a message a viewer sends, or too large */
  guint64 clipboard = 0; /* clipboard contents handed on */
  guint64 flood = 0;     /* beyond the flood limit */

  AssistCounters &operator+= (const AssistCounters &other);
};

class AssistChannel : public std::enable_shared_from_this<AssistChannel> {
public:
  struct Callbacks {
    /* The viewer's capabilities now. */
    std::function<GvCapabilities ()> capabilities;
    /* A valid chat line from a viewer with `chat`. */
    std::function<void (const std::string &text)> chat;
    /* Whole clipboard content from a viewer with `clipboard`. */
    std::function<void (const std::string &mime, const std::string &bytes)> clipboard;
    /* A "list-sources" or "share" from a viewer with `source`; returns the
     * answer to send back ("" for none). */
    std::function<std::string (const gv::assist::Message &request)> source;
    /* When the channel opens: the first messages to send the viewer (what
     * is shared now, the pointer). */
    std::function<std::vector<std::string> ()> greeting;
  };

  AssistChannel (std::string peer, GstObject *log_object, Callbacks callbacks);

  /* Listens to `channel` (a GstWebRTCDataChannel labelled "assist", ours or
   * the viewer's) and keeps it for send () until close (). */
  void attach (GObject *channel);
  /* Sends `text` on every attached channel that is open. Any thread; never
   * waits (the channel queues it). */
  void send (const std::string &text);
  /* No message is handled or sent once this returns; the channels are let go. */
  void close ();
  AssistCounters counters () const;

private:
  static void on_string (GObject *channel, const gchar *text, gpointer self);
  static void on_data (GObject *channel, GBytes *data, gpointer self);
  static void on_open (GObject *channel, gpointer self);
  void greet (GObject *channel);
  void handle (GObject *channel, const char *text, gsize length);
  void handle_clipboard (GObject *channel, const gv::assist::Message &piece);
  void handle_source (GObject *channel, const gv::assist::Message &request);
  void count (guint64 AssistCounters::*counter);

  const std::string peer_;
  GstObject *const log_object_;
  const Callbacks callbacks_;
  std::atomic<bool> closed_{ false };
  mutable std::mutex lock_;
  /* Owned; under lock_. Each holds this object through its handlers, so
   * close () breaks the cycle. */
  std::vector<GObject *> channels_;
  gv::TokenBucket flood_{ kAssistBurst, kAssistPerSecond };
  gv::assist::ClipboardAssembler clipboard_; /* under lock_ */
  AssistCounters counters_;
};

} // namespace gv::webrtc
