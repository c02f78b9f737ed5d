/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsrc's watch over its media, so that a receiver never sits on a
 * frozen picture with nothing said. Measured with the network cut between
 * host and viewer (tests/integration/test_network_cut.py): a receiver's ICE
 * never reports the loss (libnice does not fail a pair it is not
 * checking), and when the cut outlasts the signalling server's keepalive
 * the WebSocket closes too, after which nothing could ever end the session.
 * So the media itself is watched: a warning once it has stopped for
 * kWarnAfterS, and the receiver gives up (an error for people) after
 * `timeout_s`, or after kGiveUpWithoutSignallingS once the signalling is
 * lost as well, since then neither a restart nor the host's "session ended"
 * can reach it. Pure: the times are passed in.
 */
#pragma once

#include <glib.h>

#include <atomic>
#include <mutex>

namespace gv::webrtc {

class MediaWatch {
public:
  enum class Verdict { kFine, kWarn, kGiveUp };

  static constexpr guint kWarnAfterS = 5;
  static constexpr guint kGiveUpWithoutSignallingS = 10;

  /* `timeout_s` 0: warn, never give up while the signalling is there. */
  explicit MediaWatch (guint timeout_s = 30) : timeout_s_ (timeout_s) {}

  void set_timeout (guint timeout_s);
  guint timeout () const;
  /* A buffer came (any streaming thread: lock-free). */
  void on_media (gint64 now_us) { last_media_us_.store (now_us, std::memory_order_relaxed); }
  void on_signalling_lost ();
  /* The session ended (EOS sent): media stops for a good reason. */
  void on_ended ();
  /* Media stops for a good reason (paused) and restarts from `now_us`. */
  void restart (gint64 now_us);
  /* Each kWarn once per stall; kGiveUp once. Nothing before the first media
   * (joining has its own time limits). */
  Verdict check (gint64 now_us);
  /* Whole seconds without media at `now_us` (0 before the first). */
  guint stalled_s (gint64 now_us) const;
  bool signalling_lost () const;

private:
  std::atomic<gint64> last_media_us_{ 0 };
  mutable std::mutex lock_;
  guint timeout_s_;
  bool signalling_lost_ = false;
  bool ended_ = false;
  bool gave_up_ = false;
  gint64 warned_for_us_ = -1; /* the last media time a warning was given for */
};

} // namespace gv::webrtc
