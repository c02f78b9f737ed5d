/* GhostView — key name and keysym tables, see gvkeymap.h. */
#include "gvkeymap.h"

#ifdef __linux__
#include <linux/input-event-codes.h>
#endif
#include <string.h>

#ifdef GV_HAVE_XTEST
#include <X11/Xlib.h>
#endif

namespace {
struct NamedKeysym {
  const char *name;
  guint32 keysym;
};

/* DOM KeyboardEvent.key values and the X keysym names we need without Xlib. */
const NamedKeysym named_keysyms[] = {
  { "Enter", 0xff0d },       { "Return", 0xff0d },      { "Backspace", 0xff08 },
  { "BackSpace", 0xff08 },   { "Tab", 0xff09 },         { "Escape", 0xff1b },
  { "Esc", 0xff1b },         { "Delete", 0xffff },      { "Insert", 0xff63 },
  { "Home", 0xff50 },        { "End", 0xff57 },         { "PageUp", 0xff55 },
  { "Prior", 0xff55 },       { "Page_Up", 0xff55 },     { "PageDown", 0xff56 },
  { "Next", 0xff56 },        { "Page_Down", 0xff56 },   { "ArrowLeft", 0xff51 },
  { "Left", 0xff51 },        { "ArrowUp", 0xff52 },     { "Up", 0xff52 },
  { "ArrowRight", 0xff53 },  { "Right", 0xff53 },       { "ArrowDown", 0xff54 },
  { "Down", 0xff54 },        { "Shift", 0xffe1 },       { "Shift_L", 0xffe1 },
  { "Shift_R", 0xffe2 },     { "Control", 0xffe3 },     { "Control_L", 0xffe3 },
  { "Control_R", 0xffe4 },   { "Alt", 0xffe9 },         { "Alt_L", 0xffe9 },
  { "Alt_R", 0xffea },       { "AltGraph", 0xfe03 },    { "ISO_Level3_Shift", 0xfe03 },
  { "Meta", 0xffeb },        { "OS", 0xffeb },          { "Super", 0xffeb },
  { "Super_L", 0xffeb },     { "Super_R", 0xffec },     { "Meta_L", 0xffe7 },
  { "Meta_R", 0xffe8 },      { "CapsLock", 0xffe5 },    { "Caps_Lock", 0xffe5 },
  { "NumLock", 0xff7f },     { "Num_Lock", 0xff7f },    { "ScrollLock", 0xff14 },
  { "Scroll_Lock", 0xff14 }, { "Pause", 0xff13 },       { "PrintScreen", 0xff61 },
  { "Print", 0xff61 },       { "ContextMenu", 0xff67 }, { "Menu", 0xff67 },
  { "Spacebar", 0x20 },      { "space", 0x20 },         { "KP_Enter", 0xff8d },
};

#ifdef __linux__
struct EvdevKey {
  guint32 keysym;
  guint code;
  gboolean shift;
};

/* US layout for printable ASCII and the keys above. */
const EvdevKey evdev_keys[] = {
  { ' ', KEY_SPACE, FALSE },
  { '!', KEY_1, TRUE },
  { '"', KEY_APOSTROPHE, TRUE },
  { '#', KEY_3, TRUE },
  { '$', KEY_4, TRUE },
  { '%', KEY_5, TRUE },
  { '&', KEY_7, TRUE },
  { '\'', KEY_APOSTROPHE, FALSE },
  { '(', KEY_9, TRUE },
  { ')', KEY_0, TRUE },
  { '*', KEY_8, TRUE },
  { '+', KEY_EQUAL, TRUE },
  { ',', KEY_COMMA, FALSE },
  { '-', KEY_MINUS, FALSE },
  { '.', KEY_DOT, FALSE },
  { '/', KEY_SLASH, FALSE },
  { ':', KEY_SEMICOLON, TRUE },
  { ';', KEY_SEMICOLON, FALSE },
  { '<', KEY_COMMA, TRUE },
  { '=', KEY_EQUAL, FALSE },
  { '>', KEY_DOT, TRUE },
  { '?', KEY_SLASH, TRUE },
  { '@', KEY_2, TRUE },
  { '[', KEY_LEFTBRACE, FALSE },
  { '\\', KEY_BACKSLASH, FALSE },
  { ']', KEY_RIGHTBRACE, FALSE },
  { '^', KEY_6, TRUE },
  { '_', KEY_MINUS, TRUE },
  { '`', KEY_GRAVE, FALSE },
  { '{', KEY_LEFTBRACE, TRUE },
  { '|', KEY_BACKSLASH, TRUE },
  { '}', KEY_RIGHTBRACE, TRUE },
  { '~', KEY_GRAVE, TRUE },
  { 0xff0d, KEY_ENTER, FALSE },
  { 0xff08, KEY_BACKSPACE, FALSE },
  { 0xff09, KEY_TAB, FALSE },
  { 0xff1b, KEY_ESC, FALSE },
  { 0xffff, KEY_DELETE, FALSE },
  { 0xff63, KEY_INSERT, FALSE },
  { 0xff50, KEY_HOME, FALSE },
  { 0xff57, KEY_END, FALSE },
  { 0xff55, KEY_PAGEUP, FALSE },
  { 0xff56, KEY_PAGEDOWN, FALSE },
  { 0xff51, KEY_LEFT, FALSE },
  { 0xff52, KEY_UP, FALSE },
  { 0xff53, KEY_RIGHT, FALSE },
  { 0xff54, KEY_DOWN, FALSE },
  { 0xffe1, KEY_LEFTSHIFT, FALSE },
  { 0xffe2, KEY_RIGHTSHIFT, FALSE },
  { 0xffe3, KEY_LEFTCTRL, FALSE },
  { 0xffe4, KEY_RIGHTCTRL, FALSE },
  { 0xffe9, KEY_LEFTALT, FALSE },
  { 0xffea, KEY_RIGHTALT, FALSE },
  { 0xfe03, KEY_RIGHTALT, FALSE },
  { 0xffeb, KEY_LEFTMETA, FALSE },
  { 0xffec, KEY_RIGHTMETA, FALSE },
  { 0xffe7, KEY_LEFTMETA, FALSE },
  { 0xffe8, KEY_RIGHTMETA, FALSE },
  { 0xffe5, KEY_CAPSLOCK, FALSE },
  { 0xff7f, KEY_NUMLOCK, FALSE },
  { 0xff14, KEY_SCROLLLOCK, FALSE },
  { 0xff13, KEY_PAUSE, FALSE },
  { 0xff61, KEY_SYSRQ, FALSE },
  { 0xff67, KEY_COMPOSE, FALSE },
  { 0xff8d, KEY_KPENTER, FALSE },
};

const guint letter_codes[26] = {
  KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
  KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
};
const guint digit_codes[10] = {
  KEY_0, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9,
};
const guint function_codes[12] = {
  KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8, KEY_F9, KEY_F10, KEY_F11, KEY_F12,
};

#endif /* __linux__ */

guint32 keysym_from_codepoint (gunichar c)
{
  if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff))
    return c;
  if (c == '\n' || c == '\r')
    return 0xff0d;
  if (c == '\t')
    return 0xff09;
  if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c > 0x10ffff)
    return 0;
  return 0x01000000 | c;
}
} // namespace

guint32 gv_keysym_from_name (const gchar *name)
{
  if (!name || !*name || !g_utf8_validate (name, -1, nullptr))
    return 0;
  /* one character */
  const gchar *next = g_utf8_next_char (name);
  if (*next == '\0')
    return keysym_from_codepoint (g_utf8_get_char (name));
  for (const NamedKeysym &k : named_keysyms)
    if (g_str_equal (k.name, name))
      return k.keysym;
  if (name[0] == 'F' && g_ascii_isdigit (name[1])) {
    guint64 n = g_ascii_strtoull (name + 1, nullptr, 10);
    if (n >= 1 && n <= 35)
      return 0xffbe + (guint32) (n - 1);
  }
  if ((name[0] == 'U' && name[1] == '+') || (name[0] == '0' && name[1] == 'x')) {
    gchar *end = nullptr;
    guint64 v = g_ascii_strtoull (name + 2, &end, 16);
    if (end && *end == '\0' && v > 0 && v <= 0x10ffff)
      return name[0] == 'U' ? keysym_from_codepoint ((gunichar) v) : (guint32) v;
    return 0;
  }
#ifdef GV_HAVE_XTEST
  KeySym ks = XStringToKeysym (name);
  if (ks != NoSymbol)
    return (guint32) ks;
#endif
  return 0;
}

gboolean gv_keysym_to_evdev (guint32 keysym, guint *code, gboolean *shift)
{
  *shift = FALSE;
#ifndef __linux__
  (void) keysym;
  (void) code;
  return FALSE;
#else
  if (keysym >= 'a' && keysym <= 'z') {
    *code = letter_codes[keysym - 'a'];
    return TRUE;
  }
  if (keysym >= 'A' && keysym <= 'Z') {
    *code = letter_codes[keysym - 'A'];
    *shift = TRUE;
    return TRUE;
  }
  if (keysym >= '0' && keysym <= '9') {
    *code = digit_codes[keysym - '0'];
    return TRUE;
  }
  if (keysym >= 0xffbe && keysym < 0xffbe + 12) {
    *code = function_codes[keysym - 0xffbe];
    return TRUE;
  }
  for (const EvdevKey &k : evdev_keys) {
    if (k.keysym == keysym) {
      *code = k.code;
      *shift = k.shift;
      return TRUE;
    }
  }
  return FALSE;
#endif
}

gboolean gv_keysym_is_modifier (guint32 keysym)
{
  return (keysym >= 0xffe1 && keysym <= 0xffee) || keysym == 0xfe03;
}
