/* Runs one pipeline to its end: bus messages, Ctrl-C/SIGTERM (EOS with a
 * bounded wait, so files are finalized; a second signal quits at once), and
 * the launcher's exit codes. */
#pragma once

#include "disk_space_watch.h"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gv::launcher {

class PipelineRun {
public:
  /* Takes the (floating or owned) reference to `pipeline`. */
  PipelineRun (GstElement *pipeline, int eos_timeout_s);
  ~PipelineRun ();
  PipelineRun (const PipelineRun &) = delete;
  PipelineRun &operator= (const PipelineRun &) = delete;

  GstElement *pipeline () const { return pipeline_; }

  /* Element messages, on the main thread. */
  std::function<void (GstMessage *)> on_element_message;
  /* Once the pipeline is PLAYING. */
  std::function<void ()> on_playing;

  /* Plays the pipeline and runs the main loop until EOS, an error or a
   * signal; returns the exit code. */
  int run ();

private:
  static gboolean bus_cb (GstBus *bus, GstMessage *msg, gpointer self);
  static gboolean sigint_cb (gpointer self);
  static gboolean sigterm_cb (gpointer self);
  void stop ();
  static gboolean eos_timeout_cb (gpointer self);
  static gboolean prune_cb (gpointer self);
  static GstPadProbeReturn file_eos_probe (GstPad *, GstPadProbeInfo *, gpointer self);
  void handle_error (GstMessage *msg);
  void handle_warning (GstMessage *msg);
  bool data_has_flowed () const;
  bool has_sink () const;
  void finish_files (int code);
  void on_low_space (const std::string &location, guint64 free_bytes);
  void finish (int code);
  void report_outputs ();
  void watch_outputs ();

  GstElement *pipeline_ = nullptr;
  GMainLoop *loop_ = nullptr;
  int eos_timeout_s_;
  int exit_code_ = 0;
  bool stop_asked_ = false;
  bool finishing_files_ = false;
  int finished_code_ = 0;          /* the exit code once the files are finished */
  int files_ = 0, files_done_ = 0; /* file sinks, and those that got EOS */
  bool playing_ = false;
  std::atomic<bool> media_flowing_{ false };
  /* A source has all its pads: take out what nothing feeds (prune_cb). */
  std::atomic<bool> prune_due_{ false };
  std::atomic<guint> prune_idle_{ 0 };
  std::vector<std::string> file_locations_;
  std::unique_ptr<DiskSpaceWatch> disk_space_watch_;
  guint bus_watch_ = 0, sigint_ = 0, sigterm_ = 0, eos_timer_ = 0;
};

/* Builds `description` with gst_parse_launch_full (fatal errors). On
 * failure prints a message naming `what` (the preset) and the missing or
 * broken element and returns nullptr. */
GstElement *build_pipeline (const std::string &what, const std::string &description);

} // namespace gv::launcher
