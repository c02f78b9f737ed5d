#include "preset.h"

#include "paths.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace gv::launcher {

G_DEFINE_QUARK (ghostview - preset - error - quark, preset_error)

namespace {

std::string trim (const std::string &s)
{
  size_t b = s.find_first_not_of (" \t\r");
  if (b == std::string::npos)
    return "";
  size_t e = s.find_last_not_of (" \t\r");
  return s.substr (b, e - b + 1);
}

std::vector<std::string> split_lines (const std::string &text)
{
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size ()) {
    size_t end = text.find ('\n', start);
    if (end == std::string::npos)
      end = text.size ();
    lines.push_back (text.substr (start, end - start));
    start = end + 1;
  }
  return lines;
}

bool looks_like_path (const std::string &s)
{
  return s.find ('/') != std::string::npos || g_str_has_suffix (s.c_str (), ".pipeline");
}

/* Parses one line of the Variables: block (comment marker removed). */
bool parse_variable_line (const std::string &preset, int lineno, const std::string &line,
                          PresetVariable &var, GError **error)
{
  std::string text = trim (line);
  size_t name_end = text.find_first_of ("= \t");
  var.name = text.substr (0, name_end);
  var.required = name_end == std::string::npos || text[name_end] != '=';
  size_t end = name_end;
  if (!var.required) {
    size_t value_start = name_end + 1;
    if (value_start < text.size () && text[value_start] == '"') {
      /* NAME="a default with spaces" */
      size_t close = text.find ('"', value_start + 1);
      if (close == std::string::npos) {
        g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_SYNTAX,
                     "preset '%s', line %d: the default of %s has no closing quote",
                     preset.c_str (), lineno, var.name.c_str ());
        return false;
      }
      var.default_value = text.substr (value_start + 1, close - value_start - 1);
      end = close + 1;
    } else {
      end = text.find_first_of (" \t", value_start);
      var.default_value = text.substr (value_start, end == std::string::npos ? std::string::npos
                                                                             : end - value_start);
    }
  }
  var.description = end == std::string::npos || end >= text.size () ? "" : trim (text.substr (end));
  if (!is_variable_name (var.name)) {
    g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_SYNTAX,
                 "preset '%s', line %d: \"%s\" is not a variable declaration (NAME=DEFAULT or "
                 "NAME, then a description)",
                 preset.c_str (), lineno, text.c_str ());
    return false;
  }
  return true;
}

} // namespace

bool is_variable_name (const std::string &name)
{
  if (name.empty () || !(g_ascii_isupper (name[0]) || name[0] == '_'))
    return false;
  return std::all_of (name.begin (), name.end (), [] (char c) {
    return g_ascii_isupper (c) || g_ascii_isdigit (c) || c == '_';
  });
}

bool split_assignment (const std::string &text, std::string &key, std::string &value)
{
  size_t eq = text.find ('=');
  if (eq == std::string::npos)
    return false;
  key = text.substr (0, eq);
  value = text.substr (eq + 1);
  return is_variable_name (key);
}

const PresetVariable *Preset::find_variable (const std::string &var) const
{
  for (const auto &v : variables)
    if (v.name == var)
      return &v;
  return nullptr;
}

std::string Preset::variable_names () const
{
  std::string out;
  for (const auto &v : variables)
    out += (out.empty () ? "" : ", ") + v.name;
  return out.empty () ? "none" : out;
}

bool parse_preset (const std::string &name, const std::string &text, Preset &out, GError **error)
{
  out = Preset ();
  out.name = name;
  bool in_header = true, in_variables = false, first = true;
  size_t variable_indent = 0;
  std::set<std::string> seen;
  int lineno = 0;
  for (const auto &raw : split_lines (text)) {
    lineno++;
    std::string line = trim (raw);
    if (line.empty ()) {
      in_variables = false;
      continue;
    }
    if (line[0] != '#') {
      in_header = in_variables = false;
      if (line.back () == '\\') /* shell-style continuation, as in the docs */
        line = trim (line.substr (0, line.size () - 1));
      out.body += (out.body.empty () ? "" : " ") + line;
      continue;
    }
    if (!in_header)
      continue; /* a comment inside the description */
    std::string comment = raw.substr (raw.find ('#') + 1);
    if (!comment.empty () && comment[0] == ' ')
      comment.erase (0, 1);
    out.header += comment + "\n";
    std::string content = trim (comment);
    if (first) {
      first = false;
      size_t colon = content.find (':');
      out.description = trim (colon == std::string::npos ? content : content.substr (colon + 1));
      continue;
    }
    if (content.empty ()) {
      in_variables = false;
    } else if (content == "Variables:") {
      in_variables = true;
    } else if (in_variables && !out.variables.empty () &&
               comment.find_first_not_of (' ') > variable_indent) {
      /* A description continued on a deeper-indented line. */
      out.variables.back ().description += " " + content;
    } else if (in_variables) {
      if (out.variables.empty ())
        variable_indent = comment.find_first_not_of (' ');
      PresetVariable var;
      if (!parse_variable_line (name, lineno, content, var, error))
        return false;
      if (!seen.insert (var.name).second) {
        g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_SYNTAX,
                     "preset '%s', line %d: variable %s is declared twice", name.c_str (), lineno,
                     var.name.c_str ());
        return false;
      }
      out.variables.push_back (std::move (var));
    }
  }
  if (trim (out.body).empty ()) {
    g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_SYNTAX,
                 "preset '%s' has no pipeline description after its comment header", name.c_str ());
    return false;
  }
  return true;
}

bool load_preset_file (const std::string &name, const std::string &path, Preset &out,
                       GError **error)
{
  gchar *contents = nullptr;
  GError *read_error = nullptr;
  if (!g_file_get_contents (path.c_str (), &contents, nullptr, &read_error)) {
    g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_NOT_FOUND, "cannot read preset '%s': %s",
                 name.c_str (), read_error->message);
    g_error_free (read_error);
    return false;
  }
  bool ok = parse_preset (name, contents, out, error);
  g_free (contents);
  if (ok)
    out.path = path;
  return ok;
}

std::vector<std::string> preset_dirs ()
{
  return pipeline_search_dirs ();
}

bool find_preset (const std::string &name_or_path, Preset &out, GError **error)
{
  if (looks_like_path (name_or_path))
    return load_preset_file (name_or_path, name_or_path, out, error);
  for (const auto &dir : preset_dirs ()) {
    std::string path = dir + "/" + name_or_path + ".pipeline";
    if (g_file_test (path.c_str (), G_FILE_TEST_IS_REGULAR))
      return load_preset_file (name_or_path, path, out, error);
  }
  std::string names;
  for (const auto &p : list_presets ())
    names += (names.empty () ? "" : ", ") + p.name;
  g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_NOT_FOUND,
               "no preset named '%s' (presets: %s; or give a path to a .pipeline file)",
               name_or_path.c_str (), names.empty () ? "none found" : names.c_str ());
  return false;
}

std::vector<Preset> list_presets ()
{
  std::vector<Preset> presets;
  std::set<std::string> seen;
  for (const auto &dir : preset_dirs ()) {
    GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
    if (!d)
      continue;
    std::vector<std::string> files;
    while (const char *entry = g_dir_read_name (d))
      if (g_str_has_suffix (entry, ".pipeline"))
        files.emplace_back (entry);
    g_dir_close (d);
    /* By preset name, so "host" comes before "host-h264". */
    for (auto &f : files)
      f.resize (f.size () - strlen (".pipeline"));
    std::sort (files.begin (), files.end ());
    for (const auto &name : files) {
      Preset p;
      if (seen.insert (name).second &&
          load_preset_file (name, dir + "/" + name + ".pipeline", p, nullptr))
        presets.push_back (std::move (p));
    }
  }
  return presets;
}

bool expand_preset (const Preset &preset, const std::map<std::string, std::string> &values,
                    std::string &out, GError **error)
{
  for (const auto &[key, value] : values) {
    if (!preset.has_variable (key)) {
      g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_UNKNOWN_VARIABLE,
                   "preset '%s' has no variable %s (its variables: %s)", preset.name.c_str (),
                   key.c_str (), preset.variable_names ().c_str ());
      return false;
    }
  }
  for (const auto &var : preset.variables) {
    if (var.required && values.find (var.name) == values.end ()) {
      g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_MISSING_VARIABLE,
                   "preset '%s' needs %s (%s): give --set %s=...", preset.name.c_str (),
                   var.name.c_str (),
                   var.description.empty () ? "required"
                   : g_str_has_prefix (var.description.c_str (), "(required) ")
                       ? var.description.c_str () + strlen ("(required) ")
                       : var.description.c_str (),
                   var.name.c_str ());
      return false;
    }
  }

  const std::string &body = preset.body;
  std::string result;
  for (size_t i = 0; i < body.size (); i++) {
    if (body[i] != '$') {
      result += body[i];
      continue;
    }
    if (i + 1 < body.size () && body[i + 1] == '$') {
      result += '$';
      i++;
      continue;
    }
    if (i + 1 >= body.size () || body[i + 1] != '{') {
      result += '$';
      continue;
    }
    size_t close = body.find ('}', i + 2);
    if (close == std::string::npos) {
      g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_SYNTAX,
                   "preset '%s': unterminated \"${\" in its description near \"%s\"",
                   preset.name.c_str (), body.substr (i, 24).c_str ());
      return false;
    }
    std::string var = body.substr (i + 2, close - i - 2);
    const PresetVariable *decl = preset.find_variable (var);
    if (!decl) {
      g_set_error (error, GV_PRESET_ERROR,
                   is_variable_name (var) ? PRESET_ERROR_UNKNOWN_VARIABLE : PRESET_ERROR_SYNTAX,
                   "preset '%s' uses ${%s}, which its Variables: header does not declare",
                   preset.name.c_str (), var.c_str ());
      return false;
    }
    auto it = values.find (var);
    result += it != values.end () ? it->second : decl->default_value;
    i = close;
  }
  out = result;
  return true;
}

} // namespace gv::launcher
