/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One viewer's input data channel on the host: each message is checked
 * (flood limit, size, form: gvnavjson.h), turned into a GstNavigation event
 * and handed on only when the viewer has control; refusals are counted and,
 * for the gst-plugins-rs control form, answered. Messages arrive on
 * webrtcbin's threads; nothing here waits. The host's own messages to the
 * viewer (its link report) go out through send ().
 */
#pragma once

#include "token_bucket.h"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gv::webrtc {

/* The flood limit of one viewer's input channel. */
inline constexpr double kInputBurst = 500;
inline constexpr double kInputPerSecond = 250;

struct InputCounters {
  guint64 events = 0;     /* handed on */
  guint64 malformed = 0;  /* not a message we understand, or too large */
  guint64 no_control = 0; /* from a viewer without control */
  guint64 flood = 0;      /* beyond the flood limit */

  InputCounters &operator+= (const InputCounters &other);
};

class InputChannel : public std::enable_shared_from_this<InputChannel> {
public:
  struct Callbacks {
    /* The video's size in pixels (0 x 0 when unknown). */
    std::function<void (int &width, int &height)> video_size;
    /* Whether the viewer has control now. */
    std::function<bool ()> has_control;
    /* Takes a navigation event to push upstream. */
    std::function<void (GstEvent *event)> navigate;
    /* The viewer asked for control. */
    std::function<void ()> control_requested;
  };

  InputChannel (std::string peer, GstObject *log_object, Callbacks callbacks);

  /* Listens to `channel` (a GstWebRTCDataChannel, ours or the viewer's),
   * and keeps it for send () until close (). */
  void attach (GObject *channel);
  /* Sends `text` on every attached channel that is open. Any thread, no lock
   * of the caller's held: it never waits (the channel queues the message),
   * and a channel that closes meanwhile drops it. */
  void send (const std::string &text);
  /* One message that came another way (the fallback's `input`, over the
   * signalling connection): checked and handed on exactly like one from the
   * data channel, and counted with them; answers, if any, are not sent. */
  void handle_text (const std::string &text);
  /* No message is handled or sent once this returns; the channels are let go. */
  void close ();
  InputCounters counters () const;

private:
  static void on_string (GObject *channel, const gchar *text, gpointer self);
  static void on_data (GObject *channel, GBytes *data, gpointer self);
  void handle (GObject *channel, const char *text, gsize length);

  const std::string peer_;
  GstObject *const log_object_;
  const Callbacks callbacks_;
  std::atomic<bool> closed_{ false };
  mutable std::mutex lock_;
  /* Owned; under lock_. Each holds this object through its handlers, so
   * close () breaks the cycle. */
  std::vector<GObject *> channels_;
  gv::TokenBucket flood_{ kInputBurst, kInputPerSecond };
  InputCounters counters_;
};

} // namespace gv::webrtc
