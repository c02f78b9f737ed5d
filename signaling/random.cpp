#include "random.h"

#include <glib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

namespace gv::signaling {

bool random_bytes (void *buf, std::size_t len)
{
  auto *p = static_cast<unsigned char *> (buf);
  std::size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom (p + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    done += (std::size_t) n;
  }
  if (done == len)
    return true;

  int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  while (done < len) {
    ssize_t n = read (fd, p + done, len - done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      close (fd);
      return false;
    }
    done += (std::size_t) n;
  }
  close (fd);
  return true;
}

std::string random_pin (int digits)
{
  g_return_val_if_fail (digits >= 1 && digits <= 9, std::string ());
  std::uint32_t space = 1;
  for (int i = 0; i < digits; i++)
    space *= 10;
  /* Largest multiple of the space that fits: values at or above it are
   * redrawn so every PIN is equally likely (for 9 digits, 7 % of draws). */
  const std::uint32_t limit = (UINT32_MAX / space) * space;
  std::uint32_t v;
  do {
    if (!random_bytes (&v, sizeof v))
      g_abort (); /* the kernel CSPRNG failing is not an input error */
  } while (v >= limit);
  char pin[16];
  g_snprintf (pin, sizeof pin, "%0*u", digits, v % space);
  return pin;
}

std::string random_id (std::size_t bytes)
{
  std::string raw (bytes, '\0');
  if (!random_bytes (raw.data (), bytes))
    g_abort ();
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve (bytes * 2);
  for (unsigned char c : raw) {
    out.push_back (hex[c >> 4]);
    out.push_back (hex[c & 15]);
  }
  return out;
}

} // namespace gv::signaling
