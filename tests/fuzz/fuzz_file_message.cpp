/* Fuzz target: one message of the file-transfer channel
 * (plugins/webrtc/gvfilejson.cpp), as either end receives it: as a control
 * message (text) and as a chunk (binary). A control message accepted is
 * built again and parses to the same fields; a chunk's bytes lie inside the
 * message and its offset within the file limit. */
#include "fuzz_check.h"
#include "gvfilejson.h"

#include <cstdint>
#include <string>

namespace files = gv::files;

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  files::Message m;
  std::string why;
  if (files::parse (reinterpret_cast<const char *> (data), size, m, why)) {
    GV_FUZZ_CHECK (files::is_transfer_id (m.id));
    std::string again = files::build (m);
    files::Message back;
    GV_FUZZ_CHECK (files::parse (again.data (), again.size (), back, why));
    GV_FUZZ_CHECK (back.kind == m.kind && back.id == m.id && back.name == m.name &&
                   back.sha256 == m.sha256 && back.code == m.code && back.text == m.text &&
                   back.size == m.size && back.offset == m.offset && back.received == m.received);
    GV_FUZZ_CHECK (m.size <= files::kMaxFileBytes && m.offset <= files::kMaxFileBytes);
  }
  guint64 offset = 0;
  const guint8 *bytes = nullptr;
  gsize count = 0;
  if (files::parse_chunk (data, size, offset, bytes, count)) {
    GV_FUZZ_CHECK (bytes == data + files::kChunkHeaderBytes);
    GV_FUZZ_CHECK (count == size - files::kChunkHeaderBytes && count <= files::kMaxChunkBytes);
    GV_FUZZ_CHECK (offset <= files::kMaxFileBytes);
    GV_FUZZ_CHECK (files::make_chunk (offset, bytes, count) ==
                   std::vector<guint8> (data, data + size));
  }
  return 0;
}
