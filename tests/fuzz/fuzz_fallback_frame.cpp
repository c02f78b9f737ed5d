/* Fuzz target: the fallback's picture messages (signaling/fallback_frame.h),
 * binary WebSocket messages a host sends and the server parses before it
 * relays them. Whatever parses must hold a JPEG start and a size, never
 * reach past the input, and build back into the same bytes. */
#include "fallback_frame.h"
#include "fuzz_check.h"

#include <cstdint>
#include <cstring>

namespace proto = gv::proto;

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  proto::FallbackFrame frame;
  std::string error;
  if (!proto::parse_fallback_frame (data, size, frame, error)) {
    GV_FUZZ_CHECK (!error.empty ());
    return 0;
  }
  GV_FUZZ_CHECK (size <= proto::kMaxFallbackFrameBytes);
  GV_FUZZ_CHECK (frame.width > 0 && frame.height > 0);
  GV_FUZZ_CHECK (frame.jpeg >= data && frame.jpeg + frame.jpeg_size == data + size);
  GV_FUZZ_CHECK (frame.jpeg_size >= 2 && frame.jpeg[0] == 0xFF && frame.jpeg[1] == 0xD8);
  /* What the server sends on: the same picture, no peer. */
  GBytes *again = proto::make_fallback_frame (frame.peer, frame.frame, frame.width, frame.height,
                                              frame.jpeg, frame.jpeg_size);
  GV_FUZZ_CHECK (again != nullptr);
  gsize again_size = 0;
  const void *again_data = g_bytes_get_data (again, &again_size);
  GV_FUZZ_CHECK (again_size == size && memcmp (again_data, data, size) == 0);
  g_bytes_unref (again);
  return 0;
}
