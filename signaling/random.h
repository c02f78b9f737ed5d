/* Secrets and identifiers from the kernel CSPRNG (getrandom). Never
 * g_random or rand(): PINs and ids must not be predictable. */
#pragma once

#include <cstddef>
#include <string>

namespace gv::signaling {

/* Fills `buf` from getrandom(2) (or /dev/urandom where it is missing).
 * Returns false only if the kernel source fails. */
bool random_bytes (void *buf, std::size_t len);

/* A uniformly drawn PIN of `digits` digits (1 to 9), e.g. "000000".."999999"
 * for 6 (no modulo bias). */
std::string random_pin (int digits = 6);

/* `bytes` random bytes as lowercase hex. */
std::string random_id (std::size_t bytes = 12);

} // namespace gv::signaling
