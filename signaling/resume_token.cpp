#include "resume_token.h"

#include "protocol.h"
#include "random.h"
#include "session_registry.h"
#include "token_mac.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace gv::signaling {
namespace {

using token::equal_in_constant_time;
using token::is_lower_hex;
using token::mac_hex;
using token::parse_number;

constexpr const char *kTokenVersion = "v1";
constexpr gsize kMacHexChars = 64; /* SHA-256 */
constexpr gsize kMaxIdChars = 64;

/* What the MAC covers: a domain tag, then every field of the token. */
std::string signed_text (const ResumeClaim &c)
{
  return std::string (kTokenVersion) + "." + c.session + "." + c.pin + "." +
         std::to_string (c.expires_at) + "." + std::to_string (c.max_viewers) + "." +
         std::to_string (c.uses_spent);
}

} // namespace

std::string make_resume_token (const std::string &key, const ResumeClaim &claim)
{
  std::string text = signed_text (claim);
  return text + "." + mac_hex (key, text);
}

std::optional<ResumeClaim> verify_resume_token (const std::string &key, const std::string &token)
{
  if (token.size () > proto::kMaxResumeTokenBytes)
    return std::nullopt;
  std::vector<std::string> parts = token::split_fields (token, 8);
  if (parts.size () != 7 || parts[0] != kTokenVersion || parts[6].size () != kMacHexChars)
    return std::nullopt;

  ResumeClaim c;
  gint64 max_viewers = 0, uses = 0;
  c.session = parts[1];
  c.pin = parts[2];
  if (!is_lower_hex (c.session, kMaxIdChars) || !is_pin_shaped (c.pin) ||
      !parse_number (parts[3], 0, G_MAXINT64 / G_USEC_PER_SEC, c.expires_at) ||
      !parse_number (parts[4], 1, proto::kMaxViewersLimit, max_viewers) ||
      !parse_number (parts[5], 0, max_viewers, uses))
    return std::nullopt;
  c.max_viewers = (int) max_viewers;
  c.uses_spent = (int) uses;
  /* Recomputed from the parsed fields, so only their one spelling verifies. */
  if (!equal_in_constant_time (mac_hex (key, signed_text (c)), parts[6]))
    return std::nullopt;
  return c;
}

bool load_session_key (const std::string &path, std::string &key, GError **error)
{
  key.assign (kSessionKeyBytes, '\0');
  if (path.empty ()) {
    if (random_bytes (key.data (), key.size ()))
      return true;
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the kernel's random source failed");
    return false;
  }

  int fd = g_open (path.c_str (), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    bool ok = random_bytes (key.data (), key.size ()) &&
              write (fd, key.data (), key.size ()) == (ssize_t) key.size () && fsync (fd) == 0;
    int saved = errno;
    g_close (fd, nullptr);
    if (!ok) {
      g_unlink (path.c_str ());
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot write the session key file %s: %s", path.c_str (), g_strerror (saved));
    }
    return ok;
  }
  if (errno != EEXIST) {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 "cannot create the session key file %s: %s", path.c_str (), g_strerror (saved));
    return false;
  }

  GStatBuf st;
  if (g_stat (path.c_str (), &st) == 0 && (st.st_mode & 077) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                 "the session key file %s is readable by other users (mode %03o); make it 0600",
                 path.c_str (), (unsigned) (st.st_mode & 0777));
    return false;
  }
  gchar *contents = nullptr;
  gsize length = 0;
  if (!g_file_get_contents (path.c_str (), &contents, &length, error))
    return false;
  bool ok = length == kSessionKeyBytes;
  if (ok)
    key.assign (contents, length);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "the session key file %s holds %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT
                 " (delete it to make a new key; hosts then get new PINs)",
                 path.c_str (), length, kSessionKeyBytes);
  g_free (contents);
  return ok;
}

} // namespace gv::signaling
