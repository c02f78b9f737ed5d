/* Fuzz target: a preset file (tools/preset.cpp) and the values a user sets
 * on it (--set KEY=VALUE), then ${VAR} expansion. The input is the preset's
 * text, a NUL byte, and "KEY=VALUE" lines; no NUL: the text alone. */
#include "fuzz_check.h"
#include "preset.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <string>

namespace launcher = gv::launcher;

namespace {

std::map<std::string, std::string> assignments (const std::string &lines)
{
  std::map<std::string, std::string> values;
  size_t start = 0;
  while (start < lines.size ()) {
    size_t end = lines.find ('\n', start);
    if (end == std::string::npos)
      end = lines.size ();
    std::string key, value;
    if (launcher::split_assignment (lines.substr (start, end - start), key, value)) {
      GV_FUZZ_CHECK (launcher::is_variable_name (key));
      values[key] = value;
    }
    start = end + 1;
  }
  return values;
}

bool failed_with_message (GError *error)
{
  bool ok = error && error->message && *error->message;
  g_clear_error (&error);
  return ok;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *bytes = reinterpret_cast<const char *> (data);
  const char *nul = static_cast<const char *> (memchr (bytes, '\0', size));
  std::string text (bytes, nul ? (size_t) (nul - bytes) : size);
  std::string lines = nul ? std::string (nul + 1, bytes + size) : std::string ();

  launcher::Preset preset;
  GError *error = nullptr;
  if (!launcher::parse_preset ("fuzz", text, preset, &error)) {
    GV_FUZZ_CHECK (failed_with_message (error));
    return 0;
  }
  for (const auto &v : preset.variables) {
    GV_FUZZ_CHECK (launcher::is_variable_name (v.name));
    GV_FUZZ_CHECK (preset.find_variable (v.name) != nullptr);
  }
  preset.variable_names ();

  std::map<std::string, std::string> values = assignments (lines);
  std::string out;
  if (!launcher::expand_preset (preset, values, out, &error)) {
    GV_FUZZ_CHECK (failed_with_message (error));
    return 0;
  }
  /* Expanded: every value named a variable, every required one was set. */
  for (const auto &[key, value] : values)
    GV_FUZZ_CHECK (preset.has_variable (key));
  for (const auto &v : preset.variables)
    GV_FUZZ_CHECK (!v.required || values.count (v.name) == 1);
  return 0;
}
