/* Fuzz target: the allowed-origins option (--allowed-origins,
 * GHOSTVIEW_ALLOWED_ORIGINS) and the check of a WebSocket upgrade's Origin
 * and Host headers against it (signaling/origins.cpp). The input is up to
 * three lines: the option's text, the Origin header, the Host header; a
 * header whose line is missing is not sent. */
#include "fuzz_check.h"
#include "origins.h"

#include <glib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sig = gv::signaling;

namespace {

std::string ascii_upper (std::string text)
{
  for (auto &c : text)
    c = g_ascii_toupper (c);
  return text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::vector<std::string> lines;
  std::string input (reinterpret_cast<const char *> (data), size);
  size_t start = 0;
  while (lines.size () < 3) {
    size_t end = input.find ('\n', start);
    lines.push_back (input.substr (start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  /* Headers reach us as C strings: nothing after a NUL. */
  for (auto &line : lines)
    line = line.c_str ();

  std::vector<std::string> allowed;
  for (auto &item : sig::split_option_list (lines[0].c_str ())) {
    GV_FUZZ_CHECK (!item.empty () && item.find_first_of (", ") == std::string::npos);
    std::string origin = sig::normalise_origin (item);
    GV_FUZZ_CHECK (sig::normalise_origin (origin) == origin);
    GV_FUZZ_CHECK (origin.empty () || origin.back () != '/');
    allowed.push_back (origin);
  }
  /* Every listed origin opens the WebSocket, in any case. */
  for (const auto &origin : allowed) {
    GV_FUZZ_CHECK (sig::origin_allowed (origin.c_str (), nullptr, allowed));
    GV_FUZZ_CHECK (sig::origin_allowed (ascii_upper (origin).c_str (), nullptr, allowed));
  }

  const char *origin = lines.size () > 1 ? lines[1].c_str () : nullptr;
  const char *host = lines.size () > 2 ? lines[2].c_str () : nullptr;
  bool allowed_here = sig::origin_allowed (origin, host, allowed);
  if (!origin)
    GV_FUZZ_CHECK (allowed_here); /* native clients send no Origin */
  else
    GV_FUZZ_CHECK (sig::origin_allowed (ascii_upper (origin).c_str (), host, allowed) ==
                   allowed_here);
  /* Development (no list): the server's own pages and nothing else. */
  if (host) {
    std::string own = std::string ("http://") + host;
    GV_FUZZ_CHECK (sig::origin_allowed (own.c_str (), host, {}));
    GV_FUZZ_CHECK (!sig::origin_allowed ((own + ".evil.example").c_str (), host, {}));
  }
  GV_FUZZ_CHECK (!origin || !sig::origin_allowed (origin, nullptr, {}));
  return 0;
}
