/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A file-transfer data channel ("file", gvfilejson.h) between the host and
 * one viewer, on either side: a FileEndpoint (gvfiletransfer.h) fed by the
 * channel's messages, sending through it, pumped when it drains
 * ("on-buffered-amount-low"). One lock orders everything the endpoint
 * does: messages arrive on the SCTP thread, offers come from the
 * application's. Used by gvwebrtcsink (a channel per viewer) and
 * gvwebrtcsrc (the host's channel).
 */
#pragma once

#include "gvfiletransfer.h"

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace gv::webrtc {

class FileChannel : public std::enable_shared_from_this<FileChannel> {
public:
  struct Callbacks {
    /* Whether the other end may send files here now. */
    std::function<bool ()> may_receive;
    /* Under the channel's lock: post, don't wait. */
    std::function<void (const FileEvent &event)> event;
    /* Under the channel's lock: FileEndpoint::Callbacks::allowance (when
     * it returns 0 the owner calls pump () later) and ::arrived. Unset: no
     * limit. */
    std::function<gsize (gsize want, guint64 in_flight)> allowance;
    std::function<void (guint64 arrived)> arrived;
  };

  FileChannel (std::string download_dir, FileLimits limits, GstObject *log_object,
               Callbacks callbacks);
  ~FileChannel ();

  /* Takes `channel` (a GstWebRTCDataChannel labelled "file"); one per
   * FileChannel, a second is ignored. */
  void attach (GObject *channel);
  /* Offers the file at `path` to the other end (FileEndpoint::offer). */
  bool offer (const std::string &path, GError **error);
  /* Sends what may go now of the file going out (after an allowance of 0). */
  void pump ();
  /* No message is handled or sent once this returns; a partial incoming
   * file stays for a resume. */
  void close ();
  guint64 refused () const;

private:
  static void on_string (GObject *channel, const gchar *text, gpointer self);
  static void on_data (GObject *channel, GBytes *data, gpointer self);
  static void on_low (GObject *channel, gpointer self);
  gpointer hold ();
  static void release (gpointer data, GClosure *);

  GstObject *const log_object_;
  mutable std::recursive_mutex lock_;
  GObject *channel_ = nullptr; /* owned, under lock_ */
  std::unique_ptr<FileEndpoint> endpoint_;
  bool closed_ = false;
};

} // namespace gv::webrtc
