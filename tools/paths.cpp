#include "paths.h"

#include <glib.h>

namespace gv::launcher {

bool running_from_build_tree ()
{
  gchar *exe = g_file_read_link ("/proc/self/exe", nullptr);
  if (!exe)
    return false;
  std::string build_root = GV_BUILD_ROOT;
  bool inside = g_str_has_prefix (exe, (build_root + "/").c_str ());
  g_free (exe);
  return inside;
}

std::vector<std::string> pipeline_search_dirs ()
{
  std::vector<std::string> dirs;
  if (const char *env = g_getenv ("GHOSTVIEW_PIPELINES_DIR"); env && *env)
    dirs.emplace_back (env);
  dirs.emplace_back (running_from_build_tree () ? GV_SOURCE_PIPELINES_DIR
                                                : GV_INSTALLED_PIPELINES_DIR);
  return dirs;
}

std::string default_web_root ()
{
  if (const char *env = g_getenv ("GHOSTVIEW_WEB_DIR"); env && *env)
    return env;
  const char *dir = running_from_build_tree () ? GV_SOURCE_WEB_DIR : GV_INSTALLED_WEB_DIR;
  return g_file_test (dir, G_FILE_TEST_IS_DIR) ? dir : "";
}

void add_build_plugin_path ()
{
  if (!running_from_build_tree ())
    return;
  const char *current = g_getenv ("GST_PLUGIN_PATH_1_0");
  if (!current)
    current = g_getenv ("GST_PLUGIN_PATH");
  std::string path = GV_BUILD_PLUGINS_DIR;
  if (current && *current) {
    /* Already first (the test environment sets it): leave it alone. */
    if (g_str_has_prefix (current, path.c_str ()))
      return;
    path += G_SEARCHPATH_SEPARATOR_S;
    path += current;
  }
  g_setenv ("GST_PLUGIN_PATH_1_0", path.c_str (), TRUE);
}

} // namespace gv::launcher
