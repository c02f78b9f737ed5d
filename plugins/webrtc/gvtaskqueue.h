/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Where gvwebrtcsink changes its viewers' state: one thread of its own
 * (TaskThread) that runs tasks in the order they were posted, and one
 * TaskQueue per viewer on it. Callbacks from webrtcbin, the signaller or the
 * application only post; the tasks themselves never wait for each other.
 * This is webrtcbin's own discipline (one ordered queue per connection).
 */
#pragma once

#include <glib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace gv::webrtc {

class TaskThread {
public:
  explicit TaskThread (const char *name);
  ~TaskThread (); /* stops */

  /* Starts the thread; a no-op while it runs. */
  void start ();
  /* Runs what was posted before, then ends the thread and joins it. Tasks
   * posted afterwards are dropped. From a task of its own, the thread ends
   * once that task returns, and tasks still queued are dropped. */
  void stop ();
  bool running () const;
  /* Runs `task` on the thread, after everything posted before it. Dropped
   * (false) when the thread is not running. */
  bool post (std::function<void ()> task);
  /* Runs `task` once on the thread, `delay_ms` from now. Dropped (false)
   * when the thread is not running. */
  bool after (guint delay_ms, std::function<void ()> task);
  /* Runs `tick` every `interval_ms` on the thread until stop (). */
  void every (guint interval_ms, std::function<void ()> tick);
  /* True on the thread itself. */
  bool is_current () const;

private:
  /* Runs `task` from `source` (taking the source's reference) on the
   * thread; false, and nothing attached, when the thread is not running. */
  bool attach (GSource *source, GSourceFunc run, std::function<void ()> task);

  const char *name_;
  mutable std::mutex lock_;
  GMainContext *ctx_ = nullptr; /* non-null while running */
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
};

/* One owner's ordered tasks on a TaskThread. Once closed, tasks still
 * waiting and tasks posted later are dropped, so nothing runs for an owner
 * that is gone. */
class TaskQueue {
public:
  explicit TaskQueue (TaskThread &thread) : thread_ (thread) {}
  bool post (std::function<void ()> task);
  /* Runs `task` `delay_ms` from now, unless the queue was closed by then. */
  bool post_after (guint delay_ms, std::function<void ()> task);
  /* Call on the thread (from one of this queue's tasks) or once the thread
   * has stopped. */
  void close () { open_->store (false); }
  bool is_open () const { return open_->load (); }

private:
  /* `task`, run only if the queue is still open by then. */
  std::function<void ()> while_open (std::function<void ()> task) const;

  TaskThread &thread_;
  std::shared_ptr<std::atomic<bool>> open_ = std::make_shared<std::atomic<bool>> (true);
};

} // namespace gv::webrtc
