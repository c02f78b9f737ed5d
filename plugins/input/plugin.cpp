/* GhostView — the input plugin: gvinputinject. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgvinputinject.h"

static gboolean plugin_init (GstPlugin *plugin)
{
  return GST_ELEMENT_REGISTER (gvinputinject, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, ghostviewinput,
                   "GhostView input injection: gvinputinject", plugin_init, VERSION, GST_LICENSE,
                   GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
