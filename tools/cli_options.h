/* The options shared by the pipeline commands (host, view, record, run) and
 * how they map onto preset variables. */
#pragma once

#include "preset.h"

#include <glib.h>

#include <map>
#include <string>
#include <vector>

namespace gv::launcher {

struct LaunchOptions {
  std::string server; /* --server: signalling WebSocket URL */
  std::string pin;
  std::string source;         /* screen | test | display:N | window:ID */
  std::string audio;          /* desktop | mic | test | none ("": not given) */
  std::string cursor;         /* burned | local ("": not given, burned) */
  bool allow_resize = false;  /* viewers with control may resize a virtual display */
  std::string codec;          /* vp8 | vp9 | h264 */
  std::string fallback_codec; /* vp8 | vp9 | h264 | none */
  std::string output;
  std::string preset; /* host: another host preset */
  int bitrate = -1;   /* kbit/s */
  int fps = -1;
  bool allow_control = false;
  bool allow_snapshot = false; /* host: --allow-snapshot */
  /* --allow: GvCapabilities bits every viewer gets (0: not given);
   * --allow-control adds control. */
  unsigned allow = 0;
  bool request_control = false;
  bool print_pipeline = false;
  bool local = false;           /* host: the embedded server listens on 127.0.0.1 only */
  guint invite = 0;             /* host: --invite, the capabilities of an invite link (0: none) */
  int invite_uses = 1;          /* host: --invite-uses */
  std::string reservation;      /* host: --reservation, a session API reservation token */
  std::string invite_token;     /* view, record: --invite-link, the token part */
  std::string download_dir;     /* --download-dir: where files from the other side land */
  bool terminal = false;        /* host: --terminal (or --terminal-command) */
  std::string terminal_command; /* host: --terminal-command ("": the user's shell) */
  std::string terminal_output;  /* record: --terminal-output, an asciicast of the host's terminal */
  int eos_timeout_s = 10;
  std::vector<std::string> sets; /* --set KEY=VALUE */
};

/* Which options a command offers. */
enum OptionSet : unsigned {
  OPT_SERVER = 1 << 0,
  OPT_PIN = 1 << 1,
  OPT_SOURCE = 1 << 2,
  OPT_ENCODE = 1 << 3, /* --codec --fallback-codec --bitrate --fps */
  OPT_ALLOW_CONTROL = 1 << 4,
  OPT_REQUEST_CONTROL = 1 << 5,
  OPT_OUTPUT = 1 << 6,
  OPT_PRESET = 1 << 7,
  OPT_LOCAL = 1 << 8,
  OPT_COMMON = 1 << 9,           /* --set --print-pipeline --eos-timeout */
  OPT_INVITE = 1 << 10,          /* --invite --invite-uses --reservation */
  OPT_INVITE_LINK = 1 << 11,     /* --invite-link */
  OPT_DOWNLOAD_DIR = 1 << 12,    /* --download-dir */
  OPT_AUDIO = 1 << 13,           /* --audio */
  OPT_TERMINAL = 1 << 14,        /* --terminal --terminal-command */
  OPT_TERMINAL_OUTPUT = 1 << 15, /* --terminal-output */
};

/* Owns the raw values the GOptionEntries point at; fill () copies them into
 * a LaunchOptions after parsing. */
class OptionValues {
public:
  OptionValues () = default;
  ~OptionValues ();
  OptionValues (const OptionValues &) = delete;
  OptionValues &operator= (const OptionValues &) = delete;

  /* The entries for `which`, terminated; valid while this object lives. */
  std::vector<GOptionEntry> entries (unsigned which);
  /* Copies and checks the values; false with `error` on a bad one. */
  bool fill (LaunchOptions &out, GError **error) const;

private:
  gchar *server_ = nullptr, *pin_ = nullptr, *source_ = nullptr, *codec_ = nullptr;
  gchar *audio_ = nullptr, *cursor_ = nullptr;
  gboolean allow_resize_ = FALSE;
  gboolean allow_snapshot_ = FALSE;
  gchar *output_ = nullptr, *preset_ = nullptr, *fallback_codec_ = nullptr, *invite_ = nullptr;
  gchar *invite_link_ = nullptr, *download_dir_ = nullptr, *allow_ = nullptr;
  gint invite_uses_ = 1;
  gchar *reservation_ = nullptr;
  unsigned which_ = 0; /* what entries () offered */
  gchar **sets_ = nullptr;
  gint bitrate_ = -1, fps_ = -1, eos_timeout_ = 10;
  gboolean allow_control_ = FALSE, request_control_ = FALSE, print_pipeline_ = FALSE;
  gboolean local_ = FALSE;
  gboolean terminal_ = FALSE;
  gchar *terminal_command_ = nullptr, *terminal_output_ = nullptr;
};

/* The preset variable values the options give: --server -> SERVER, --pin ->
 * PIN, --codec -> CODEC, --fallback-codec -> FALLBACK_CODEC, --bitrate ->
 * BITRATE, --fps -> FPS,
 * --invite-link -> INVITE (the token), --allow-control -> ALLOW_CONTROL=true,
 * --allow LIST -> ALLOW=view+... (and ALLOW_CONTROL=true when the list has
 * control and the preset that variable), --request-control ->
 * REQUEST_CONTROL=true, --output -> OUTPUT, then every --set (which wins).
 * An option whose variable the preset lacks is an error naming both. SOURCE
 * (and INPUT) are set by the caller, which resolves --source. */
bool options_to_variables (const LaunchOptions &options, const Preset &preset,
                           std::map<std::string, std::string> &values, GError **error);

} // namespace gv::launcher
