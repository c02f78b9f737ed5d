/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The file-transfer data channel's messages: the one definition of that
 * protocol (web/js/filetransfer.js mirrors it; tests/protocol holds the two
 * together). One ordered, reliable channel labelled "file" per viewer,
 * opened by the host, used both ways: a host offers a file to a viewer as a
 * viewer offers one to the host. Text messages are JSON control, binary
 * messages carry the bytes:
 *
 *   sender -> receiver  {"t":"offer","id":ID,"name":NAME,"size":N,"sha256":HEX}
 *   receiver -> sender  {"t":"accept","id":ID,"offset":N}      (N > 0: resume)
 *                       {"t":"reject","id":ID,"code":CODE,"message":TEXT}
 *                       {"t":"progress","id":ID,"received":N}  (about every MiB)
 *                       {"t":"done","id":ID,"name":SAVED_AS}
 *   either way          {"t":"failed","id":ID,"code":CODE,"message":TEXT}
 *                       {"t":"cancel","id":ID}
 *   sender -> receiver  binary: 8-byte big-endian offset, then up to
 *                       kMaxChunkBytes of the file from that offset
 *
 * ID: 16 to 64 lowercase hex characters the sender draws (the same ID again
 * after a reconnection resumes the transfer); HEX: the file's SHA-256, 64
 * lowercase hex; NAME: what the sender calls it (the receiver sanitises it:
 * gvincomingfile.h); CODE: one of kCodes. One transfer at a time each way
 * on a channel: chunks belong to the last accepted offer.
 */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace gv::files {

inline constexpr const char *kChannelLabel = "file";
/* A control message, in bytes of JSON text. */
inline constexpr gsize kMaxControlBytes = 4096;
/* A binary message: the offset, then at most this much of the file. */
inline constexpr gsize kChunkHeaderBytes = 8;
inline constexpr gsize kMaxChunkBytes = 60 * 1024;
/* An offered name before sanitising; a refusal's words. */
inline constexpr gsize kMaxNameBytes = 1024;
inline constexpr gsize kMaxTextBytes = 256;
/* Sizes and offsets stay exact in a JavaScript number. */
inline constexpr guint64 kMaxFileBytes = (G_GUINT64_CONSTANT (1) << 53) - 1;

enum class Kind { Offer, Accept, Reject, Progress, Done, Failed, Cancel };

/* Why a transfer did not happen, or stopped. */
inline constexpr const char *kCodeTooLarge = "TOO_LARGE";     /* over a size limit */
inline constexpr const char *kCodeNotAllowed = "NOT_ALLOWED"; /* no `file` capability */
inline constexpr const char *kCodeDiskFull = "DISK_FULL";
inline constexpr const char *kCodeDamaged = "DAMAGED"; /* the SHA-256 did not match */
inline constexpr const char *kCodeCancelled = "CANCELLED";
inline constexpr const char *kCodeBusy = "BUSY"; /* a transfer is already under way */
inline constexpr const char *kCodeBadMessage = "BAD_MESSAGE";
inline constexpr const char *kCodeFailed = "FAILED"; /* anything else (the message says what) */
inline constexpr const char *kCodes[] = { kCodeTooLarge,   kCodeNotAllowed, kCodeDiskFull,
                                          kCodeDamaged,    kCodeCancelled,  kCodeBusy,
                                          kCodeBadMessage, kCodeFailed };

struct Message {
  Kind kind = Kind::Cancel;
  std::string id;
  std::string name;     /* offer: the sender's; done: what it was saved as */
  std::string sha256;   /* offer */
  std::string code;     /* reject, failed */
  std::string text;     /* reject, failed: "message" */
  guint64 size = 0;     /* offer */
  guint64 offset = 0;   /* accept */
  guint64 received = 0; /* progress */
};

const char *kind_name (Kind kind);
/* Every kind's name, in enum order (for tools and tests). */
std::vector<const char *> kind_names ();

/* A control message: false (with `why`) for anything not of a known kind
 * with every field it needs, in range. Never aborts on any input. */
bool parse (const char *data, gsize length, Message &out, std::string &why);
std::string build (const Message &msg);

/* A binary chunk: its offset and bytes (pointing into `data`); false for
 * one too short or too long. */
bool parse_chunk (const guint8 *data, gsize length, guint64 &offset, const guint8 *&bytes,
                  gsize &count);
std::vector<guint8> make_chunk (guint64 offset, const guint8 *bytes, gsize count);

bool is_transfer_id (const std::string &id);
bool is_sha256_hex (const std::string &hex);

} // namespace gv::files
