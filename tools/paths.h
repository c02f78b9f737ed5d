/* Where the launcher finds its presets, web pages and plugins: the source
 * and build trees when it runs from the build tree (tools/dev.sh run, tests),
 * the installed locations otherwise; environment variables override both. */
#pragma once

#include <string>
#include <vector>

namespace gv::launcher {

/* True when this executable lies under the build directory it was built in. */
bool running_from_build_tree ();

/* $GHOSTVIEW_PIPELINES_DIR, then pipelines/ of the source tree (from the
 * build tree) or the installed share/ghostview/pipelines. */
std::vector<std::string> pipeline_search_dirs ();

/* $GHOSTVIEW_WEB_DIR, else web/ of the source tree (from the build tree) or
 * the installed share/ghostview/web; empty when none exists. */
std::string default_web_root ();

/* From the build tree, puts the build's plugin folder first on
 * GST_PLUGIN_PATH_1_0 so that our elements are found without any
 * environment. Call before gst_init (). */
void add_build_plugin_path ();

} // namespace gv::launcher
