/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One viewer's terminal channel ("terminal", gvterminaljson.h) on the host:
 * once open it listens to the shared Terminal (recent output first), and
 * hands the viewer's typing and size to it only while the viewer has the
 * `control` capability, checked here on every message exactly as the
 * input channel checks mouse and keyboard. Typing without it is answered
 * with a refusal and counted; malformed, binary or oversized messages and
 * a flood beyond the limit are refused and counted. Nothing waits.
 */
#pragma once

#include "gvsignaller.h"
#include "gvterminal.h"
#include "token_bucket.h"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace gv::webrtc {

/* A person typing or pasting never meets it; a script sending keystrokes
 * in a loop does. */
inline constexpr double kTerminalBurst = 200;
inline constexpr double kTerminalPerSecond = 100;
/* Output is not queued for a viewer beyond this much unsent (its link is
 * too slow for the program's output): it misses output until it drains. */
inline constexpr guint64 kTerminalMaxBuffered = 8 * 1024 * 1024;

struct TerminalCounters {
  guint64 input = 0;     /* keystroke messages written to the terminal */
  guint64 refused = 0;   /* typing without `control` (answered) */
  guint64 malformed = 0; /* refused messages: not one of ours, binary, too large */
  guint64 flood = 0;     /* beyond the flood limit */
  guint64 skipped = 0;   /* output not sent: the viewer's channel was full */
};

class TerminalChannel : public std::enable_shared_from_this<TerminalChannel> {
public:
  TerminalChannel (std::string peer, std::shared_ptr<Terminal> terminal, GstObject *log_object,
                   std::function<GvCapabilities ()> capabilities);
  ~TerminalChannel ();

  /* Takes `channel` (a GstWebRTCDataChannel labelled "terminal"); one per
   * viewer, a second is ignored. */
  void attach (GObject *channel);
  /* Nothing is handled or sent once this returns. */
  void close ();
  TerminalCounters counters () const;

private:
  static void on_string (GObject *channel, const gchar *text, gpointer self);
  static void on_data (GObject *channel, GBytes *data, gpointer self);
  static void on_open (GObject *channel, gpointer self);
  void open ();
  void handle (const char *text, gsize length);
  void send_text (const std::string &text);
  void deliver (const Terminal::Event &event);

  const std::string peer_;
  const std::shared_ptr<Terminal> terminal_;
  GstObject *const log_object_;
  const std::function<GvCapabilities ()> capabilities_;
  std::atomic<bool> closed_{ false };
  mutable std::mutex lock_;
  GObject *channel_ = nullptr; /* owned, under lock_ */
  guint subscription_ = 0;     /* under lock_ */
  gv::TokenBucket flood_{ kTerminalBurst, kTerminalPerSecond };
  TerminalCounters counters_; /* under lock_ */
};

} // namespace gv::webrtc
