/* GhostView — the input plugin: gvinputinject and gvclipboard. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgvclipboard.h"
#include "gstgvinputinject.h"

static gboolean plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER (gvinputinject, plugin);
  ret |= GST_ELEMENT_REGISTER (gvclipboard, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, ghostviewinput,
                   "GhostView input injection and clipboard: gvinputinject, gvclipboard",
                   plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
