/* Fuzz target: one message on the assistance data channel
 * (plugins/webrtc/gvassistjson.cpp), read by the host and by a viewer
 * alike. Whatever parses must survive the way back: the builder of its
 * kind makes a message that parses to the same fields; a refusal has a
 * sentence. The kinds about what is shared (gvassistsources.cpp) too. */
#include "fuzz_check.h"
#include "gvassistjson.h"

#include <cstdint>
#include <string>

namespace assist = gv::assist;

namespace {

std::string rebuild (const assist::Message &m)
{
  switch (m.kind) {
  case assist::Kind::ViewerChat:
    return assist::make_chat (m.text.c_str ());
  case assist::Kind::HostChat:
    return assist::make_host_chat (m.from.c_str (), m.peer.c_str (), m.text.c_str (), m.time);
  case assist::Kind::Refused:
    return assist::make_refused (m.what.c_str (), m.message.c_str ());
  case assist::Kind::Clipboard:
    break; /* pieces: checked below */
  case assist::Kind::ListSources:
    return assist::make_list_sources ();
  case assist::Kind::Sources:
    return assist::make_sources (m.current, m.sources);
  case assist::Kind::Share:
    return assist::make_share (m.source);
  case assist::Kind::Resize:
    return assist::make_resize (m.width, m.height);
  case assist::Kind::Cursor:
    return assist::make_cursor (m.x, m.y, m.visible, m.shape);
  case assist::Kind::CursorShape:
    return assist::make_cursor_shape (m.shape, m.width, m.height, m.hot_x, m.hot_y, m.data);
  case assist::Kind::Shared: {
    assist::SourceItem item{ m.source, assist::source_kind (m.source), m.name, m.width, m.height };
    return assist::make_shared (item, m.by, m.reason);
  }
  }
  return "";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = reinterpret_cast<const char *> (data);
  assist::Message m;
  std::string error;
  if (!assist::parse_message (text, size, m, error)) {
    GV_FUZZ_CHECK (!error.empty ());
    return 0;
  }
  if (m.kind == assist::Kind::Clipboard) {
    /* A piece within its content; a whole content in one piece comes back
     * together, and is built again as the same one piece. */
    GV_FUZZ_CHECK (m.data.size () <= assist::kClipboardChunkBytes &&
                   m.offset + m.data.size () <= m.size && m.size <= assist::kMaxClipboardBytes);
    assist::ClipboardAssembler assembler;
    std::string mime, bytes;
    const bool whole = assembler.add (m, mime, bytes);
    GV_FUZZ_CHECK (whole == (m.offset == 0 && m.last));
    if (whole) {
      std::vector<std::string> pieces = assist::make_clipboard (m.id, mime.c_str (), bytes);
      GV_FUZZ_CHECK (pieces.size () == 1);
      assist::Message again;
      GV_FUZZ_CHECK (assist::parse_message (pieces[0].c_str (), pieces[0].size (), again, error));
      GV_FUZZ_CHECK (again.id == m.id && again.mime == m.mime && again.data == m.data &&
                     again.size == m.size && again.last);
    }
    return 0;
  }
  const bool about_sources = m.kind == assist::Kind::ListSources ||
                             m.kind == assist::Kind::Sources || m.kind == assist::Kind::Share ||
                             m.kind == assist::Kind::Shared || m.kind == assist::Kind::Cursor ||
                             m.kind == assist::Kind::CursorShape || m.kind == assist::Kind::Resize;
  GV_FUZZ_CHECK (m.kind == assist::Kind::Refused || about_sources ||
                 assist::valid_chat_text (m.text.c_str ()));
  std::string again_text = rebuild (m);
  GV_FUZZ_CHECK (!again_text.empty () && again_text.size () <= assist::kMaxMessageBytes);
  assist::Message again;
  GV_FUZZ_CHECK (assist::parse_message (again_text.c_str (), again_text.size (), again, error));
  GV_FUZZ_CHECK (again.kind == m.kind && again.text == m.text && again.from == m.from &&
                 again.peer == m.peer && again.time == m.time && again.what == m.what &&
                 again.message == m.message && again.source == m.source &&
                 again.current == m.current && again.name == m.name && again.width == m.width &&
                 again.height == m.height && again.by == m.by && again.reason == m.reason &&
                 again.x == m.x && again.y == m.y && again.visible == m.visible &&
                 again.shape == m.shape && again.hot_x == m.hot_x && again.hot_y == m.hot_y &&
                 (m.kind != assist::Kind::CursorShape || again.data == m.data));
  GV_FUZZ_CHECK (again.sources.size () == m.sources.size ());
  for (size_t i = 0; i < m.sources.size (); i++)
    GV_FUZZ_CHECK (again.sources[i].id == m.sources[i].id &&
                   again.sources[i].kind == m.sources[i].kind &&
                   again.sources[i].name == m.sources[i].name &&
                   again.sources[i].width == m.sources[i].width &&
                   again.sources[i].height == m.sources[i].height);
  return 0;
}
