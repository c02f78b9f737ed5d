/* Readiness of many descriptors through one epoll set, seen by a
 * GMainContext as one descriptor.
 *
 * GLib's main loop hands every descriptor of its context to poll() on each
 * wake-up, so with thousands of sockets a context the kernel looks at all
 * of them for every message (sock_poll and tcp_poll were a third of an I/O
 * thread's time at 10,000 sessions). Sockets registered here are kept in an
 * epoll set instead: the loop polls the epoll descriptor alone, and in its
 * check phase the watch asks epoll which sockets are ready and tells their
 * owners, who flag their sources (checked after it, in the same iteration,
 * so they are dispatched at once).
 *
 * Threading: an FdWatch and its entries belong to the thread that runs its
 * context. */
#pragma once

#include <glib.h>

#include <atomic>
#include <memory>

namespace gv::signaling {

/* Who is told when a registered descriptor is ready (readable, hung up or
 * in error): `on_ready (owner)`, from the watch's check. */
struct FdWatchEntry {
  void (*on_ready) (void *owner);
  void *owner;
};

class FdWatch : public std::enable_shared_from_this<FdWatch> {
public:
  /* Attaches the watch's source to `context`. The last reference may be
   * dropped on another thread once `context` no longer runs. */
  explicit FdWatch (GMainContext *context);
  ~FdWatch ();
  FdWatch (const FdWatch &) = delete;
  FdWatch &operator= (const FdWatch &) = delete;

  /* Level-triggered: `entry` is told on every check while `fd` has
   * something to read, so an owner with nothing waiting to read should
   * remove it. False when epoll refuses (the caller then polls the
   * descriptor the GLib way). */
  bool add (int fd, FdWatchEntry *entry);
  /* Before `fd` is closed or `entry` freed. */
  void remove (int fd);

  /* While `*hold` is true the loop does not poll the epoll set: nothing
   * is flagged, the sockets' bytes wait in the kernel. Whoever clears it
   * wakes the context. Set before the loop runs. */
  void set_hold (const std::atomic<bool> *hold) { hold_ = hold; }

  /* The context whose loop the watch flags sources in. */
  GMainContext *context () const { return context_; }

  /* The calling thread's watch, or null. Streams that register keep a
   * reference, so the epoll set outlives every registration. */
  static std::shared_ptr<FdWatch> current ();
  /* Sets (or, with null, clears) the calling thread's watch. */
  static void set_current (std::shared_ptr<FdWatch> watch);

  /* Priority of the watch's source: above the default, so that it is
   * checked before the sources it flags. */
  static constexpr int kPriority = G_PRIORITY_DEFAULT - 1;

private:
  struct Source;
  static gboolean prepare (GSource *source, gint *timeout);
  static gboolean check (GSource *source);
  bool held () const { return hold_ && hold_->load (std::memory_order_acquire); }
  void take_events ();

  GMainContext *context_;
  const std::atomic<bool> *hold_ = nullptr;
  int epoll_fd_;
  GSource *source_;
};

} // namespace gv::signaling
