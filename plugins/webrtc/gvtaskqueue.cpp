/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvtaskqueue.h"

namespace gv::webrtc {

namespace {

struct Task {
  std::function<void ()> fn;
};

gboolean run_task (gpointer data)
{
  static_cast<Task *> (data)->fn ();
  return G_SOURCE_REMOVE;
}

gboolean run_tick (gpointer data)
{
  static_cast<Task *> (data)->fn ();
  return G_SOURCE_CONTINUE;
}

void free_task (gpointer data)
{
  delete static_cast<Task *> (data);
}

gpointer thread_main (gpointer data)
{
  /* Owns one reference to the loop; the context is the loop's. */
  auto *loop = static_cast<GMainLoop *> (data);
  GMainContext *ctx = g_main_loop_get_context (loop);
  g_main_context_push_thread_default (ctx);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (ctx);
  g_main_loop_unref (loop);
  return nullptr;
}

} // namespace

TaskThread::TaskThread (const char *name) : name_ (name) {}

TaskThread::~TaskThread ()
{
  stop ();
}

void TaskThread::start ()
{
  std::lock_guard<std::mutex> guard (lock_);
  if (ctx_)
    return;
  ctx_ = g_main_context_new ();
  loop_ = g_main_loop_new (ctx_, FALSE);
  thread_ = g_thread_new (name_, thread_main, g_main_loop_ref (loop_));
}

void TaskThread::stop ()
{
  GMainContext *ctx;
  GMainLoop *loop;
  GThread *thread;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!ctx_)
      return;
    ctx = ctx_;
    loop = loop_;
    thread = thread_;
    ctx_ = nullptr;
    loop_ = nullptr;
    thread_ = nullptr;
  }
  if (g_main_context_get_thread_default () == ctx) {
    /* Called from one of its own tasks: the loop ends when the task returns;
     * the thread lets go of its own reference to the loop. */
    g_main_loop_quit (loop);
    g_thread_unref (thread);
    g_main_loop_unref (loop);
    g_main_context_unref (ctx);
    return;
  }
  /* Queued last: everything posted before runs first. */
  auto *quit = new Task{ [loop] () { g_main_loop_quit (loop); } };
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_task, quit, free_task);
  g_source_attach (source, ctx);
  g_source_unref (source);
  g_thread_join (thread);
  g_main_loop_unref (loop);
  g_main_context_unref (ctx);
}

bool TaskThread::running () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return ctx_ != nullptr;
}

bool TaskThread::attach (GSource *source, GSourceFunc run, std::function<void ()> task)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (ctx_) {
    g_source_set_callback (source, run, new Task{ std::move (task) }, free_task);
    g_source_attach (source, ctx_);
  }
  g_source_unref (source);
  return ctx_ != nullptr;
}

bool TaskThread::post (std::function<void ()> task)
{
  /* Idle sources of one priority run in the order they were attached. */
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  return attach (source, run_task, std::move (task));
}

bool TaskThread::after (guint delay_ms, std::function<void ()> task)
{
  return attach (g_timeout_source_new (delay_ms), run_task, std::move (task));
}

void TaskThread::every (guint interval_ms, std::function<void ()> tick)
{
  attach (g_timeout_source_new (interval_ms), run_tick, std::move (tick));
}

bool TaskThread::is_current () const
{
  GMainContext *ctx = g_main_context_get_thread_default ();
  std::lock_guard<std::mutex> guard (lock_);
  return ctx && ctx == ctx_;
}

std::function<void ()> TaskQueue::while_open (std::function<void ()> task) const
{
  return [open = open_, task = std::move (task)] () {
    if (open->load ())
      task ();
  };
}

bool TaskQueue::post (std::function<void ()> task)
{
  return is_open () && thread_.post (while_open (std::move (task)));
}

bool TaskQueue::post_after (guint delay_ms, std::function<void ()> task)
{
  return is_open () && thread_.after (delay_ms, while_open (std::move (task)));
}

} // namespace gv::webrtc
