/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvlayerswitch.h"

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

struct LayerSwitch::ProbeData {
  std::weak_ptr<LayerSwitch> owner;
  int layer;
};

LayerSwitch::LayerSwitch (GstElement *funnel, GstObject *log_object, Callbacks callbacks)
    : funnel_ (funnel), log_object_ (log_object), callbacks_ (std::move (callbacks))
{}

LayerSwitch::~LayerSwitch ()
{
  stop ();
}

int LayerSwitch::target () const
{
  int pending = pending_;
  return pending >= 0 ? pending : active_.load ();
}

static bool is_keyframe (GstPadProbeInfo *info)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    return !GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info), GST_BUFFER_FLAG_DELTA_UNIT);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    return gst_buffer_list_length (list) > 0 &&
           !GST_BUFFER_FLAG_IS_SET (gst_buffer_list_get (list, 0), GST_BUFFER_FLAG_DELTA_UNIT);
  }
  return false;
}

/* On each layer's funnel pad: only the layer in use passes; the layer moved
 * to takes over at its first keyframe. */
GstPadProbeReturn LayerSwitch::gate (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *data = static_cast<ProbeData *> (user);
  std::shared_ptr<LayerSwitch> self = data->owner.lock ();
  if (!self)
    return GST_PAD_PROBE_DROP;
  int layer = data->layer;
  if (layer == self->pending_) {
    if (!is_keyframe (info))
      return GST_PAD_PROBE_DROP;
    int expected = layer;
    if (self->pending_.compare_exchange_strong (expected, -1)) {
      int before = self->active_.exchange (layer);
      self->moves_ += before >= 0 ? 1 : 0;
      GST_INFO_OBJECT (self->log_object_, "viewer now sees video layer %d (was %d)", layer, before);
      self->callbacks_.post ([self] () { self->release_others (); });
    }
    return GST_PAD_PROBE_OK;
  }
  return layer == self->active_ ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

void LayerSwitch::subscribe (int layer)
{
  GstElement *tee = callbacks_.watch (layer);
  if (!tee) {
    GST_WARNING_OBJECT (log_object_, "video layer %d is not available", layer);
    return;
  }
  GstPad *funnel_pad = gst_element_request_pad_simple (funnel_, "sink_%u");
  auto *data = new ProbeData{ weak_from_this (), layer };
  gst_pad_add_probe (funnel_pad,
                     (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     gate, data, [] (gpointer d) { delete static_cast<ProbeData *> (d); });
  GstPad *tee_pad = gst_element_request_pad_simple (tee, "src_%u");
  pending_ = layer;
  gst_pad_link (tee_pad, funnel_pad);
  std::lock_guard<std::mutex> guard (lock_);
  subs_.push_back ({ layer, tee, tee_pad, funnel_pad });
}

void LayerSwitch::switch_to (int layer)
{
  if (layer == target ())
    return;
  /* A move not finished yet is abandoned. */
  int pending = pending_.exchange (-1);
  if (pending >= 0) {
    std::vector<Subscription> dropped;
    {
      std::lock_guard<std::mutex> guard (lock_);
      for (auto it = subs_.begin (); it != subs_.end ();) {
        if (it->layer == pending) {
          dropped.push_back (*it);
          it = subs_.erase (it);
        } else {
          ++it;
        }
      }
    }
    for (Subscription &sub : dropped)
      release (sub);
  }
  if (layer == active_)
    return;
  GST_INFO_OBJECT (log_object_, "viewer moving to video layer %d", layer);
  subscribe (layer);
}

void LayerSwitch::release (Subscription &sub)
{
  gst_pad_unlink (sub.tee_pad, sub.funnel_pad);
  gst_element_release_request_pad (sub.tee, sub.tee_pad);
  gst_element_release_request_pad (funnel_, sub.funnel_pad);
  gst_object_unref (sub.tee_pad);
  gst_object_unref (sub.funnel_pad);
  gst_object_unref (sub.tee);
  callbacks_.unwatch (sub.layer);
}

void LayerSwitch::release_others ()
{
  int active = active_, pending = pending_;
  std::vector<Subscription> dropped;
  {
    std::lock_guard<std::mutex> guard (lock_);
    for (auto it = subs_.begin (); it != subs_.end ();) {
      if (it->layer != active && it->layer != pending) {
        dropped.push_back (*it);
        it = subs_.erase (it);
      } else {
        ++it;
      }
    }
  }
  for (Subscription &sub : dropped)
    release (sub);
}

void LayerSwitch::stop ()
{
  std::vector<Subscription> dropped;
  {
    std::lock_guard<std::mutex> guard (lock_);
    dropped.swap (subs_);
  }
  for (Subscription &sub : dropped)
    release (sub);
  active_ = -1;
  pending_ = -1;
}

} // namespace gv::webrtc
