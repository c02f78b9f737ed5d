/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a host lets a viewer do: the one definition of the capability bits,
 * shared by the wire protocol (protocol.h: each bit's JSON name) and the
 * GStreamer elements (the GvCapabilities flags type, whose nicks are these
 * same names). The table below is checked at compile time, so a bit cannot
 * be added to one side only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  GV_CAPABILITY_VIEW = 1 << 0,      /* watch the stream (every admitted viewer) */
  GV_CAPABILITY_CONTROL = 1 << 1,   /* mouse, keyboard and touch input */
  GV_CAPABILITY_CLIPBOARD = 1 << 2, /* clipboard both ways (the "assist" channel) */
  GV_CAPABILITY_FILE = 1 << 3,      /* send files to the host (the "file" channel) */
  GV_CAPABILITY_CHAT = 1 << 4,      /* send and receive chat on the "assist" channel */
  GV_CAPABILITY_SOURCE = 1 << 5,    /* list the host's displays and windows, switch between them */
} GvCapabilities;

G_END_DECLS

#ifdef __cplusplus

namespace gv {

struct CapabilityInfo {
  GvCapabilities bit;
  const char *name;        /* on the wire, and the GFlags nick */
  const char *description; /* the GFlags value name */
};

/* In bit order: entry i is bit 1 << i. */
inline constexpr CapabilityInfo kCapabilities[] = {
  { GV_CAPABILITY_VIEW, "view", "Watch the stream" },
  { GV_CAPABILITY_CONTROL, "control", "Mouse, keyboard and touch input" },
  { GV_CAPABILITY_CLIPBOARD, "clipboard", "Share the clipboard with the host" },
  { GV_CAPABILITY_FILE, "file", "Send files to the host" },
  { GV_CAPABILITY_CHAT, "chat", "Chat with the host and the other viewers" },
  { GV_CAPABILITY_SOURCE, "source", "Choose what the host shares" },
};

inline constexpr guint kCapabilityCount = G_N_ELEMENTS (kCapabilities);
inline constexpr guint kAllCapabilities = (1u << kCapabilityCount) - 1;

namespace detail {
constexpr bool capability_bits_in_order ()
{
  for (guint i = 0; i < kCapabilityCount; i++)
    if ((guint) kCapabilities[i].bit != 1u << i)
      return false;
  return true;
}
} // namespace detail

static_assert (detail::capability_bits_in_order (),
               "kCapabilities must list every GvCapabilities bit once, in bit order");
static_assert (kAllCapabilities ==
                   (GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL | GV_CAPABILITY_CLIPBOARD |
                    GV_CAPABILITY_FILE | GV_CAPABILITY_CHAT | GV_CAPABILITY_SOURCE),
               "a GvCapabilities bit is missing from kCapabilities");

} // namespace gv

#endif
