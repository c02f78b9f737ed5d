/* GhostView — the capture plugin: gvscreensrc and gvscreenprovider. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgvscreensrc.h"
#ifdef GV_HAVE_X11
#include "gstgvscreenprovider.h"
#endif

static gboolean plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER (gvscreensrc, plugin);
#ifdef GV_HAVE_X11
  ret |= GST_DEVICE_PROVIDER_REGISTER (gvscreenprovider, plugin);
#endif
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, ghostviewcapture,
                   "GhostView screen capture: gvscreensrc and gvscreenprovider", plugin_init,
                   VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
