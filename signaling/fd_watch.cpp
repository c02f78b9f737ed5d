#include "fd_watch.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace gv::signaling {
namespace {
thread_local std::shared_ptr<FdWatch> current_watch;
}

struct FdWatch::Source {
  GSource base;
  GPollFD poll; /* the epoll descriptor */
  FdWatch *watch;
};

/* Polls the epoll descriptor unless held (GLib reads the events of a
 * poll record on every iteration). */
gboolean FdWatch::prepare (GSource *source, gint *timeout)
{
  auto *self = reinterpret_cast<Source *> (source);
  self->poll.events = self->watch->held () ? 0 : G_IO_IN;
  *timeout = -1;
  return FALSE;
}

/* The loop's poll said the epoll set has ready descriptors: tell their
 * owners now, so that the sources checked after this one are flagged in
 * this same iteration. The watch's own source never dispatches. */
gboolean FdWatch::check (GSource *source)
{
  auto *self = reinterpret_cast<Source *> (source);
  if ((self->poll.revents & G_IO_IN) && !self->watch->held ())
    self->watch->take_events ();
  return FALSE;
}

void FdWatch::take_events ()
{
  /* An owner may drop its registration, and with it the last reference. */
  auto keep = shared_from_this ();
  /* More than this many ready: the rest on the next iteration (epoll
   * hands out ready descriptors round-robin). */
  epoll_event events[256];
  int n = epoll_wait (epoll_fd_, events, G_N_ELEMENTS (events), 0);
  for (int i = 0; i < n; i++) {
    auto *entry = static_cast<FdWatchEntry *> (events[i].data.ptr);
    entry->on_ready (entry->owner);
  }
  if (n < 0 && errno != EINTR)
    g_warning ("fd watch: epoll_wait: %s", g_strerror (errno));
}

FdWatch::FdWatch (GMainContext *context)
    : context_ (g_main_context_ref (context)), epoll_fd_ (epoll_create1 (EPOLL_CLOEXEC))
{
  static GSourceFuncs funcs = { prepare,
                                check,
                                [] (GSource *, GSourceFunc, gpointer) -> gboolean { return G_SOURCE_CONTINUE; },
                                nullptr,
                                nullptr,
                                nullptr };
  source_ = g_source_new (&funcs, sizeof (Source));
  auto *self = reinterpret_cast<Source *> (source_);
  self->watch = this;
  self->poll.fd = epoll_fd_;
  self->poll.events = G_IO_IN;
  self->poll.revents = 0;
  /* A plain poll record (not a unix fd): GLib leaves readiness to check. */
  if (epoll_fd_ >= 0)
    g_source_add_poll (source_, &self->poll);
  else
    g_warning ("fd watch: epoll_create1: %s; sockets are polled by GLib", g_strerror (errno));
  g_source_set_priority (source_, kPriority);
  g_source_set_static_name (source_, "ghostview epoll set");
  g_source_attach (source_, context);
}

FdWatch::~FdWatch ()
{
  g_source_destroy (source_);
  g_source_unref (source_);
  g_main_context_unref (context_);
  if (epoll_fd_ >= 0)
    close (epoll_fd_);
}

bool FdWatch::add (int fd, FdWatchEntry *entry)
{
  if (epoll_fd_ < 0)
    return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = entry;
  return epoll_ctl (epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void FdWatch::remove (int fd)
{
  if (epoll_fd_ >= 0)
    epoll_ctl (epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

std::shared_ptr<FdWatch> FdWatch::current ()
{
  return current_watch;
}

void FdWatch::set_current (std::shared_ptr<FdWatch> watch)
{
  current_watch = std::move (watch);
}

} // namespace gv::signaling
