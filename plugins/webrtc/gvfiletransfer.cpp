/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvfiletransfer.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace gv::webrtc {

namespace {

/* Partial files nobody came back for within a day are removed. */
constexpr gint64 kPartialLifetimeUs = G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC;
constexpr gsize kReadChunk = 64 * 1024;

std::string mib_text (guint64 bytes)
{
  return std::to_string (bytes >> 20) + " MiB";
}

/* The transfer id of a file: the same file (name, size, content) has the
 * same id, so sending it again after the receiver reconnected (a page
 * reloaded, a viewer restarted) resumes it where the receiver's partial
 * stopped; the same rule as web/js/files.js (transferIdOf). */
std::string transfer_id_of (const std::string &name, guint64 size, const std::string &sha256)
{
  const std::string text = sha256 + ":" + std::to_string (size) + ":" + name;
  gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text.data (), text.size ());
  std::string id (hex, 32);
  g_free (hex);
  return id;
}

void remove_old_partials (const std::string &dir)
{
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  if (!d)
    return;
  const gint64 now = g_get_real_time ();
  while (const gchar *name = g_dir_read_name (d)) {
    if (!g_str_has_prefix (name, ".ghostview-") || !g_str_has_suffix (name, ".part"))
      continue;
    std::string path = dir + G_DIR_SEPARATOR_S + name;
    GStatBuf st;
    if (g_lstat (path.c_str (), &st) == 0 && S_ISREG (st.st_mode) &&
        now - (gint64) st.st_mtime * G_USEC_PER_SEC > kPartialLifetimeUs)
      g_unlink (path.c_str ());
  }
  g_dir_close (d);
}

} // namespace

struct FileEndpoint::Outgoing {
  std::string id, path, name, sha256;
  guint64 size = 0, offset = 0;
  guint64 arrived = 0, reported = 0; /* what the receiver has; told the owner */
  int fd = -1;
  bool accepted = false;
  ~Outgoing ()
  {
    if (fd >= 0)
      close (fd);
  }
};

FileEndpoint::FileEndpoint (std::string download_dir, FileLimits limits, Callbacks callbacks)
    : dir_ (std::move (download_dir)), limits_ (limits), cb_ (std::move (callbacks))
{
  remove_old_partials (dir_);
}

FileEndpoint::~FileEndpoint () = default; /* an incoming partial stays, for a resume */

void FileEndpoint::emit (FileEvent::Direction direction, FileEvent::State state,
                         const std::string &id, const std::string &name, guint64 size,
                         guint64 bytes, const std::string &code, const std::string &message)
{
  if (!cb_.event)
    return;
  FileEvent e;
  e.direction = direction;
  e.state = state;
  e.id = id;
  e.name = name;
  e.size = size;
  e.bytes = bytes;
  e.code = code;
  e.message = message;
  cb_.event (e);
}

void FileEndpoint::send_control (const files::Message &m)
{
  cb_.send_text (files::build (m));
}

/* ---- receiving ---- */

void FileEndpoint::on_text (const char *data, gsize length)
{
  files::Message m;
  std::string why;
  if (!files::parse (data, length, m, why))
    return; /* not ours to answer: the other end sent something malformed */
  const bool about_in = in_ && m.id == in_id_;
  const bool about_out = out_ && m.id == out_->id;
  switch (m.kind) {
  case files::Kind::Offer:
    receive_offer (m);
    break;
  case files::Kind::Accept:
    if (!about_out || out_->accepted)
      break;
    if (m.offset > out_->size) {
      fail_outgoing (files::kCodeBadMessage, "the receiver asked to resume past the end", true);
      break;
    }
    out_->offset = m.offset;
    out_->arrived = out_->reported = m.offset;
    out_->accepted = true;
    emit (FileEvent::Direction::Outgoing, FileEvent::State::Accepted, out_->id, out_->name,
          out_->size, m.offset);
    pump ();
    break;
  case files::Kind::Progress:
    if (about_out && m.received > out_->arrived && m.received <= out_->offset) {
      out_->arrived = m.received;
      if (cb_.arrived)
        cb_.arrived (m.received);
      if (m.received - out_->reported >= kProgressEvery) {
        out_->reported = m.received;
        emit (FileEvent::Direction::Outgoing, FileEvent::State::Progress, out_->id, out_->name,
              out_->size, m.received);
      }
      pump ();
    }
    break;
  case files::Kind::Done:
    if (about_out) {
      sent_total_ += out_->size;
      emit (FileEvent::Direction::Outgoing, FileEvent::State::Done, out_->id, m.name, out_->size,
            out_->size);
      out_.reset ();
    }
    break;
  case files::Kind::Reject:
    if (about_out)
      fail_outgoing (m.code.c_str (), m.text, false);
    break;
  case files::Kind::Failed:
  case files::Kind::Cancel: {
    const char *code = m.kind == files::Kind::Cancel ? files::kCodeCancelled : m.code.c_str ();
    if (about_in)
      fail_incoming (code, m.kind == files::Kind::Cancel ? "cancelled by the sender" : m.text,
                     false);
    if (about_out)
      fail_outgoing (code, m.kind == files::Kind::Cancel ? "cancelled by the receiver" : m.text,
                     false);
    break;
  }
  }
}

void FileEndpoint::receive_offer (const files::Message &m)
{
  files::Message answer;
  answer.id = m.id;
  auto reject = [&] (const char *code, const std::string &text) {
    answer.kind = files::Kind::Reject;
    answer.code = code;
    answer.text = text;
    send_control (answer);
    emit (FileEvent::Direction::Incoming, FileEvent::State::Failed, m.id, m.name, m.size, 0, code,
          text);
  };
  if (cb_.may_receive && !cb_.may_receive ()) {
    refused_++;
    reject (files::kCodeNotAllowed, "The host has not allowed file transfer.");
    return;
  }
  if (in_) {
    reject (files::kCodeBusy, "A file is already on its way; send this one after it.");
    return;
  }
  if (m.size > limits_.max_file_bytes) {
    reject (files::kCodeTooLarge,
            "Files over " + mib_text (limits_.max_file_bytes) + " are not accepted here.");
    return;
  }
  if (received_total_ + m.size > limits_.max_session_bytes) {
    reject (files::kCodeTooLarge,
            "This session has received its limit of " + mib_text (limits_.max_session_bytes) + ".");
    return;
  }
  GError *error = nullptr;
  if (g_mkdir_with_parents (dir_.c_str (), 0755) != 0) {
    reject (files::kCodeFailed,
            std::string ("cannot make the download folder: ") + g_strerror (errno));
    return;
  }
  std::unique_ptr<IncomingFile> f =
      IncomingFile::open (dir_, m.id, m.name, m.size, m.sha256, &error);
  if (!f) {
    const bool full = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    reject (full ? files::kCodeDiskFull : files::kCodeFailed, error->message);
    g_error_free (error);
    return;
  }
  in_ = std::move (f);
  in_id_ = m.id;
  in_reported_ = in_acked_ = in_->offset ();
  emit (FileEvent::Direction::Incoming, FileEvent::State::Offered, m.id, m.name, m.size,
        in_->offset ());
  answer.kind = files::Kind::Accept;
  answer.offset = in_->offset ();
  send_control (answer);
  emit (FileEvent::Direction::Incoming, FileEvent::State::Accepted, m.id, m.name, m.size,
        in_->offset ());
  if (in_->offset () == in_->size ())
    finish_incoming ();
}

void FileEndpoint::on_binary (const guint8 *data, gsize length)
{
  guint64 offset = 0;
  const guint8 *bytes = nullptr;
  gsize count = 0;
  if (!in_)
    return; /* a chunk of a transfer that ended (cancelled, say) */
  if (!files::parse_chunk (data, length, offset, bytes, count)) {
    fail_incoming (files::kCodeBadMessage, "a chunk of a bad size", true);
    return;
  }
  receive_chunk (offset, bytes, count);
}

void FileEndpoint::receive_chunk (guint64 offset, const guint8 *bytes, gsize count)
{
  if (offset != in_->offset ()) {
    fail_incoming (files::kCodeBadMessage, "a chunk out of order", true);
    return;
  }
  GError *error = nullptr;
  if (!in_->write (bytes, count, &error)) {
    const bool full = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    fail_incoming (full ? files::kCodeDiskFull : files::kCodeFailed, error->message, true);
    g_error_free (error);
    return;
  }
  const gint64 now = g_get_monotonic_time ();
  if (in_->offset () < in_->size () &&
      (in_->offset () - in_acked_ >= kAckEvery || now - in_acked_us_ >= kAckEveryUs)) {
    in_acked_ = in_->offset ();
    in_acked_us_ = now;
    files::Message p;
    p.kind = files::Kind::Progress;
    p.id = in_id_;
    p.received = in_->offset ();
    send_control (p);
  }
  if (in_->offset () - in_reported_ >= kProgressEvery && in_->offset () < in_->size ()) {
    in_reported_ = in_->offset ();
    emit (FileEvent::Direction::Incoming, FileEvent::State::Progress, in_id_, in_->name (),
          in_->size (), in_->offset ());
  }
  if (in_->offset () == in_->size ())
    finish_incoming ();
}

void FileEndpoint::finish_incoming ()
{
  std::string path;
  GError *error = nullptr;
  if (!in_->finish (path, &error)) {
    const bool damaged = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    fail_incoming (damaged ? files::kCodeDamaged : files::kCodeFailed, error->message, true);
    g_error_free (error);
    return;
  }
  received_total_ += in_->size ();
  files::Message done;
  done.kind = files::Kind::Done;
  done.id = in_id_;
  gchar *base = g_path_get_basename (path.c_str ());
  done.name = base;
  g_free (base);
  send_control (done);
  emit (FileEvent::Direction::Incoming, FileEvent::State::Done, in_id_, path, in_->size (),
        in_->size ());
  in_.reset ();
}

void FileEndpoint::fail_incoming (const char *code, const std::string &message, bool tell_sender)
{
  if (!in_)
    return;
  if (tell_sender) {
    files::Message m;
    m.kind = files::Kind::Failed;
    m.id = in_id_;
    m.code = code;
    m.text = message.substr (0, files::kMaxTextBytes);
    send_control (m);
  }
  in_->abort ();
  emit (FileEvent::Direction::Incoming, FileEvent::State::Failed, in_id_, in_->name (),
        in_->size (), in_->offset (), code, message);
  in_.reset ();
}

/* ---- sending ---- */

bool FileEndpoint::offer (const std::string &path, const std::string &id, GError **error)
{
  if (out_) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "a file is already on its way");
    return false;
  }
  if (!id.empty () && !files::is_transfer_id (id)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "not a transfer id");
    return false;
  }
  auto out = std::make_unique<Outgoing> ();
  out->path = path;
  /* A name as the other end reads it: UTF-8 whatever the file system's
   * bytes (an offer that is not would be dropped there unanswered). */
  gchar *base = g_filename_display_basename (path.c_str ());
  out->name = base;
  g_free (base);
  out->fd = g_open (path.c_str (), O_RDONLY | O_CLOEXEC, 0);
  GStatBuf st;
  if (out->fd < 0 || fstat (out->fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot read %s: %s",
                 path.c_str (), out->fd < 0 ? g_strerror (saved) : "not a regular file");
    return false;
  }
  out->size = (guint64) st.st_size;
  if (out->size > limits_.max_file_bytes || out->size > files::kMaxFileBytes) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "%s is over the %s limit",
                 out->name.c_str (), mib_text (limits_.max_file_bytes).c_str ());
    return false;
  }
  if (sent_total_ + out->size > limits_.max_session_bytes) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                 "this session has sent its limit of %s",
                 mib_text (limits_.max_session_bytes).c_str ());
    return false;
  }
  Sha256 hash;
  std::vector<guint8> buf (kReadChunk);
  for (;;) {
    ssize_t n = read (out->fd, buf.data (), buf.size ());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot read %s: %s",
                   path.c_str (), g_strerror (saved));
      return false;
    }
    if (n == 0)
      break;
    hash.update (buf.data (), (gsize) n);
  }
  out->sha256 = hash.hex ();
  const std::string offered_name = out->name.substr (0, files::kMaxNameBytes);
  out->id = id.empty () ? transfer_id_of (offered_name, out->size, out->sha256) : id;
  out_ = std::move (out);
  files::Message m;
  m.kind = files::Kind::Offer;
  m.id = out_->id;
  m.name = offered_name;
  m.size = out_->size;
  m.sha256 = out_->sha256;
  send_control (m);
  emit (FileEvent::Direction::Outgoing, FileEvent::State::Offered, out_->id, out_->name, out_->size,
        0);
  return true;
}

void FileEndpoint::pump ()
{
  std::vector<guint8> buf (files::kMaxChunkBytes);
  while (out_ && out_->accepted && out_->offset < out_->size &&
         (!cb_.buffered_amount || cb_.buffered_amount () < kHighWater)) {
    gsize want = (gsize) MIN ((guint64) buf.size (), out_->size - out_->offset);
    if (cb_.allowance) {
      const gsize allowed = cb_.allowance (want, out_->offset - out_->arrived);
      if (allowed == 0)
        return;
      want = MIN (want, allowed);
    }
    ssize_t n = pread (out_->fd, buf.data (), want, (off_t) out_->offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      fail_outgoing (files::kCodeFailed,
                     n < 0 ? std::string ("reading the file failed: ") + g_strerror (errno)
                           : "the file got shorter while it was sent",
                     true);
      return;
    }
    cb_.send_binary (files::make_chunk (out_->offset, buf.data (), (gsize) n));
    out_->offset += (guint64) n;
  }
}

void FileEndpoint::fail_outgoing (const char *code, const std::string &message, bool tell_receiver)
{
  if (!out_)
    return;
  if (tell_receiver) {
    files::Message m;
    m.kind = files::Kind::Failed;
    m.id = out_->id;
    m.code = code;
    m.text = message.substr (0, files::kMaxTextBytes);
    send_control (m);
  }
  emit (FileEvent::Direction::Outgoing, FileEvent::State::Failed, out_->id, out_->name, out_->size,
        out_->offset, code, message);
  out_.reset ();
}

void FileEndpoint::cancel_all (const std::string &why)
{
  for (bool incoming : { true, false }) {
    const std::string id = incoming ? (in_ ? in_id_ : "") : (out_ ? out_->id : "");
    if (id.empty ())
      continue;
    files::Message m;
    m.kind = files::Kind::Cancel;
    m.id = id;
    send_control (m);
    if (incoming)
      fail_incoming (files::kCodeCancelled, why, false);
    else
      fail_outgoing (files::kCodeCancelled, why, false);
  }
}

} // namespace gv::webrtc
