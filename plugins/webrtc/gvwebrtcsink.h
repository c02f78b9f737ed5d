/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GV_WEBRTC_SINK_CODEC_VP8 = 0,
  GV_WEBRTC_SINK_CODEC_VP9 = 1,
  GV_WEBRTC_SINK_CODEC_H264 = 2,
} GvWebRTCSinkCodec;

#define GV_TYPE_WEBRTC_SINK_CODEC (gv_webrtc_sink_codec_get_type ())
GType gv_webrtc_sink_codec_get_type (void);

/* The codec a viewer that cannot decode `video-codec` gets instead; the
 * values of the codecs are GvWebRTCSinkCodec's. */
typedef enum {
  GV_WEBRTC_SINK_FALLBACK_VP8 = GV_WEBRTC_SINK_CODEC_VP8,
  GV_WEBRTC_SINK_FALLBACK_VP9 = GV_WEBRTC_SINK_CODEC_VP9,
  GV_WEBRTC_SINK_FALLBACK_H264 = GV_WEBRTC_SINK_CODEC_H264,
  GV_WEBRTC_SINK_FALLBACK_NONE = 3,
} GvWebRTCSinkFallbackCodec;

#define GV_TYPE_WEBRTC_SINK_FALLBACK_CODEC (gv_webrtc_sink_fallback_codec_get_type ())
GType gv_webrtc_sink_fallback_codec_get_type (void);

#define GV_TYPE_WEBRTC_SINK (gv_webrtc_sink_get_type ())
G_DECLARE_FINAL_TYPE (GvWebRTCSink, gv_webrtc_sink, GV, WEBRTC_SINK, GstBin)

GST_ELEMENT_REGISTER_DECLARE (gvwebrtcsink);

G_END_DECLS
