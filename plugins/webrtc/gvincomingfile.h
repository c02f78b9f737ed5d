/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A file a peer sends, as it lands in a download folder (issue 13, file
 * transfer; the host's --download-dir, a viewer's own folder):
 *
 * - The name the peer offered is never used as a path: safe_file_name ()
 *   keeps its last component, without path separators, `..`, control or
 *   reserved characters, device names (CON, NUL, COM1, ...) or leading dots,
 *   cut to kMaxFileNameBytes at a character boundary (keeping a short
 *   extension); an existing file is never overwritten: "name (1).ext".
 * - Until the whole file is there and its SHA-256 is the one offered, it is
 *   a hidden partial file (.ghostview-ID.part): nothing looks complete that
 *   is not. finish () then links it to its final name (no overwrite, even
 *   by a file that appeared meanwhile) and removes the partial.
 * - A transfer cut by a lost connection resumes: open () with the same
 *   transfer id finds the partial, hashes what it holds, and offset () says
 *   where the sender goes on.
 * - A file that cannot fit in the space left is refused when it is
 *   offered; the disk filling up later, or any write error, is a clear
 *   GError too (for the peer as well); abort () removes the partial.
 *
 * Plain C++ and GLib (no pipeline): the data channels feed it; tested on
 * its own (tests/check/webrtc/test_incoming_file.cpp).
 */
#pragma once

#include "gvsha256.h"

#include <glib.h>
#include <gio/gio.h>

#include <memory>
#include <string>

namespace gv::webrtc {

/* Longest final name, in bytes of UTF-8. */
inline constexpr gsize kMaxFileNameBytes = 200;

/* `offered` made safe as a file name (never empty, never a path). */
std::string safe_file_name (const std::string &offered);

class IncomingFile {
public:
  /* Opens the partial file of transfer `id` (gvfilejson.h) in `dir` (which must exist),
   * for a file of `size` bytes whose SHA-256 is `sha256_hex` (64 lowercase
   * hex), to be named after `offered_name`. A partial left by the same
   * transfer is taken up where it stopped (one holding more than `size`
   * bytes starts again). nullptr with `error` when the id or hash is
   * malformed, the file cannot be made, or what is missing of it does not
   * fit in the filesystem's free space (G_IO_ERROR_NO_SPACE; no partial
   * is left). */
  static std::unique_ptr<IncomingFile> open (const std::string &dir, const std::string &id,
                                             const std::string &offered_name, guint64 size,
                                             const std::string &sha256_hex, GError **error);
  ~IncomingFile ();
  IncomingFile (const IncomingFile &) = delete;
  IncomingFile &operator= (const IncomingFile &) = delete;

  /* Bytes held so far: where the sender goes on. */
  guint64 offset () const { return offset_; }
  guint64 size () const { return size_; }
  const std::string &name () const { return name_; }

  /* Appends `length` bytes at offset (); more than size () in all, or a
   * write error (G_IO_ERROR_NO_SPACE when the disk is full), fails. */
  bool write (const guint8 *data, gsize length, GError **error);
  /* All bytes there and the hash matches: the final file's path (a new
   * name if taken). Otherwise false with `error` (G_IO_ERROR_INVALID_DATA
   * for a hash that differs: the partial is removed). */
  bool finish (std::string &final_path, GError **error);
  /* Removes the partial file (cancelled, disk full, the peer gone for good). */
  void abort ();

private:
  IncomingFile () = default;
  bool hash_existing (GError **error);
  bool room_for_the_rest (GError **error);

  std::string dir_, partial_, name_, expected_hash_;
  guint64 size_ = 0, offset_ = 0;
  int fd_ = -1;
  std::unique_ptr<Sha256> hash_;
  bool done_ = false;
};

} // namespace gv::webrtc
