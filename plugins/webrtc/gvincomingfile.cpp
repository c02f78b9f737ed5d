/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvincomingfile.h"

#include "gvfilejson.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <vector>

namespace gv::webrtc {

namespace {

/* An extension this short is kept when a long name is cut. */
constexpr gsize kMaxKeptExtensionBytes = 16;
/* "name (N).ext" up to this N before giving up. */
constexpr int kMaxNameTries = 10000;
constexpr gsize kReadChunk = 64 * 1024;

bool is_reserved (gunichar c)
{
  /* Path separators, and what Windows and macOS refuse in a name. */
  return c == '/' || c == '\\' || c == '<' || c == '>' || c == ':' || c == '"' || c == '|' ||
         c == '?' || c == '*' || g_unichar_iscntrl (c) ||
         g_unichar_type (c) == G_UNICODE_FORMAT; /* e.g. U+202E, which reverses what follows */
}

/* CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension: devices on
 * Windows, where the host or the viewer may run. */
bool is_device_name (const std::string &name)
{
  std::string stem = name.substr (0, name.find ('.'));
  while (!stem.empty () && stem.back () == ' ')
    stem.pop_back ();
  gchar *upper = g_ascii_strup (stem.c_str (), -1);
  std::string s = upper;
  g_free (upper);
  if (s == "CON" || s == "PRN" || s == "AUX" || s == "NUL")
    return true;
  return s.size () == 4 && (s.compare (0, 3, "COM") == 0 || s.compare (0, 3, "LPT") == 0) &&
         s[3] >= '1' && s[3] <= '9';
}

/* The longest prefix of `s` of at most `bytes` bytes that ends on a
 * character boundary (s is valid UTF-8). */
std::string utf8_prefix (const std::string &s, gsize bytes)
{
  const gchar *start = s.c_str (), *p = start;
  while (*p) {
    const gchar *next = g_utf8_next_char (p);
    if ((gsize) (next - start) > bytes)
      break;
    p = next;
  }
  return std::string (start, p - start);
}

void split_extension (const std::string &name, std::string &stem, std::string &ext)
{
  gsize dot = name.rfind ('.');
  if (dot == std::string::npos || dot == 0 || name.size () - dot > kMaxKeptExtensionBytes) {
    stem = name;
    ext.clear ();
  } else {
    stem = name.substr (0, dot);
    ext = name.substr (dot);
  }
}

void set_errno_error (GError **error, int saved, const std::string &what)
{
  if (saved == ENOSPC || saved == EDQUOT)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "%s: the disk is full", what.c_str ());
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", what.c_str (),
                 g_strerror (saved));
}

} // namespace

std::string safe_file_name (const std::string &offered)
{
  gchar *valid = g_utf8_make_valid (offered.data (), (gssize) offered.size ());
  std::string text = valid;
  g_free (valid);
  /* The last component of whatever path it was. */
  gsize slash = text.find_last_of ("/\\");
  if (slash != std::string::npos)
    text = text.substr (slash + 1);

  std::string name;
  for (const gchar *p = text.c_str (); *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (is_reserved (c)) {
      name += '_';
    } else {
      gchar buf[6];
      name.append (buf, g_unichar_to_utf8 (c, buf));
    }
  }
  /* No leading dots (hidden files, "..") or spaces, no trailing ones
   * (Windows drops them, turning "a." into "a"). */
  gsize first = name.find_first_not_of (". ");
  name = first == std::string::npos ? std::string () : name.substr (first);
  while (!name.empty () && (name.back () == '.' || name.back () == ' '))
    name.pop_back ();
  if (name.empty ())
    name = "download";
  if (is_device_name (name))
    name = "_" + name;
  if (name.size () > kMaxFileNameBytes) {
    std::string stem, ext;
    split_extension (name, stem, ext);
    name = utf8_prefix (stem, kMaxFileNameBytes - ext.size ()) + ext;
  }
  return name;
}

std::unique_ptr<IncomingFile> IncomingFile::open (const std::string &dir, const std::string &id,
                                                  const std::string &offered_name, guint64 size,
                                                  const std::string &sha256_hex, GError **error)
{
  if (!files::is_transfer_id (id)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "not a transfer id (16 to 64 lowercase hex characters)");
    return nullptr;
  }
  if (!files::is_sha256_hex (sha256_hex)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "not a SHA-256 (64 lowercase hex characters)");
    return nullptr;
  }
  std::unique_ptr<IncomingFile> f (new IncomingFile ());
  f->dir_ = dir;
  f->partial_ = dir + G_DIR_SEPARATOR_S + ".ghostview-" + id + ".part";
  f->name_ = safe_file_name (offered_name);
  f->expected_hash_ = sha256_hex;
  f->size_ = size;
  f->fd_ = ::open (f->partial_.c_str (), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (f->fd_ < 0) {
    set_errno_error (error, errno, "cannot create a file in " + dir);
    return nullptr;
  }
  if (!f->hash_existing (error) || !f->room_for_the_rest (error))
    return nullptr;
  return f;
}

/* Refused at the offer, not after filling the disk: the rest of the file
 * must fit in what the filesystem has free. (Writes still report a disk
 * that fills meanwhile.) */
bool IncomingFile::room_for_the_rest (GError **error)
{
  struct statvfs fs;
  if (fstatvfs (fd_, &fs) != 0)
    return true; /* unknown: the writes will tell */
  const guint64 free_bytes = (guint64) fs.f_bavail * fs.f_frsize;
  const guint64 needed = size_ - offset_;
  if (needed <= free_bytes)
    return true;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
               "the disk is full (%.1f MiB more needed, %.1f MiB free)",
               (double) needed / (1024 * 1024), (double) free_bytes / (1024 * 1024));
  abort ();
  return false;
}

/* What a partial of this transfer already holds: hashed, and the offset
 * set after it. More than the file's size: it was another file, start
 * again. */
bool IncomingFile::hash_existing (GError **error)
{
  hash_ = std::make_unique<Sha256> ();
  GStatBuf st;
  if (fstat (fd_, &st) != 0) {
    set_errno_error (error, errno, "cannot read " + partial_);
    return false;
  }
  if ((guint64) st.st_size > size_ && ftruncate (fd_, 0) != 0) {
    set_errno_error (error, errno, "cannot restart " + partial_);
    return false;
  }
  std::vector<guint8> buf (kReadChunk);
  offset_ = 0;
  for (;;) {
    ssize_t n = read (fd_, buf.data (), buf.size ());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      set_errno_error (error, errno, "cannot read " + partial_);
      return false;
    }
    if (n == 0)
      break;
    hash_->update (buf.data (), (gsize) n);
    offset_ += (guint64) n;
  }
  return true;
}

IncomingFile::~IncomingFile ()
{
  /* The partial stays for a resume; abort () removes it. */
  if (fd_ >= 0)
    close (fd_);
}

bool IncomingFile::write (const guint8 *data, gsize length, GError **error)
{
  if (done_ || fd_ < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the transfer is over");
    return false;
  }
  if (length > size_ - offset_) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "more data than the %" G_GUINT64_FORMAT " bytes offered", size_);
    return false;
  }
  for (gsize done = 0; done < length;) {
    ssize_t n = ::write (fd_, data + done, length - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      set_errno_error (error, errno, "writing " + name_);
      return false;
    }
    done += (gsize) n;
  }
  hash_->update (data, length);
  offset_ += length;
  return true;
}

bool IncomingFile::finish (std::string &final_path, GError **error)
{
  if (done_ || fd_ < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the transfer is over");
    return false;
  }
  if (offset_ != size_) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                 "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes arrived", offset_, size_);
    return false;
  }
  if (expected_hash_ != hash_->hex ()) {
    abort ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "%s arrived damaged (its SHA-256 is not the sender's): not saved", name_.c_str ());
    return false;
  }
  if (fsync (fd_) != 0) {
    set_errno_error (error, errno, "saving " + name_);
    return false;
  }
  std::string stem, ext;
  split_extension (name_, stem, ext);
  for (int i = 0; i < kMaxNameTries; i++) {
    std::string candidate =
        dir_ + G_DIR_SEPARATOR_S + (i == 0 ? name_ : stem + " (" + std::to_string (i) + ")" + ext);
    /* link () never replaces: a name taken, even a moment ago, is skipped. */
    if (link (partial_.c_str (), candidate.c_str ()) == 0) {
      g_unlink (partial_.c_str ());
      close (fd_);
      fd_ = -1;
      done_ = true;
      final_path = candidate;
      return true;
    }
    if (errno != EEXIST) {
      set_errno_error (error, errno, "saving " + name_);
      return false;
    }
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "no free name for %s", name_.c_str ());
  return false;
}

void IncomingFile::abort ()
{
  if (fd_ >= 0)
    close (fd_);
  fd_ = -1;
  if (!done_)
    g_unlink (partial_.c_str ());
  done_ = true;
}

} // namespace gv::webrtc
