/* What is shared, from `ghostview host`'s terminal: /sources lists the
 * displays and windows the capture can share (the "gv-sources" query,
 * plugins/capture/gvsharedsource.h), /share ID switches to one (the
 * "gv-share" event), both sent up from the sink's video pad as a viewer's
 * request is; and each change the sink reports (gvwebrtcsink-shared) as an
 * event line. */
#pragma once

#include <gst/gst.h>

#include <string>

namespace gv::launcher {

/* /sources: the list, the shared one marked. */
void list_sources (GstElement *sink);
/* /share ID */
void share_source (GstElement *sink, const std::string &id);
/* A gvwebrtcsink-shared message's line ("now sharing ..."), or with
 * `viewer` a gvwebrtcsrc-shared one ("the host now shares ..."). */
std::string shared_line (const GstStructure *s, bool viewer = false);
/* A gvwebrtcsrc-sources message (the host's answer to /sources) as
 * /sources prints it on the host. */
void print_sources (const GstStructure *s);

} // namespace gv::launcher
