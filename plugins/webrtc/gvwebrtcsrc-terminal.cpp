/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsrc's side of the host's shared terminal ("terminal",
 * gvterminaljson.h): with `terminal-location` set, the terminal is
 * recorded there as an asciicast v2 file (gvasciicast.h). The receiver
 * never types into it. When the host's program ends the element posts a
 * `gvwebrtcsrc-terminal` element message (`status`, `message`).
 */
#include "gvwebrtcsrc-private.h"

#include "gvasciicast.h"
#include "gvterminaljson.h"

#include <json-glib/json-glib.h>

#define GST_CAT_DEFAULT gv_webrtc_src_debug

using gv::webrtc::AsciicastWriter;

namespace {

struct TerminalTap {
  GvWebRTCSrc *self; /* not a reference: the channel goes before the element */
  std::shared_ptr<AsciicastWriter> writer;
};

void on_output (GObject *, GBytes *data, gpointer user)
{
  auto *tap = static_cast<TerminalTap *> (user);
  gsize length = 0;
  const char *bytes = data ? (const char *) g_bytes_get_data (data, &length) : nullptr;
  if (bytes && length && tap->writer)
    tap->writer->output (bytes, length);
}

void on_text (GObject *, const gchar *text, gpointer user)
{
  auto *tap = static_cast<TerminalTap *> (user);
  if (!text || strlen (text) > gv::terminal::kMaxViewerMessageBytes)
    return;
  JsonParser *parser = json_parser_new ();
  if (json_parser_load_from_data (parser, text, -1, nullptr) && json_parser_get_root (parser) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    JsonObject *obj = json_node_get_object (json_parser_get_root (parser));
    const char *kind = json_object_get_string_member_with_default (obj, "t", "");
    gint64 cols = json_object_get_int_member_with_default (obj, "cols", 0);
    gint64 rows = json_object_get_int_member_with_default (obj, "rows", 0);
    if (g_str_equal (kind, gv::terminal::kSizeKind) && cols >= gv::terminal::kMinCols &&
        cols <= gv::terminal::kMaxCols && rows >= gv::terminal::kMinRows &&
        rows <= gv::terminal::kMaxRows) {
      if (tap->writer)
        tap->writer->size ((gint) cols, (gint) rows);
    } else if (g_str_equal (kind, gv::terminal::kExitKind)) {
      gint status =
          (gint) CLAMP (json_object_get_int_member_with_default (obj, "status", 0), 0, 255 + 128);
      if (tap->writer)
        tap->writer->exit (status);
      GST_INFO_OBJECT (tap->self, "the host's terminal program ended, status %d", status);
      GstStructure *s =
          gst_structure_new ("gvwebrtcsrc-terminal", "status", G_TYPE_INT, status, "message",
                             G_TYPE_STRING, gv::terminal::exit_sentence (status).c_str (), nullptr);
      gst_element_post_message (GST_ELEMENT (tap->self),
                                gst_message_new_element (GST_OBJECT (tap->self), s));
    }
  }
  g_object_unref (parser);
}

} // namespace

bool gv_webrtc_src_attach_terminal (GvWebRTCSrc *self, GObject *channel)
{
  gchar *label = nullptr;
  g_object_get (channel, "label", &label, nullptr);
  bool ours = label && g_str_equal (label, gv::terminal::kChannelLabel);
  g_free (label);
  if (!ours)
    return false;
  std::string location;
  std::shared_ptr<AsciicastWriter> writer;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    location = self->priv->terminal_location;
    if (location.empty () || self->priv->asciicast)
      return true; /* not recorded, or recorded already: a second is ignored */
    writer = std::make_shared<AsciicastWriter> ();
    self->priv->asciicast = writer;
  }
  GError *error = nullptr;
  if (!writer->open (location, &error)) {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
                         ("Could not record the host's terminal: %s", error->message), (nullptr));
    g_error_free (error);
    return true;
  }
  GST_INFO_OBJECT (self, "recording the host's terminal to %s", location.c_str ());
  auto make_tap = [self, writer] () { return new TerminalTap{ self, writer }; };
  auto free_tap = [] (gpointer data, GClosure *) { delete static_cast<TerminalTap *> (data); };
  g_signal_connect_data (channel, "on-message-data", G_CALLBACK (on_output), make_tap (), free_tap,
                         (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-message-string", G_CALLBACK (on_text), make_tap (), free_tap,
                         (GConnectFlags) 0);
  return true;
}

void gv_webrtc_src_close_terminal (GvWebRTCSrc *self)
{
  std::shared_ptr<AsciicastWriter> writer;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    writer.swap (self->priv->asciicast);
  }
  if (writer)
    writer->close ();
}

void gv_webrtc_src_install_terminal_property (GObjectClass *klass, guint prop_id)
{
  g_object_class_install_property (
      klass, prop_id,
      g_param_spec_string (
          "terminal-location", "Terminal recording",
          "Record the host's shared terminal (gvwebrtcsink terminal=true) to "
          "this file, as asciicast v2 (asciinema play FILE); unset: not "
          "recorded",
          nullptr,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
}
