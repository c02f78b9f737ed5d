/* Pipeline presets: gst-launch descriptions with ${VARIABLE} placeholders.
 *
 * A preset file (pipelines/NAME.pipeline) opens with a comment header and
 * ends with the description; '#' lines are comments anywhere:
 *
 *   # host-test: share a test pattern (headless machines, demos)
 *   #
 *   # Variables:
 *   #   SERVER=ws://127.0.0.1:8443/ws  signalling server WebSocket URL
 *   #   PIN                            (required) the PIN to join
 *   #   EXTRA=                         an empty default
 *   #
 *   # Example:
 *   #   ghostview run host-test --set WIDTH=640
 *   videotestsrc is-live=true ! ...
 *
 * The first comment line is "NAME: one-line description". Each line of the
 * "Variables:" block declares one variable: NAME=DEFAULT (the default runs to
 * the first space, or is "quoted") or NAME alone for a required one, then a
 * description, which may go on in lines indented deeper than the
 * declarations. The block ends at an empty comment line. Only declared variables may be used
 * or set, so a typo is an error, not a silently empty value.
 *
 * Plain GLib, no GStreamer, so it is unit-tested on its own. */
#pragma once

#include <glib.h>

#include <map>
#include <string>
#include <vector>

namespace gv::launcher {

#define GV_PRESET_ERROR (gv::launcher::preset_error_quark ())
GQuark preset_error_quark ();

enum PresetError {
  PRESET_ERROR_NOT_FOUND,        /* no such preset or file */
  PRESET_ERROR_SYNTAX,           /* broken header or ${...} */
  PRESET_ERROR_UNKNOWN_VARIABLE, /* set or used but not declared */
  PRESET_ERROR_MISSING_VARIABLE, /* required and not set */
};

struct PresetVariable {
  std::string name;
  std::string default_value;
  bool required = false;
  std::string description;
};

struct Preset {
  std::string name;        /* "host-test", or the file's path when run from a file */
  std::string path;        /* where it was read from; empty for text */
  std::string description; /* the one-line summary */
  std::string header;      /* the comment header, '#' stripped, for --help */
  std::vector<PresetVariable> variables;
  std::string body; /* the description with placeholders, lines joined */

  const PresetVariable *find_variable (const std::string &name) const;
  bool has_variable (const std::string &name) const { return find_variable (name) != nullptr; }
  /* "SERVER, PIN, OUTPUT" */
  std::string variable_names () const;
};

/* Parses preset text; `name` is used in messages. */
bool parse_preset (const std::string &name, const std::string &text, Preset &out, GError **error);

/* Reads `path` and parses it. */
bool load_preset_file (const std::string &name, const std::string &path, Preset &out,
                       GError **error);

/* Where presets are looked for, in order. */
std::vector<std::string> preset_dirs ();

/* `name_or_path`: a preset name ("record") looked up in preset_dirs (), or a
 * path to a .pipeline file (anything with a '/' or ending in .pipeline). */
bool find_preset (const std::string &name_or_path, Preset &out, GError **error);

/* Every preset in preset_dirs (), by name; the first directory wins. */
std::vector<Preset> list_presets ();

/* Replaces each ${NAME} with values[NAME], or the default. Fails, naming the
 * preset and the variable, on a value for an undeclared variable, a missing
 * required one, a placeholder naming an undeclared variable, or an
 * unterminated/empty ${...}. "$$" is a literal "$". */
bool expand_preset (const Preset &preset, const std::map<std::string, std::string> &values,
                    std::string &out, GError **error);

/* "KEY=VALUE" -> key, value; false when there is no '=' or the key is not a
 * variable name ([A-Z_][A-Z0-9_]*). */
bool split_assignment (const std::string &text, std::string &key, std::string &value);

bool is_variable_name (const std::string &name);

} // namespace gv::launcher
