/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's part in drawing the pointer on the viewer's side: the
 * "gv-cursor-shape" and "gv-cursor" events gvscreensrc sends (cursor-events;
 * plugins/capture/gvcursorevent.h) go to every viewer on the assistance
 * channel as {"t":"cursor-shape"} and {"t":"cursor"} (gvassistjson.h).
 * Positions are in the pixels of the picture each viewer gets: halved on
 * the half-size layer, and so on. A viewer whose channel opens gets the
 * shape and the position at once.
 */
#include "gvwebrtcsink-private.h"

#include "gvlayerplan.h"

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::ViewerPtr;

namespace {

std::string position_for (const GvCursorPosition &p, int layer)
{
  const int divisor = gv::webrtc::LayerPlan::divisor (MAX (layer, 0));
  return gv::assist::make_cursor (p.x / divisor, p.y / divisor, p.visible, p.shape);
}

} // namespace

void gv_webrtc_sink_cursor (GvWebRTCSink *self, GstEvent *event)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  GvCursorPosition position;
  std::string shape_text;
  bool moved = gv_cursor_event_parse (event, position);
  if (!moved) {
    guint shape;
    gint width, height, hot_x, hot_y;
    GBytes *rgba = nullptr;
    if (!gv_cursor_shape_event_parse (event, shape, width, height, hot_x, hot_y, rgba))
      return;
    gsize size = 0;
    const char *bytes = (const char *) g_bytes_get_data (rgba, &size);
    shape_text = gv::assist::make_cursor_shape (shape, width, height, hot_x, hot_y,
                                                std::string (bytes ? bytes : "", bytes ? size : 0));
    if (shape_text.empty ())
      return;
  }
  std::vector<std::pair<ViewerPtr, int>> viewers;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (moved) {
      priv->cursor = position;
      priv->cursor_known = true;
      priv->cursor_layers.clear ();
    } else {
      /* gvscreensrc repeats the shape now and then (in case an event was
       * lost on its way here); viewers have it already. */
      if (shape_text == priv->cursor_shape)
        return;
      priv->cursor_shape = shape_text;
    }
    for (const auto &kv : priv->viewers) {
      const int layer = kv.second->layer ();
      viewers.emplace_back (kv.second, layer);
      if (moved)
        priv->cursor_layers[kv.first] = layer;
    }
  }
  for (const auto &[viewer, layer] : viewers)
    viewer->send_assist (moved ? position_for (position, layer) : shape_text);
}

void gv_webrtc_sink_cursor_layer (GvWebRTCSink *self, const std::string &peer, int layer)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  ViewerPtr viewer;
  GvCursorPosition position;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    auto sent = priv->cursor_layers.find (peer);
    auto it = priv->viewers.find (peer);
    if (!priv->cursor_known || it == priv->viewers.end () ||
        (sent != priv->cursor_layers.end () && sent->second == layer))
      return;
    priv->cursor_layers[peer] = layer;
    viewer = it->second;
    position = priv->cursor;
  }
  viewer->send_assist (position_for (position, layer));
}

std::vector<std::string> gv_webrtc_sink_cursor_greeting (GvWebRTCSink *self, int layer)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  std::vector<std::string> texts;
  if (!priv->cursor_shape.empty ())
    texts.push_back (priv->cursor_shape);
  if (priv->cursor_known)
    texts.push_back (position_for (priv->cursor, layer));
  return texts;
}
