/* The fast layer: gvwebrtcsink and gvwebrtcsrc paired in one process by
 * GvDirectSignaller, as webrtcbin's own tests pair two webrtcbins: real
 * webrtcbins, ICE and DTLS on loopback, no signalling server. Each test gets
 * a room of its own; the pipelines are the harness's Pipeline, driven by
 * wait_until. */
#pragma once

#include "webrtc_harness.h"

#include <gst/gst.h>

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gvtest {

/* Small, cheap live video, so that several test programs can share two
 * cores; `up` is where upstream events from the sink arrive. */
extern const char *const kSmallVideo;

/* A room no other test of this process uses. */
class DirectRoom {
public:
  DirectRoom ();
  const std::string &name () const { return name_; }

private:
  std::string name_;
};

/* A pipeline whose gvwebrtcsink `host` hosts `room`. */
struct DirectHost : Pipeline {
  DirectHost (const DirectRoom &room, const std::string &description);
  GstElement *sink () { return get ("host"); }
};

/* A pipeline whose gvwebrtcsrc `viewer` joins `room`, as `name` (the name
 * the host's viewer-added and join-request carry). */
struct DirectViewer : Pipeline {
  DirectViewer (const DirectRoom &room, const std::string &description,
                const std::string &name = "");
  GstElement *src () { return get ("viewer"); }
};

/* kSmallVideo ! gvwebrtcsink name=host ice-loopback=true `sink_extra`; more
 * branches (an audio source into host.audio_0, say) may follow in `more`. */
std::string video_host (const std::string &sink_extra = "", const std::string &more = "");
/* gvwebrtcsrc name=viewer ice-loopback=true `src_extra` [! `downstream`]. */
std::string direct_viewer (const std::string &src_extra, const std::string &downstream);
/* The usual receiver: `src_extra`, then identity name=tap ! fakesink. */
std::string tapped_viewer (const std::string &src_extra = "");

/* Pumps the buses for `ms` milliseconds, whatever happens. */
template <typename... Pipelines> void pump_for (int ms, Pipelines *...pipelines)
{
  wait_until ([] { return false; }, ms, pipelines...);
}

/* What the host's gvwebrtcsink signalled, from whichever thread. */
struct SinkLog {
  std::mutex lock;
  std::map<std::string, std::string> peer_by_name; /* viewer-added */
  std::vector<std::string> added, removed;         /* peers */
  std::vector<std::pair<std::string, bool>> control_changes;
  std::vector<std::string> control_requests;

  void attach (GstElement *sink);
  /* The peer id the viewer named `name` was added as; "" if not (yet). */
  std::string peer (const std::string &name);
  size_t added_count ();
  size_t removed_count ();
  bool was_removed (const std::string &peer);
  std::vector<std::pair<std::string, bool>> controls ();
  std::vector<std::string> requests ();
};

/* Elements anywhere inside `bin` made by the factory `factory`, whose
 * factory's klass contains `klass`, or named `name`. */
int count_by_factory (GstElement *bin, const char *factory);
int count_by_klass (GstElement *bin, const char *klass);
int count_by_name (GstElement *bin, const char *name);
/* The first element directly in `bin` made by `factory`; a new reference. */
GstElement *child_by_factory (GstElement *bin, const char *factory);

/* The sink's `stats`: the entry of viewer `peer` ("": the only viewer),
 * copied; nullptr when there is none. Asserts nothing: safe to call from a
 * streaming thread. */
GstStructure *viewer_stats (GstElement *sink, const std::string &peer = "");
/* A guint64 field of the sink's stats (the totals). */
guint64 sink_stat (GstElement *sink, const char *field);

/* A path for a temporary file (removed by the destructor). */
struct TempFile {
  std::string path;
  explicit TempFile (const char *pattern);
  ~TempFile ();
};

} // namespace gvtest
