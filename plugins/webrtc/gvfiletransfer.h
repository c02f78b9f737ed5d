/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One end of a file-transfer channel (gvfilejson.h): it receives the files
 * the other end offers (into a download folder, gvincomingfile.h) and sends
 * the files its owner offers, one at a time each way, with backpressure:
 * chunks go out while the channel's buffered amount is under kHighWater,
 * and pump () goes on when it has drained (the data channel's
 * "on-buffered-amount-low"). Cancel from either end; progress both ways;
 * the SHA-256 checked end to end; a transfer cut by a reconnection resumes
 * when the same file is offered again with the same id.
 *
 * No data channel in here: the owner (gvwebrtcsink's viewer, gvwebrtcsrc)
 * passes messages in and gets them out through Callbacks, all on one
 * thread, so it is tested on its own (tests/check/webrtc).
 */
#pragma once

#include "gvfilejson.h"
#include "gvincomingfile.h"

#include <glib.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gv::webrtc {

struct FileLimits {
  guint64 max_file_bytes = G_GUINT64_CONSTANT (1) << 30;    /* 1 GiB a file */
  guint64 max_session_bytes = G_GUINT64_CONSTANT (4) << 30; /* 4 GiB a connection, each way */
};

/* What happened to a transfer, for the owner's messages and UI. */
struct FileEvent {
  enum class Direction { Incoming, Outgoing } direction = Direction::Incoming;
  enum class State { Offered, Accepted, Progress, Done, Failed } state = State::Offered;
  std::string id;
  std::string name; /* as offered; Done: as saved (incoming: the path) */
  guint64 size = 0;
  guint64 bytes = 0; /* so far */
  std::string code;  /* Failed: a gv::files code */
  std::string message;
};

class FileEndpoint {
public:
  /* Chunks wait while the channel holds more than this. */
  static constexpr guint64 kHighWater = 1024 * 1024;
  /* A receiver tells the sender what arrived about this often (what lets
   * a sender pace itself, gvfilepace.h), and its owner about every
   * kProgressEvery; a sender tells its owner about every kProgressEvery. */
  static constexpr guint64 kAckEvery = 32 * 1024;
  /* ... or, when something arrived since, this often (a slow link). */
  static constexpr gint64 kAckEveryUs = 50 * 1000;
  static constexpr guint64 kProgressEvery = 1024 * 1024;

  struct Callbacks {
    std::function<void (const std::string &text)> send_text;
    std::function<void (const std::vector<guint8> &bytes)> send_binary;
    /* Bytes the channel holds, not yet sent. */
    std::function<guint64 ()> buffered_amount;
    /* How many of `want` bytes may go now, with `in_flight` sent and not
     * yet reported arrived (a rate limit, gvfilepace.h); 0 stops the pump
     * until the owner calls pump () again. Unset: all. */
    std::function<gsize (gsize want, guint64 in_flight)> allowance;
    /* The receiver reported `arrived` bytes of the file going out. */
    std::function<void (guint64 arrived)> arrived;
    /* Whether the other end may send files here now (the host: the viewer
     * has the `file` capability; a viewer: always). */
    std::function<bool ()> may_receive;
    std::function<void (const FileEvent &event)> event;
  };

  /* Incoming files land in `download_dir` (made if missing). */
  FileEndpoint (std::string download_dir, FileLimits limits, Callbacks callbacks);
  ~FileEndpoint ();
  FileEndpoint (const FileEndpoint &) = delete;
  FileEndpoint &operator= (const FileEndpoint &) = delete;

  /* A message from the other end. */
  void on_text (const char *data, gsize length);
  void on_binary (const guint8 *data, gsize length);

  /* Offers the file at `path` (its SHA-256 read first); `id` empty: a new
   * one, else that transfer's (to resume it). False with `error` when the
   * file cannot be read, is over the limit, or a transfer is under way. */
  bool offer (const std::string &path, const std::string &id, GError **error);
  /* Sends what backpressure allows; call when the channel drained. */
  void pump ();
  /* Cancels whatever goes either way (the owner is going, or was asked). */
  void cancel_all (const std::string &why);

  bool sending () const { return out_ != nullptr; }
  bool receiving () const { return in_ != nullptr; }
  /* Refused for lack of the capability, for the owner's stats. */
  guint64 refused () const { return refused_; }

private:
  struct Outgoing;

  void receive_offer (const files::Message &m);
  void receive_chunk (guint64 offset, const guint8 *bytes, gsize count);
  void finish_incoming ();
  void fail_incoming (const char *code, const std::string &message, bool tell_sender);
  void fail_outgoing (const char *code, const std::string &message, bool tell_receiver);
  void send_control (const files::Message &m);
  void emit (FileEvent::Direction direction, FileEvent::State state, const std::string &id,
             const std::string &name, guint64 size, guint64 bytes, const std::string &code = "",
             const std::string &message = "");

  std::string dir_;
  FileLimits limits_;
  Callbacks cb_;
  guint64 received_total_ = 0, sent_total_ = 0, refused_ = 0;

  /* Incoming: the transfer under way. */
  std::string in_id_;
  std::unique_ptr<IncomingFile> in_;
  guint64 in_reported_ = 0, in_acked_ = 0;
  gint64 in_acked_us_ = 0;

  /* Outgoing: the transfer under way. */
  std::unique_ptr<Outgoing> out_;
};

} // namespace gv::webrtc
