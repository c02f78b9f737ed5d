#include "chat_text.h"

#include "capabilities.h"

namespace gv::launcher {

std::string terminal_safe (const std::string &text, const std::string &newline)
{
  gchar *valid = g_utf8_make_valid (text.c_str (), (gssize) text.size ());
  std::string out;
  for (const gchar *p = valid; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (c == '\n') {
      out += newline;
      continue;
    }
    if (c == '\t') {
      out += ' ';
      continue;
    }
    bool unsafe = c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
                  (c >= 0x2066 && c <= 0x2069);
    if (unsafe) {
      out += "\xef\xbf\xbd"; /* U+FFFD */
      continue;
    }
    out.append (p, g_utf8_next_char (p) - p);
  }
  g_free (valid);
  return out;
}

std::string format_chat_line (gint64 time_ms, const std::string &name, const std::string &text)
{
  GDateTime *t = g_date_time_new_from_unix_local (time_ms / 1000);
  gchar *stamp = t ? g_date_time_format (t, "%H:%M:%S") : g_strdup ("--:--:--");
  std::string out = std::string ("[") + stamp + "] " + terminal_safe (name, " ") + ": " +
                    terminal_safe (text, "\n           ");
  g_free (stamp);
  if (t)
    g_date_time_unref (t);
  return out;
}

std::string capability_list (guint capabilities, const char *separator)
{
  std::string out;
  for (const gv::CapabilityInfo &c : gv::kCapabilities) {
    if (!(capabilities & c.bit))
      continue;
    if (!out.empty ())
      out += separator;
    out += c.name;
  }
  return out;
}

bool parse_capability_list (const std::string &text, guint &capabilities, std::string &error)
{
  capabilities = 0;
  if (text.find_first_not_of (" \t") == std::string::npos) {
    error = "no capability named; choose from " + capability_list (gv::kAllCapabilities);
    return false;
  }
  gchar **names = g_strsplit (text.c_str (), ",", -1);
  bool ok = true;
  for (gchar **n = names; ok && *n; n++) {
    std::string name = g_strstrip (*n);
    guint bit = 0;
    for (const gv::CapabilityInfo &c : gv::kCapabilities)
      if (name == c.name)
        bit = c.bit;
    if (!bit) {
      error = name.empty () ? "an empty capability name in \"" + text + "\""
                            : "unknown capability \"" + name + "\"";
      error += "; choose from " + capability_list (gv::kAllCapabilities);
      ok = false;
    }
    capabilities |= bit;
  }
  g_strfreev (names);
  return ok;
}

} // namespace gv::launcher
