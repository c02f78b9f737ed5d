/* GhostView — key names to keysyms, and keysyms to Linux input key codes.
 *
 * Accepted key names (the `key` of a GstNavigation key event):
 *  - one UTF-8 character ("a", "A", "!", "é", "☺") -> its keysym
 *    (Latin-1 directly, anything else 0x01000000 + code point);
 *  - DOM KeyboardEvent.key names ("Enter", "ArrowLeft", "Shift", "F5", ...);
 *  - X keysym names ("Return", "Left", "Shift_L", "KP_Enter", ...);
 *  - "U+263A" or "0x263a" style numbers.
 */
#pragma once

#include <glib.h>

/* 0 when the name is unknown. */
guint32 gv_keysym_from_name (const gchar *name);

/* US layout: Linux KEY_* code for @keysym and whether Shift is needed;
 * false when there is none. */
gboolean gv_keysym_to_evdev (guint32 keysym, guint *code, gboolean *shift);

/* True for Shift/Control/Alt/Super/Meta keysyms. */
gboolean gv_keysym_is_modifier (guint32 keysym);
