/* GhostView — gvscreenprovider: lists displays and windows as devices. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GV_TYPE_SCREEN_DEVICE_PROVIDER (gv_screen_device_provider_get_type ())
G_DECLARE_FINAL_TYPE (GvScreenDeviceProvider, gv_screen_device_provider, GV, SCREEN_DEVICE_PROVIDER,
                      GstDeviceProvider)

#define GV_TYPE_SCREEN_DEVICE (gv_screen_device_get_type ())
G_DECLARE_FINAL_TYPE (GvScreenDevice, gv_screen_device, GV, SCREEN_DEVICE, GstDevice)

GST_DEVICE_PROVIDER_REGISTER_DECLARE (gvscreenprovider);

G_END_DECLS
