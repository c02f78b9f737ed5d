/* A queue that any thread may push to and one GMainContext drains: the
 * context is woken once per batch (when the queue goes from empty to not
 * empty), and its dispatch hands the whole batch over at once. */
#pragma once

#include <glib.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace gv::signaling {

template <typename T> class WakeQueue {
public:
  using Drain = std::function<void (std::vector<T> &)>;

  WakeQueue (GMainContext *context, const char *name, Drain drain)
      : context_ (g_main_context_ref (context)), drain_ (std::move (drain))
  {
    source_ = g_source_new (&funcs_, sizeof (Source));
    reinterpret_cast<Source *> (source_)->queue = this;
    g_source_set_static_name (source_, name);
    g_source_attach (source_, context_);
  }

  ~WakeQueue ()
  {
    g_source_destroy (source_);
    g_source_unref (source_);
    g_main_context_unref (context_);
  }

  WakeQueue (const WakeQueue &) = delete;
  WakeQueue &operator= (const WakeQueue &) = delete;

  /* From then on, a push that leaves `high` items or more queued raises
   * `*flag`, under the queue's lock: a drain that takes the item sees the
   * flag afterwards (queued ()). Before any push. */
  void set_high_water (size_t high, std::atomic<bool> *flag)
  {
    high_ = high;
    high_flag_ = flag;
  }

  void push (T item)
  {
    bool wake;
    {
      std::lock_guard<std::mutex> hold (lock_);
      items_.push_back (std::move (item));
      if (high_flag_ && items_.size () >= high_)
        high_flag_->store (true, std::memory_order_release);
      wake = !pending_.exchange (true, std::memory_order_acq_rel);
    }
    if (wake)
      g_main_context_wakeup (context_);
  }

  /* Items pushed and not yet handed to the drain. */
  size_t queued ()
  {
    std::lock_guard<std::mutex> hold (lock_);
    return items_.size ();
  }

  /* Hands what is queued to the drain now (the draining thread only). */
  void drain_now ()
  {
    {
      std::lock_guard<std::mutex> hold (lock_);
      batch_.swap (items_);
      pending_.store (false, std::memory_order_release);
    }
    drain_ (batch_);
    batch_.clear ();
  }

private:
  struct Source {
    GSource base;
    WakeQueue *queue;
  };

  static gboolean prepare (GSource *source, gint *timeout)
  {
    *timeout = -1;
    return reinterpret_cast<Source *> (source)->queue->pending_.load (std::memory_order_acquire);
  }

  static gboolean check (GSource *source)
  {
    return reinterpret_cast<Source *> (source)->queue->pending_.load (std::memory_order_acquire);
  }

  static gboolean dispatch (GSource *source, GSourceFunc, gpointer)
  {
    reinterpret_cast<Source *> (source)->queue->drain_now ();
    return G_SOURCE_CONTINUE;
  }

  static inline GSourceFuncs funcs_ = { prepare, check, dispatch, nullptr, nullptr, nullptr };

  GMainContext *context_;
  GSource *source_;
  Drain drain_;
  std::mutex lock_;
  std::vector<T> items_;
  std::vector<T> batch_; /* the draining thread's */
  std::atomic<bool> pending_{ false };
  size_t high_ = 0;
  std::atomic<bool> *high_flag_ = nullptr;
};

} // namespace gv::signaling
