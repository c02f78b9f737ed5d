/* Unit tests of the preset parser and ${VAR} expander (tools/preset.h). */
#include "preset.h"

#include <glib.h>

using namespace gv::launcher;

namespace {

const char *kPreset = "# demo: a demo preset\n"
                      "#\n"
                      "# Variables:\n"
                      "#   SERVER=ws://127.0.0.1:8443/ws  signalling URL\n"
                      "#   PIN                            (required) the PIN\n"
                      "#   SOURCE=\"videotestsrc is-live=true\"  quoted default\n"
                      "#   EMPTY=                         empty default\n"
                      "#   LONG=1                         a description that goes\n"
                      "#                                  on here\n"
                      "#\n"
                      "# Example:\n"
                      "#   ghostview run demo --pin 123456\n"
                      "${SOURCE} ! fakesink name=${PIN}${EMPTY} \\\n"
                      "  # a comment inside\n"
                      "  prop=${LONG} cost=$$5 plain=$x\n";

Preset parsed ()
{
  Preset p;
  GError *error = nullptr;
  g_assert_true (parse_preset ("demo", kPreset, p, &error));
  g_assert_no_error (error);
  return p;
}

std::string expand_error (const Preset &p, const std::map<std::string, std::string> &values,
                          int code)
{
  std::string out;
  GError *error = nullptr;
  g_assert_false (expand_preset (p, values, out, &error));
  g_assert_error (error, GV_PRESET_ERROR, code);
  std::string message = error->message;
  g_error_free (error);
  return message;
}

void test_header ()
{
  Preset p = parsed ();
  g_assert_cmpstr (p.description.c_str (), ==, "a demo preset");
  g_assert_cmpuint (p.variables.size (), ==, 5);
  g_assert_cmpstr (p.variables[0].default_value.c_str (), ==, "ws://127.0.0.1:8443/ws");
  g_assert_true (p.variables[1].required);
  g_assert_cmpstr (p.variables[1].description.c_str (), ==, "(required) the PIN");
  g_assert_cmpstr (p.variables[2].default_value.c_str (), ==, "videotestsrc is-live=true");
  g_assert_cmpstr (p.variables[2].description.c_str (), ==, "quoted default");
  g_assert_false (p.variables[3].required);
  g_assert_cmpstr (p.variables[3].default_value.c_str (), ==, "");
  g_assert_cmpstr (p.variables[4].description.c_str (), ==, "a description that goes on here");
  std::string names = p.variable_names ();
  g_assert_cmpstr (names.c_str (), ==, "SERVER, PIN, SOURCE, EMPTY, LONG");
  g_assert_true (g_strstr_len (p.header.c_str (), -1, "ghostview run demo") != nullptr);
}

void test_expand ()
{
  Preset p = parsed ();
  std::string out;
  GError *error = nullptr;
  g_assert_true (expand_preset (p, { { "PIN", "123456" }, { "LONG", "7" } }, out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out.c_str (), ==,
                   "videotestsrc is-live=true ! fakesink name=123456 prop=7 cost=$5 plain=$x");
}

void test_unknown_variable ()
{
  Preset p = parsed ();
  std::string m =
      expand_error (p, { { "PIN", "1" }, { "NOPE", "x" } }, PRESET_ERROR_UNKNOWN_VARIABLE);
  g_assert_cmpstr (m.c_str (), ==,
                   "preset 'demo' has no variable NOPE (its variables: SERVER, PIN, SOURCE, "
                   "EMPTY, LONG)");
}

void test_missing_required ()
{
  Preset p = parsed ();
  std::string m = expand_error (p, {}, PRESET_ERROR_MISSING_VARIABLE);
  g_assert_true (g_str_has_prefix (m.c_str (), "preset 'demo' needs PIN"));
  g_assert_true (g_strstr_len (m.c_str (), -1, "--set PIN=") != nullptr);
}

void test_undeclared_placeholder ()
{
  Preset p;
  g_assert_true (parse_preset ("u", "# u: x\n\nfakesink name=${WHO}\n", p, nullptr));
  std::string m = expand_error (p, {}, PRESET_ERROR_UNKNOWN_VARIABLE);
  g_assert_cmpstr (m.c_str (), ==,
                   "preset 'u' uses ${WHO}, which its Variables: header does not declare");
}

void test_broken_placeholders ()
{
  Preset p;
  g_assert_true (parse_preset ("b", "# b: x\n\nfakesink name=${OOPS\n", p, nullptr));
  std::string m = expand_error (p, {}, PRESET_ERROR_SYNTAX);
  g_assert_true (g_str_has_prefix (m.c_str (), "preset 'b': unterminated \"${\""));
  g_assert_true (parse_preset ("e", "# e: x\n\nfakesink name=${}\n", p, nullptr));
  expand_error (p, {}, PRESET_ERROR_SYNTAX);
}

void test_bad_headers ()
{
  Preset p;
  GError *error = nullptr;
  g_assert_false (
      parse_preset ("h", "# h: x\n# Variables:\n#   lower=1 no\n\nfakesink\n", p, &error));
  g_assert_error (error, GV_PRESET_ERROR, PRESET_ERROR_SYNTAX);
  g_assert_true (g_strstr_len (error->message, -1, "preset 'h', line 3") != nullptr);
  g_clear_error (&error);

  g_assert_false (
      parse_preset ("d", "# d: x\n# Variables:\n#   A=1\n#   A=2\n\nfakesink\n", p, &error));
  g_assert_true (g_strstr_len (error->message, -1, "declared twice") != nullptr);
  g_clear_error (&error);

  g_assert_false (
      parse_preset ("q", "# q: x\n# Variables:\n#   A=\"open\n\nfakesink\n", p, &error));
  g_assert_true (g_strstr_len (error->message, -1, "no closing quote") != nullptr);
  g_clear_error (&error);

  g_assert_false (parse_preset ("n", "# n: only a header\n#\n", p, &error));
  g_assert_true (g_strstr_len (error->message, -1, "no pipeline description") != nullptr);
  g_clear_error (&error);
}

void test_assignments ()
{
  std::string k, v;
  g_assert_true (split_assignment ("OUTPUT=a=b.mkv", k, v));
  g_assert_cmpstr (k.c_str (), ==, "OUTPUT");
  g_assert_cmpstr (v.c_str (), ==, "a=b.mkv");
  g_assert_true (split_assignment ("EMPTY=", k, v));
  g_assert_cmpstr (v.c_str (), ==, "");
  g_assert_false (split_assignment ("novalue", k, v));
  g_assert_false (split_assignment ("lower=1", k, v));
  g_assert_false (split_assignment ("=1", k, v));
  g_assert_false (split_assignment ("1A=1", k, v));
}

void test_find_preset ()
{
  Preset p;
  GError *error = nullptr;
  g_assert_false (find_preset ("no-such-preset", p, &error));
  g_assert_error (error, GV_PRESET_ERROR, PRESET_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "no preset named 'no-such-preset'"));
  g_clear_error (&error);
  g_assert_false (find_preset ("/nonexistent/x.pipeline", p, &error));
  g_assert_error (error, GV_PRESET_ERROR, PRESET_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* Every shipped preset parses and documents each variable it uses. */
void test_shipped_presets ()
{
  auto presets = list_presets ();
  g_assert_cmpuint (presets.size (), >=, 9);
  for (const auto &p : presets) {
    g_test_message ("preset %s", p.name.c_str ());
    g_assert_false (p.description.empty ());
    g_assert_true (g_strstr_len (p.header.c_str (), -1, "Example:") != nullptr);
    std::map<std::string, std::string> values;
    for (const auto &v : p.variables) {
      g_assert_false (v.description.empty ());
      if (v.required)
        values[v.name] = "x";
    }
    std::string out;
    GError *error = nullptr;
    g_assert_true (expand_preset (p, values, out, &error));
    g_assert_no_error (error);
  }
}

} // namespace

int main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/preset/header", test_header);
  g_test_add_func ("/preset/expand", test_expand);
  g_test_add_func ("/preset/unknown-variable", test_unknown_variable);
  g_test_add_func ("/preset/missing-required", test_missing_required);
  g_test_add_func ("/preset/undeclared-placeholder", test_undeclared_placeholder);
  g_test_add_func ("/preset/broken-placeholders", test_broken_placeholders);
  g_test_add_func ("/preset/bad-headers", test_bad_headers);
  g_test_add_func ("/preset/assignments", test_assignments);
  g_test_add_func ("/preset/find", test_find_preset);
  g_test_add_func ("/preset/shipped", test_shipped_presets);
  return g_test_run ();
}
