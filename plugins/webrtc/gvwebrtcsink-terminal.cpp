/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's shared terminal (gvterminal.h): with `terminal=true` the
 * sink runs `terminal-command` (default: the user's shell) in a
 * pseudo-terminal while it is PAUSED or PLAYING, and every viewer gets a
 * "terminal" channel to it (gvterminalchannel.h, gvterminaljson.h). When
 * the program ends the sink posts a `gvwebrtcsink-terminal` element
 * message (`status`, `message`); viewers are told the same.
 */
#include "gvwebrtcsink-private.h"

#include "gvterminaljson.h"

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::Terminal;

void gv_webrtc_sink_install_terminal_properties (GObjectClass *klass, guint prop_terminal,
                                                 guint prop_command)
{
  const auto flags =
      (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (
      klass, prop_terminal,
      g_param_spec_boolean ("terminal", "Terminal",
                            "Share a terminal: run terminal-command in a pseudo-terminal and "
                            "stream it to every viewer on a \"terminal\" data channel (typing "
                            "needs the control capability). Without a video pad the session "
                            "is the terminal alone",
                            FALSE, flags));
  g_object_class_install_property (
      klass, prop_command,
      g_param_spec_string ("terminal-command", "Terminal command",
                           "The shared terminal's program, run with /bin/sh -c (default: the "
                           "user's $SHELL, else /bin/sh)",
                           nullptr, flags));
}

void gv_webrtc_sink_set_terminal_property (GvWebRTCSink *self, bool command, const GValue *value)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  if (command)
    self->priv->terminal_command = g_value_get_string (value) ? g_value_get_string (value) : "";
  else
    self->priv->terminal_enabled = g_value_get_boolean (value);
}

void gv_webrtc_sink_get_terminal_property (GvWebRTCSink *self, bool command, GValue *value)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  if (command)
    g_value_set_string (value, self->priv->terminal_command.empty ()
                                   ? nullptr
                                   : self->priv->terminal_command.c_str ());
  else
    g_value_set_boolean (value, self->priv->terminal_enabled);
}

bool gv_webrtc_sink_start_terminal (GvWebRTCSink *self)
{
  std::string command;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (!self->priv->terminal_enabled || self->priv->terminal)
      return true;
    command = self->priv->terminal_command;
  }
  auto terminal = std::make_shared<Terminal> (command, GST_OBJECT (self));
  GError *error = nullptr;
  if (!terminal->start (&error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
                       ("Could not start the shared terminal: %s", error->message), (nullptr));
    g_error_free (error);
    return false;
  }
  /* The program's end, on the bus (the terminal's thread; nothing waits). */
  terminal->subscribe ([self] (const Terminal::Event &event) {
    if (event.type != Terminal::Event::Type::Exit)
      return;
    GstStructure *s = gst_structure_new (
        "gvwebrtcsink-terminal", "status", G_TYPE_INT, event.status, "message", G_TYPE_STRING,
        gv::terminal::exit_sentence (event.status).c_str (), nullptr);
    gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  });
  std::lock_guard<std::mutex> guard (self->priv->lock);
  self->priv->terminal = std::move (terminal);
  return true;
}

void gv_webrtc_sink_stop_terminal (GvWebRTCSink *self)
{
  std::shared_ptr<Terminal> terminal;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    terminal.swap (self->priv->terminal);
  }
  if (terminal)
    terminal->stop ();
}

std::shared_ptr<Terminal> gv_webrtc_sink_terminal (GvWebRTCSink *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->terminal;
}
