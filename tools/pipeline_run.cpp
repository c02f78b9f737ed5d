#include "pipeline_run.h"
#include "unfed_branches.h"

#include "console.h"
#include "exit_codes.h"

#include <glib-unix.h>
#include <glib/gstdio.h>

#include <atomic>
#include <cstring>
#include <set>

namespace gv::launcher {
namespace {

std::string element_path (GstObject *obj)
{
  if (!obj)
    return "the pipeline";
  gchar *name = gst_object_get_name (obj);
  std::string out = name ? name : "?";
  g_free (name);
  if (GST_IS_ELEMENT (obj)) {
    if (GstElementFactory *f = gst_element_get_factory (GST_ELEMENT (obj)))
      out += std::string (" (") + GST_OBJECT_NAME (f) + ")";
  }
  return out;
}

/* filesink location, or empty. */
std::string sink_location (GstElement *e)
{
  GstElementFactory *f = gst_element_get_factory (e);
  if (!f || !g_str_equal (GST_OBJECT_NAME (f), "filesink"))
    return "";
  gchar *location = nullptr;
  g_object_get (e, "location", &location, nullptr);
  std::string out = location ? location : "";
  g_free (location);
  return out;
}

template <typename F> void for_each_element (GstElement *pipeline, F &&f)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    f (GST_ELEMENT (g_value_get_object (&item)));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

GstPadProbeReturn first_buffer_probe (GstPad *, GstPadProbeInfo *, gpointer user)
{
  auto *location = static_cast<std::string *> (user);
  std::string text = "recording to " + *location;
  g_main_context_invoke_full (
      nullptr, G_PRIORITY_DEFAULT,
      [] (gpointer data) {
        print_event (*static_cast<std::string *> (data));
        return G_SOURCE_REMOVE;
      },
      new std::string (text), [] (gpointer data) { delete static_cast<std::string *> (data); });
  return GST_PAD_PROBE_REMOVE;
}

/* The first buffer out of a source element: when media starts, which for a
 * recorder is the start of the file's timeline (the muxer's own first write
 * can lag behind an encoder). */
GstPadProbeReturn source_buffer_probe (GstPad *, GstPadProbeInfo *, gpointer user)
{
  auto *said = static_cast<std::atomic<bool> *> (user);
  if (!said->exchange (true))
    g_main_context_invoke (
        nullptr,
        [] (gpointer) {
          print_event ("video is flowing");
          return G_SOURCE_REMOVE;
        },
        nullptr);
  return GST_PAD_PROBE_REMOVE;
}

void probe_source_pad (GstPad *pad, std::atomic<bool> *said)
{
  if (GST_PAD_IS_SRC (pad))
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, source_buffer_probe, said, nullptr);
}

} // namespace

PipelineRun::PipelineRun (GstElement *pipeline, int eos_timeout_s)
    : pipeline_ (GST_ELEMENT (gst_object_ref_sink (pipeline))), eos_timeout_s_ (eos_timeout_s)
{
  loop_ = g_main_loop_new (nullptr, FALSE);
  GstBus *bus = gst_element_get_bus (pipeline_);
  bus_watch_ = gst_bus_add_watch (bus, bus_cb, this);
  gst_object_unref (bus);
  sigint_ = g_unix_signal_add (SIGINT, sigint_cb, this);
  sigterm_ = g_unix_signal_add (SIGTERM, sigterm_cb, this);
}

PipelineRun::~PipelineRun ()
{
  /* First: no streaming thread may add a source after this. */
  gst_element_set_state (pipeline_, GST_STATE_NULL);
  for (guint id : { bus_watch_, sigint_, sigterm_, eos_timer_, prune_idle_.load () })
    if (id)
      g_source_remove (id);
  gst_object_unref (pipeline_);
  g_main_loop_unref (loop_);
}

void PipelineRun::watch_outputs ()
{
  /* Sources: top-level elements without sink pads (gvwebrtcsrc adds its
   * pads later). */
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (pipeline_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT (g_value_get_object (&item));
    if (e->numsinkpads == 0) {
      g_signal_connect (e, "pad-added", G_CALLBACK (+[] (GstElement *, GstPad *pad, gpointer said) {
                          probe_source_pad (pad, static_cast<std::atomic<bool> *> (said));
                        }),
                        &media_flowing_);
      /* All its pads are there: what waits for another is fed by nothing
       * (unfed_branches.h); taken out on the main thread. */
      g_signal_connect (e, "no-more-pads", G_CALLBACK (+[] (GstElement *, gpointer user) {
                          auto *self = static_cast<PipelineRun *> (user);
                          if (!self->prune_due_.exchange (true))
                            self->prune_idle_ = g_idle_add (prune_cb, self);
                        }),
                        this);
      GstIterator *pads = gst_element_iterate_src_pads (e);
      GValue pad = G_VALUE_INIT;
      while (gst_iterator_next (pads, &pad) == GST_ITERATOR_OK) {
        probe_source_pad (GST_PAD (g_value_get_object (&pad)), &media_flowing_);
        g_value_reset (&pad);
      }
      g_value_unset (&pad);
      gst_iterator_free (pads);
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);

  for_each_element (pipeline_, [this] (GstElement *e) {
    std::string location = sink_location (e);
    if (location.empty ())
      return;
    GstPad *pad = gst_element_get_static_pad (e, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer_probe,
                       new std::string (location),
                       [] (gpointer data) { delete static_cast<std::string *> (data); });
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, file_eos_probe, this, nullptr);
    gst_object_unref (pad);
    files_++;
    file_locations_.push_back (location);
  });
  disk_space_watch_ = std::make_unique<DiskSpaceWatch> (
      file_locations_, [this] (const std::string &location, guint64 free_bytes) {
        on_low_space (location, free_bytes);
      });
}

void PipelineRun::report_outputs ()
{
  for_each_element (pipeline_, [] (GstElement *e) {
    std::string location = sink_location (e);
    if (location.empty ())
      return;
    GStatBuf st;
    if (g_stat (location.c_str (), &st) == 0)
      print_event ("saved " + location + " (" + std::to_string ((st.st_size + 1023) / 1024) +
                   " KiB)");
  });
}

/* A file sink got EOS: its file is complete. Some sinks (gvwebrtcsink with
 * viewers) never post EOS, so once every file is complete after Ctrl-C the
 * session is done without waiting for the pipeline's EOS message. */
GstPadProbeReturn PipelineRun::file_eos_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  g_main_context_invoke (
      nullptr,
      [] (gpointer user) {
        auto *self = static_cast<PipelineRun *> (user);
        if (++self->files_done_ == self->files_ && self->finishing_files_ &&
            self->exit_code_ == kExitOk)
          self->finish (self->finished_code_);
        return G_SOURCE_REMOVE;
      },
      user);
  return GST_PAD_PROBE_OK;
}

int PipelineRun::run ()
{
  watch_outputs ();
  if (gst_element_set_state (pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The element said why on the bus; report that rather than a generic line. */
    GstBus *bus = gst_element_get_bus (pipeline_);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    gst_object_unref (bus);
    if (msg) {
      handle_error (msg);
      gst_message_unref (msg);
    } else {
      print_error ("ghostview: error: the pipeline cannot start");
    }
    return kExitPipeline;
  }
  g_main_loop_run (loop_);
  end_status ();
  gst_element_set_state (pipeline_, GST_STATE_NULL);
  if (exit_code_ == kExitOk || exit_code_ == kExitFailure)
    report_outputs ();
  return exit_code_;
}

void PipelineRun::finish (int code)
{
  exit_code_ = code;
  g_main_loop_quit (loop_);
}

void PipelineRun::handle_error (GstMessage *msg)
{
  GError *err = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error (msg, &err, &debug);
  std::string text = "ghostview: error: " + std::string (err->message);
  std::string location = GST_IS_ELEMENT (GST_MESSAGE_SRC (msg))
                             ? sink_location (GST_ELEMENT (GST_MESSAGE_SRC (msg)))
                             : "";
  if (g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT) &&
      !location.empty ())
    /* GStreamer's own text ("No space left on the resource.") names neither
     * the disk nor the file. Faster than the free-space watch could see. */
    text = "ghostview: error: the disk is full: no space left on the device to write " + location +
           ". What was written before stays in the file, without an index (players may not "
           "show its length). Free some space, or record to another disk (--output).";
  text += "\n  from " + element_path (GST_MESSAGE_SRC (msg));
  if (debug && *debug)
    text += "\n  debug: " + std::string (debug);
  text += "\n  (run with GST_DEBUG=3 or --gst-debug=*:3 for GStreamer's log)";
  print_error (text);
  g_error_free (err);
  g_free (debug);
}

gboolean PipelineRun::prune_cb (gpointer user)
{
  auto *self = static_cast<PipelineRun *> (user);
  self->prune_idle_ = 0;
  self->prune_due_ = false;
  for (const std::string &chain : remove_unfed_branches (GST_BIN (self->pipeline_)))
    print_event ("nothing comes for " + chain + " (the host sends no such stream): left out");
  return G_SOURCE_REMOVE;
}

void PipelineRun::handle_warning (GstMessage *msg)
{
  static std::set<std::string> said;
  GError *err = nullptr;
  gst_message_parse_warning (msg, &err, nullptr);
  /* A link to a pad the host did not send: the branch is taken out and
   * said so (prune_cb). */
  if (err->domain == GST_PARSE_ERROR && err->code == GST_PARSE_ERROR_DELAYED_LINK) {
    g_error_free (err);
    return;
  }
  /* What an audio output says ("Failed to connect") is about sound, not
   * the session: said so. */
  const char *source = GST_MESSAGE_SRC_NAME (msg);
  std::string text = err->message;
  if (source && strstr (source, "audiosink"))
    text = "sound output: " + text + " (the sound will not play here)";
  /* Elements repeat themselves (per frame, per retry): each text once. */
  if (said.insert (text).second)
    print_error ("ghostview: warning: " + text);
  g_error_free (err);
}

gboolean PipelineRun::bus_cb (GstBus *, GstMessage *msg, gpointer user)
{
  auto *self = static_cast<PipelineRun *> (user);
  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ERROR:
    if (self->exit_code_ == kExitOk) {
      self->handle_error (msg);
      self->finish (kExitPipeline);
    }
    break;
  case GST_MESSAGE_WARNING:
    self->handle_warning (msg);
    break;
  case GST_MESSAGE_EOS:
    self->finish (self->exit_code_ != kExitOk ? self->exit_code_ : self->finished_code_);
    break;
  case GST_MESSAGE_LATENCY:
    /* A receiver's jitterbuffer follows the path's round trip: the sinks'
     * latency has to follow it too, or frames arrive late and are dropped. */
    gst_bin_recalculate_latency (GST_BIN (self->pipeline_));
    break;
  case GST_MESSAGE_ELEMENT:
    if (self->on_element_message)
      self->on_element_message (msg);
    break;
  case GST_MESSAGE_STATE_CHANGED:
    if (GST_MESSAGE_SRC (msg) == GST_OBJECT (self->pipeline_) && !self->playing_) {
      GstState state;
      gst_message_parse_state_changed (msg, nullptr, &state, nullptr);
      if (state == GST_STATE_PLAYING) {
        self->playing_ = true;
        if (self->on_playing)
          self->on_playing ();
      }
    }
    break;
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

/* Whether the pipeline holds a sink of its own (not one inside a source
 * bin such as gvwebrtcsrc's webrtcbin). Without one (a recorder of a
 * shared terminal alone, whose branches for media were left out) nothing
 * waits for EOS, and no EOS would ever come. */
bool PipelineRun::has_sink () const
{
  bool sink = false;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (pipeline_));
  GValue item = G_VALUE_INIT;
  while (!sink && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    sink = GST_OBJECT_FLAG_IS_SET (g_value_get_object (&item), GST_ELEMENT_FLAG_SINK);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return sink;
}

bool PipelineRun::data_has_flowed () const
{
  bool flowed = false;
  for_each_element (pipeline_, [&flowed] (GstElement *e) {
    if (!GST_OBJECT_FLAG_IS_SET (e, GST_ELEMENT_FLAG_SINK) || GST_IS_BIN (e))
      return;
    GstIterator *it = gst_element_iterate_sink_pads (e);
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
      if (gst_pad_has_current_caps (GST_PAD (g_value_get_object (&item))))
        flowed = true;
      g_value_reset (&item);
    }
    g_value_unset (&item);
    gst_iterator_free (it);
  });
  return flowed;
}

/* Ctrl-C stops in order; a second Ctrl-C quits at once. */
gboolean PipelineRun::sigint_cb (gpointer user)
{
  auto *self = static_cast<PipelineRun *> (user);
  if (self->stop_asked_) {
    print_error ("ghostview: stopping now; files may be incomplete");
    self->finish (kExitInterrupted);
    return G_SOURCE_CONTINUE;
  }
  self->stop ();
  return G_SOURCE_CONTINUE;
}

/* SIGTERM stops in order however often it comes (bounded by --eos-timeout):
 * a recorder whose recorder-worker died gets its PR_SET_PDEATHSIG once per
 * parent thread that exits, and must still finish its file. */
gboolean PipelineRun::sigterm_cb (gpointer user)
{
  auto *self = static_cast<PipelineRun *> (user);
  if (!self->stop_asked_)
    self->stop ();
  return G_SOURCE_CONTINUE;
}

void PipelineRun::stop ()
{
  stop_asked_ = true;
  if (!data_has_flowed () || !has_sink ()) {
    print_event ("stopping");
    finish (kExitOk);
    return;
  }
  if (finishing_files_)
    return; /* already finishing (the disk filled) */
  print_event ("stopping: finishing files (press Ctrl-C again to quit at once)");
  finish_files (kExitOk);
}

/* EOS through the pipeline so that the muxers write their index and the
 * files' length, bounded by --eos-timeout; `code` is the exit code once they
 * are done. */
void PipelineRun::finish_files (int code)
{
  finishing_files_ = true;
  finished_code_ = code;
  gst_element_send_event (pipeline_, gst_event_new_eos ());
  if (eos_timeout_s_ > 0)
    eos_timer_ = g_timeout_add_seconds (eos_timeout_s_, eos_timeout_cb, this);
}

/* The disk is nearly full: stop while the muxer can still finish the file,
 * rather than at "No space left on device", which leaves a file without
 * index or length. */
void PipelineRun::on_low_space (const std::string &location, guint64 free_bytes)
{
  if (finishing_files_ || exit_code_ != kExitOk)
    return;
  print_error ("ghostview: error: the disk is almost full (" +
               std::to_string ((free_bytes + 1023) / 1024) + " KiB left where " + location +
               " is written): stopping now so the recording is finished and plays up to here. "
               "Free some space, or record to another disk (--output).");
  finish_files (kExitFailure);
}

gboolean PipelineRun::eos_timeout_cb (gpointer user)
{
  auto *self = static_cast<PipelineRun *> (user);
  self->eos_timer_ = 0;
  print_error ("ghostview: the pipeline did not finish within " +
               std::to_string (self->eos_timeout_s_) +
               " s (--eos-timeout); stopping anyway, files may be incomplete");
  self->finish (kExitFailure);
  return G_SOURCE_REMOVE;
}

GstElement *build_pipeline (const std::string &what, const std::string &description)
{
  GstParseContext *ctx = gst_parse_context_new ();
  GError *err = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full (description.c_str (), ctx, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!err && pipeline && !GST_IS_PIPELINE (pipeline)) {
    /* A single element: put it in a pipeline so it has a bus and clock. */
    GstElement *bin = gst_pipeline_new (nullptr);
    gst_bin_add (GST_BIN (bin), pipeline);
    pipeline = bin;
  }
  if (err) {
    std::string text = "ghostview: " + what + ": ";
    if (g_error_matches (err, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT)) {
      gchar **missing = gst_parse_context_get_missing_elements (ctx);
      std::string names;
      for (gchar **m = missing; m && *m; m++)
        names += (names.empty () ? "" : ", ") + std::string (*m);
      g_strfreev (missing);
      text += "missing GStreamer element" +
              std::string (names.find (',') != std::string::npos ? "s " : " ") +
              (names.empty () ? err->message : names) +
              ". Install the plugin package that provides it (gst-inspect-1.0 NAME checks), "
              "or set GST_PLUGIN_PATH for GhostView's own elements.";
    } else {
      text += "the pipeline description is broken: " + std::string (err->message);
    }
    print_error (text);
    g_error_free (err);
    if (pipeline)
      gst_object_unref (pipeline);
    pipeline = nullptr;
  }
  gst_parse_context_free (ctx);
  return pipeline;
}

} // namespace gv::launcher
