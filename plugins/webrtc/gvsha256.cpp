/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvsha256.h"

#ifdef GV_HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

namespace gv::webrtc {

#ifdef GV_HAVE_LIBCRYPTO

struct Sha256::State {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  ~State () { EVP_MD_CTX_free (ctx); }
};

Sha256::Sha256 () : state_ (std::make_unique<State> ())
{
  EVP_DigestInit_ex (state_->ctx, EVP_sha256 (), nullptr);
}

void Sha256::update (const guint8 *data, gsize length)
{
  if (hex_.empty ())
    EVP_DigestUpdate (state_->ctx, data, length);
}

std::string Sha256::hex ()
{
  if (!hex_.empty ())
    return hex_;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex (state_->ctx, digest, &length);
  static const char kDigits[] = "0123456789abcdef";
  hex_.reserve (2 * length);
  for (unsigned int i = 0; i < length; i++) {
    hex_ += kDigits[digest[i] >> 4];
    hex_ += kDigits[digest[i] & 0xf];
  }
  return hex_;
}

#else

struct Sha256::State {
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  ~State () { g_checksum_free (checksum); }
};

Sha256::Sha256 () : state_ (std::make_unique<State> ()) {}

void Sha256::update (const guint8 *data, gsize length)
{
  if (hex_.empty ())
    g_checksum_update (state_->checksum, data, (gssize) length);
}

std::string Sha256::hex ()
{
  if (hex_.empty ())
    hex_ = g_checksum_get_string (state_->checksum);
  return hex_;
}

#endif

Sha256::~Sha256 () = default;

} // namespace gv::webrtc
