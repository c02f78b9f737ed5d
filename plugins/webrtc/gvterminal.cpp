/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvterminal.h"

#include "gvterminaljson.h"

#include <gio/gio.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (gv_terminal_debug);
#define GST_CAT_DEFAULT gv_terminal_debug

namespace gv::webrtc {

namespace {

void init_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gv_terminal_debug, "gvterminal", 0,
                             "GhostView shared terminal (pseudo-terminal and its program)");
    g_once_init_leave (&once, 1);
  }
}

/* The program's argument vector: the command through /bin/sh, or the
 * user's shell (an absolute, executable $SHELL, else /bin/sh). */
std::vector<std::string> program_argv (const std::string &command)
{
  if (!command.empty ())
    return { "/bin/sh", "-c", command };
  const char *shell = g_getenv ("SHELL");
  if (shell && g_path_is_absolute (shell) && access (shell, X_OK) == 0)
    return { shell };
  return { "/bin/sh" };
}

/* Only async-signal-safe calls between fork and exec. */
[[noreturn]] void exec_child (char *const *argv, char *const *envp)
{
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, nullptr);
  for (int sig : { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU })
    signal (sig, SIG_DFL);
  /* The host's sockets and files are not the program's. */
  close_range (3, ~0U, 0);
  execve (argv[0], argv, envp);
  static const char msg[] = "ghostview: could not start the terminal's program\n";
  ssize_t ignored = ::write (2, msg, sizeof msg - 1);
  (void) ignored;
  _exit (127);
}

} // namespace

Terminal::Terminal (std::string command, GstObject *log_object)
    : command_ (std::move (command)), log_object_ (log_object), cols_ (gv::terminal::kDefaultCols),
      rows_ (gv::terminal::kDefaultRows)
{
  init_debug ();
}

Terminal::~Terminal ()
{
  stop ();
}

bool Terminal::start (GError **error)
{
  std::vector<std::string> args = program_argv (command_);
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back (a.data ());
  argv.push_back (nullptr);
  gchar **env = g_get_environ ();
  env = g_environ_setenv (env, "TERM", "xterm-256color", TRUE);
  env = g_environ_unsetenv (env, "COLUMNS");
  env = g_environ_unsetenv (env, "LINES");

  std::lock_guard<std::mutex> guard (lock_);
  if (running_ || stopped_) {
    g_strfreev (env);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "the terminal was started already");
    return false;
  }
  struct winsize ws = {};
  ws.ws_col = (unsigned short) cols_;
  ws.ws_row = (unsigned short) rows_;
  int master = -1;
  pid_t pid = forkpty (&master, nullptr, nullptr, &ws);
  if (pid == 0)
    exec_child (argv.data (), env);
  g_strfreev (env);
  if (pid < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "no pseudo-terminal: %s",
                 g_strerror (e));
    return false;
  }
  fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK);
  fcntl (master, F_SETFD, FD_CLOEXEC);
  master_ = master;
  pid_ = pid;
  running_ = true;
  GST_INFO_OBJECT (log_object_, "terminal: started %s (pid %d), %dx%d", args[0].c_str (), pid,
                   cols_, rows_);

  context_ = g_main_context_new ();
  loop_ = g_main_loop_new (context_, FALSE);
  io_ = g_io_channel_unix_new (master_);
  g_io_channel_set_encoding (io_, nullptr, nullptr);
  g_io_channel_set_buffered (io_, FALSE);
  read_source_ = g_io_create_watch (io_, (GIOCondition) (G_IO_IN | G_IO_HUP | G_IO_ERR));
  g_source_set_callback (read_source_, (GSourceFunc) (void (*) ()) on_readable, this, nullptr);
  g_source_attach (read_source_, context_);
  child_source_ = g_child_watch_source_new (pid_);
  g_source_set_callback (child_source_, (GSourceFunc) (void (*) ()) on_child_exit, this, nullptr);
  g_source_attach (child_source_, context_);
  thread_ = std::thread ([this] () {
    g_main_context_push_thread_default (context_);
    g_main_loop_run (loop_);
    g_main_context_pop_thread_default (context_);
  });
  return true;
}

void Terminal::stop ()
{
  GPid pid = 0;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (stopped_)
      return;
    stopped_ = true;
    pid = pid_;
  }
  if (pid > 0) {
    /* The program leads its own session (forkpty): its process group is
     * its pid. */
    kill (-pid, SIGHUP);
    kill (pid, SIGHUP);
    kill (-pid, SIGCONT);
    std::unique_lock<std::mutex> lock (lock_);
    if (!exited_cond_.wait_for (lock, std::chrono::milliseconds (kStopGraceMs),
                                [this] () { return pid_ == 0; })) {
      GST_INFO_OBJECT (log_object_, "terminal: pid %d ignored the hang-up, killing it", pid);
      kill (-pid, SIGKILL);
      kill (pid, SIGKILL);
      exited_cond_.wait_for (lock, std::chrono::seconds (5), [this] () { return pid_ == 0; });
    }
  }
  if (loop_)
    g_main_loop_quit (loop_);
  if (thread_.joinable ())
    thread_.join ();
  std::lock_guard<std::mutex> guard (lock_);
  for (GSource **s : { &read_source_, &write_source_, &child_source_ }) {
    if (*s) {
      g_source_destroy (*s);
      g_source_unref (*s);
      *s = nullptr;
    }
  }
  if (pid_ > 0) {
    /* Not reaped by the child watch (it would not die): reap it now or
     * leave it to init, never block. */
    GST_WARNING_OBJECT (log_object_, "terminal: pid %d did not exit", pid_);
    waitpid (pid_, nullptr, WNOHANG);
    pid_ = 0;
  }
  if (io_) {
    g_io_channel_unref (io_);
    io_ = nullptr;
  }
  if (master_ >= 0) {
    close (master_);
    master_ = -1;
  }
  if (loop_) {
    g_main_loop_unref (loop_);
    loop_ = nullptr;
  }
  if (context_) {
    g_main_context_unref (context_);
    context_ = nullptr;
  }
  listeners_.clear ();
  running_ = false;
  GST_INFO_OBJECT (log_object_, "terminal: stopped");
}

void Terminal::emit (const Event &event)
{
  if (stopped_)
    return;
  for (auto &kv : listeners_)
    kv.second (event);
}

bool Terminal::drain ()
{
  if (master_ < 0 || master_done_)
    return false;
  char buf[gv::terminal::kMaxOutputChunk];
  /* A few reads at a time, so input and exits are not held back by a
   * program that writes without pause. */
  for (int i = 0; i < 8; i++) {
    ssize_t n = read (master_, buf, sizeof buf);
    if (n > 0) {
      Event e;
      e.type = Event::Type::Output;
      e.data.assign (buf, (size_t) n);
      scrollback_ += e.data;
      if (scrollback_.size () > gv::terminal::kScrollbackBytes) {
        size_t cut = scrollback_.size () - gv::terminal::kScrollbackBytes;
        /* Start on a character, and on a line when one ends soon. */
        while (cut < scrollback_.size () && ((unsigned char) scrollback_[cut] & 0xC0) == 0x80)
          cut++;
        size_t newline = scrollback_.find ('\n', cut);
        if (newline != std::string::npos && newline - cut < 4096)
          cut = newline + 1;
        scrollback_.erase (0, cut);
      }
      emit (e);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return true;
    /* 0 or EIO: every slave side is closed (the program and its children
     * are gone). */
    master_done_ = true;
    return false;
  }
  return true;
}

gboolean Terminal::on_readable (GIOChannel *, GIOCondition, gpointer data)
{
  auto *self = static_cast<Terminal *> (data);
  std::lock_guard<std::mutex> guard (self->lock_);
  if (self->drain ())
    return G_SOURCE_CONTINUE;
  if (self->read_source_) {
    g_source_unref (self->read_source_);
    self->read_source_ = nullptr;
  }
  return G_SOURCE_REMOVE;
}

void Terminal::on_child_exit (GPid pid, gint wait_status, gpointer data)
{
  auto *self = static_cast<Terminal *> (data);
  std::lock_guard<std::mutex> guard (self->lock_);
  self->drain (); /* what it wrote last comes before its exit */
  gint status = WIFEXITED (wait_status)     ? WEXITSTATUS (wait_status)
                : WIFSIGNALED (wait_status) ? 128 + WTERMSIG (wait_status)
                                            : wait_status;
  GST_INFO_OBJECT (self->log_object_, "terminal: pid %d ended, status %d", pid, status);
  g_spawn_close_pid (pid);
  self->pid_ = 0;
  self->exit_status_ = status;
  self->pending_input_.clear ();
  if (self->child_source_) {
    g_source_unref (self->child_source_);
    self->child_source_ = nullptr;
  }
  Event e;
  e.type = Event::Type::Exit;
  e.status = status;
  self->emit (e);
  self->exited_cond_.notify_all ();
}

void Terminal::flush_input ()
{
  while (!pending_input_.empty () && master_ >= 0) {
    ssize_t n = ::write (master_, pending_input_.data (), pending_input_.size ());
    if (n > 0) {
      pending_input_.erase (0, (size_t) n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!write_source_ && context_) {
        write_source_ = g_io_create_watch (io_, G_IO_OUT);
        g_source_set_callback (write_source_, (GSourceFunc) (void (*) ()) on_writable, this,
                               nullptr);
        g_source_attach (write_source_, context_);
      }
      return;
    }
    GST_DEBUG_OBJECT (log_object_, "terminal: input dropped: %s", g_strerror (errno));
    pending_input_.clear ();
  }
}

gboolean Terminal::on_writable (GIOChannel *, GIOCondition, gpointer data)
{
  auto *self = static_cast<Terminal *> (data);
  std::lock_guard<std::mutex> guard (self->lock_);
  if (self->write_source_) {
    g_source_unref (self->write_source_);
    self->write_source_ = nullptr;
  }
  self->flush_input (); /* watches again when the program still does not read */
  return G_SOURCE_REMOVE;
}

bool Terminal::write (const std::string &bytes)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (!running_ || stopped_ || master_ < 0 || exit_status_ >= 0)
    return false;
  if (pending_input_.size () + bytes.size () > kMaxPendingInput)
    return false;
  pending_input_ += bytes;
  flush_input ();
  return true;
}

void Terminal::resize (gint cols, gint rows)
{
  cols = CLAMP (cols, gv::terminal::kMinCols, gv::terminal::kMaxCols);
  rows = CLAMP (rows, gv::terminal::kMinRows, gv::terminal::kMaxRows);
  std::lock_guard<std::mutex> guard (lock_);
  if (cols == cols_ && rows == rows_)
    return;
  cols_ = cols;
  rows_ = rows;
  if (master_ >= 0) {
    struct winsize ws = {};
    ws.ws_col = (unsigned short) cols;
    ws.ws_row = (unsigned short) rows;
    if (ioctl (master_, TIOCSWINSZ, &ws) != 0)
      GST_DEBUG_OBJECT (log_object_, "terminal: TIOCSWINSZ: %s", g_strerror (errno));
  }
  Event e;
  e.type = Event::Type::Size;
  e.cols = cols;
  e.rows = rows;
  emit (e);
}

guint Terminal::subscribe (Listener listener)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (stopped_)
    return 0;
  Event size;
  size.type = Event::Type::Size;
  size.cols = cols_;
  size.rows = rows_;
  listener (size);
  for (size_t at = 0; at < scrollback_.size (); at += gv::terminal::kMaxOutputChunk) {
    Event e;
    e.type = Event::Type::Output;
    e.data = scrollback_.substr (at, gv::terminal::kMaxOutputChunk);
    listener (e);
  }
  if (exit_status_ >= 0) {
    Event e;
    e.type = Event::Type::Exit;
    e.status = exit_status_;
    listener (e);
  }
  guint id = next_id_++;
  listeners_[id] = std::move (listener);
  return id;
}

void Terminal::unsubscribe (guint id)
{
  std::lock_guard<std::mutex> guard (lock_);
  listeners_.erase (id);
}

GPid Terminal::pid () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return pid_;
}

gint Terminal::exit_status () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return exit_status_;
}

} // namespace gv::webrtc
