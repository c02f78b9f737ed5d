/* Branches of a pipeline that nothing will feed. A preset written for a
 * host with sound (`src.audio_0 ! queue ! ... ! mux.audio_0`) meets a host
 * without: the delayed link to audio_0 never happens, and the branch
 * waits for ever (its sink never prerolls, so the pipeline never plays; the
 * muxer waits for the pad). Once a source has all its pads, such branches
 * are taken out. */
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace gv::launcher {

/* Removes from `pipeline` (its top level) every chain that starts with an
 * element whose sink pads are all unlinked: up to a sink, or to a muxer
 * (an element with several sink pads), whose request pad is released. A
 * chain through an element with several source pads is left alone.
 * Returns each removed chain as "a ! b ! c". Call on the main thread. */
std::vector<std::string> remove_unfed_branches (GstBin *pipeline);

} // namespace gv::launcher
