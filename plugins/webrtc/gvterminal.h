/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A shared terminal: a program (the user's shell, or a command) in a
 * pseudo-terminal, watched by a GLib main loop on a thread of its own (a
 * GIOChannel on the master side, a child watch for the program). Its
 * output goes to every listener and into a bounded buffer of recent
 * output, which a new listener gets first; input and size changes come
 * from any thread. gvwebrtcsink runs one for `terminal=true` and hands it
 * to each viewer's terminal channel (gvterminalchannel.h).
 *
 * Clean-up: stop () (also the destructor) hangs the program up (SIGHUP to
 * its process group, SIGKILL after kStopGraceMs), reaps it and closes the
 * master. If the host process dies without stopping, the kernel hangs the
 * terminal's session up when the master closes.
 */
#pragma once

#include <gst/gst.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gv::webrtc {

/* How long a hung-up program has before it is killed. */
inline constexpr gint kStopGraceMs = 1000;
/* Input waiting for the program to read it, at most. */
inline constexpr gsize kMaxPendingInput = 64 * 1024;

class Terminal {
public:
  struct Event {
    enum class Type { Output, Size, Exit } type = Type::Output;
    std::string data;        /* Output: bytes */
    gint cols = 0, rows = 0; /* Size */
    gint status = 0;         /* Exit: exit status, or 128 + signal */
  };
  /* Called on the terminal's thread with its lock held: must not wait, and
   * must not call back into the terminal. */
  using Listener = std::function<void (const Event &)>;

  /* `command`: run with /bin/sh -c; empty: $SHELL, else /bin/sh. */
  Terminal (std::string command, GstObject *log_object);
  ~Terminal ();
  Terminal (const Terminal &) = delete;
  Terminal &operator= (const Terminal &) = delete;

  /* Starts the program. False with `error` set when there is no
   * pseudo-terminal or the thread cannot start. */
  bool start (GError **error);
  /* Hangs the program up and reaps it, closes the terminal; listeners get
   * nothing more. Idempotent. */
  void stop ();

  /* Writes `bytes` to the program as typed. False when the terminal is
   * not running or too much input is waiting already. */
  bool write (const std::string &bytes);
  /* The pseudo-terminal's size (TIOCSWINSZ; the program gets SIGWINCH). */
  void resize (gint cols, gint rows);

  /* Adds a listener: it gets the size, the recent output and (when the
   * program ended) the exit first, then what follows. */
  guint subscribe (Listener listener);
  void unsubscribe (guint id);

  /* The program's process id while it runs; 0 before, or once reaped. */
  GPid pid () const;
  /* Its exit status once it ended; -1 while it runs. */
  gint exit_status () const;

private:
  static gboolean on_readable (GIOChannel *, GIOCondition condition, gpointer self);
  static gboolean on_writable (GIOChannel *, GIOCondition condition, gpointer self);
  static void on_child_exit (GPid pid, gint status, gpointer self);
  /* Reads what the master has; false at its end. Under lock_. */
  bool drain ();
  void emit (const Event &event); /* under lock_ */
  void flush_input ();            /* under lock_ */

  const std::string command_;
  GstObject *const log_object_;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  std::thread thread_;

  mutable std::mutex lock_;
  std::condition_variable exited_cond_;
  int master_ = -1;
  GPid pid_ = 0;
  gint exit_status_ = -1;
  bool running_ = false, stopped_ = false, master_done_ = false;
  gint cols_, rows_;
  GIOChannel *io_ = nullptr;
  GSource *read_source_ = nullptr, *write_source_ = nullptr, *child_source_ = nullptr;
  std::string scrollback_;
  std::string pending_input_;
  std::map<guint, Listener> listeners_;
  guint next_id_ = 1;
};

} // namespace gv::webrtc
