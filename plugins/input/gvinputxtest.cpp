/* GhostView — the `xtest` input backend (X11 XTest).
 *
 * Keysyms become keycodes through the server's keyboard map, pressing Shift
 * around keys that sit on the shifted level. A keysym with no keycode (or
 * only on a level we cannot reach with Shift) is put on a spare keycode — one
 * with no keysym at all — for as long as the backend runs: restoring it right
 * after the key event would race the client, which translates the keycode
 * later. Borrowed keycodes are given back in reset(), when the element stops.
 */
#include "gvinputbackend.h"
#include "gvx11errors.h"

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include <map>
#include <vector>

namespace {
struct Borrowed {
  KeyCode code;
  KeySym keysym = NoSymbol;
  guint64 last_use = 0;
};

struct HeldKey {
  KeyCode code;
  bool added_shift;
};

class XTestBackend : public GvInputBackend {
public:
  ~XTestBackend () override
  {
    if (dpy_) {
      reset ();
      XCloseDisplay (dpy_);
    }
  }

  bool open (const char *display, std::string *error)
  {
    gv_x11_install_error_handler ();
    dpy_ = XOpenDisplay (display && *display ? display : nullptr);
    if (!dpy_) {
      *error = std::string ("cannot open X display ") + (display ? display : "$DISPLAY");
      return false;
    }
    int ev, err, major, minor;
    if (!XTestQueryExtension (dpy_, &ev, &err, &major, &minor)) {
      *error = "the X server has no XTEST extension";
      return false;
    }
    XDisplayKeycodes (dpy_, &min_keycode_, &max_keycode_);
    find_spare_keycodes ();
    shift_code_ = XKeysymToKeycode (dpy_, XK_Shift_L);
    return true;
  }

  bool inject (const GvInputEvent &ev) override
  {
    GvX11ErrorTrap trap (dpy_);
    bool ok = true;
    switch (ev.type) {
    case GvInputEventType::MOTION:
      XTestFakeMotionEvent (dpy_, DefaultScreen (dpy_), ev.x, ev.y, CurrentTime);
      break;
    case GvInputEventType::BUTTON_PRESS:
    case GvInputEventType::BUTTON_RELEASE:
      XTestFakeButtonEvent (dpy_, ev.button, ev.type == GvInputEventType::BUTTON_PRESS,
                            CurrentTime);
      break;
    case GvInputEventType::SCROLL:
      scroll (ev.delta_y, 4, 5);
      scroll (ev.delta_x, 7, 6);
      break;
    case GvInputEventType::KEY_PRESS:
      ok = key_press (ev.keysym);
      break;
    case GvInputEventType::KEY_RELEASE:
      key_release (ev.keysym);
      break;
    }
    return ok && trap.sync () == 0;
  }

  void reset () override
  {
    GvX11ErrorTrap trap (dpy_);
    for (auto &held : held_)
      XTestFakeKeyEvent (dpy_, held.second.code, False, CurrentTime);
    held_.clear ();
    for (Borrowed &b : borrowed_) {
      if (b.keysym != NoSymbol) {
        KeySym none[2] = { NoSymbol, NoSymbol };
        XChangeKeyboardMapping (dpy_, b.code, 2, none, 1);
        b.keysym = NoSymbol;
      }
    }
  }

private:
  void scroll (double delta, unsigned int positive_button, unsigned int negative_button)
  {
    if (delta == 0)
      return;
    int steps = CLAMP ((int) (ABS (delta) + 0.5), 1, 20);
    unsigned int button = delta > 0 ? positive_button : negative_button;
    for (int i = 0; i < steps; i++) {
      XTestFakeButtonEvent (dpy_, button, True, CurrentTime);
      XTestFakeButtonEvent (dpy_, button, False, CurrentTime);
    }
  }

  void find_spare_keycodes ()
  {
    int per = 0;
    int count = max_keycode_ - min_keycode_ + 1;
    KeySym *map = XGetKeyboardMapping (dpy_, min_keycode_, count, &per);
    if (!map)
      return;
    /* From the top: low keycodes are the ones real keyboards use. */
    for (int i = count - 1; i >= 0 && borrowed_.size () < 10; i--) {
      bool empty = true;
      for (int j = 0; j < per; j++)
        empty &= map[i * per + j] == NoSymbol;
      if (empty)
        borrowed_.push_back ({ (KeyCode) (min_keycode_ + i) });
    }
    XFree (map);
  }

  bool shift_is_down () const
  {
    for (const auto &held : held_)
      if (held.first == XK_Shift_L || held.first == XK_Shift_R || held.second.added_shift)
        return true;
    return false;
  }

  /* Keycode for @keysym and whether it needs Shift; 0 if it has none. */
  KeyCode lookup (KeySym keysym, bool *needs_shift)
  {
    *needs_shift = false;
    for (const Borrowed &b : borrowed_)
      if (b.keysym == keysym)
        return b.code;
    KeyCode code = XKeysymToKeycode (dpy_, keysym);
    if (code == 0)
      return 0;
    if (XkbKeycodeToKeysym (dpy_, code, 0, 0) == keysym)
      return code;
    if (XkbKeycodeToKeysym (dpy_, code, 0, 1) == keysym) {
      *needs_shift = true;
      return code;
    }
    return 0; /* only on AltGr or another group: borrow a keycode instead */
  }

  KeyCode borrow (KeySym keysym)
  {
    Borrowed *victim = nullptr;
    for (Borrowed &b : borrowed_) {
      bool in_use = false;
      for (const auto &held : held_)
        in_use |= held.second.code == b.code;
      if (!in_use && (!victim || b.last_use < victim->last_use))
        victim = &b;
    }
    if (!victim)
      return 0;
    KeySym syms[2] = { keysym, keysym };
    XChangeKeyboardMapping (dpy_, victim->code, 2, syms, 1);
    XSync (dpy_, False);
    victim->keysym = keysym;
    return victim->code;
  }

  bool key_press (KeySym keysym)
  {
    bool needs_shift = false;
    KeyCode code = lookup (keysym, &needs_shift);
    if (code == 0)
      code = borrow (keysym);
    if (code == 0)
      return false;
    for (Borrowed &b : borrowed_)
      if (b.code == code)
        b.last_use = ++use_counter_;
    bool add_shift = needs_shift && shift_code_ != 0 && !shift_is_down ();
    if (add_shift)
      XTestFakeKeyEvent (dpy_, shift_code_, True, CurrentTime);
    XTestFakeKeyEvent (dpy_, code, True, CurrentTime);
    auto it = held_.find (keysym);
    if (it != held_.end ()) /* auto-repeat: the first press's Shift is still down */
      add_shift = add_shift || it->second.added_shift;
    held_[keysym] = { code, add_shift };
    return true;
  }

  void key_release (KeySym keysym)
  {
    auto it = held_.find (keysym);
    if (it == held_.end ())
      return;
    XTestFakeKeyEvent (dpy_, it->second.code, False, CurrentTime);
    if (it->second.added_shift)
      XTestFakeKeyEvent (dpy_, shift_code_, False, CurrentTime);
    held_.erase (it);
  }

  Display *dpy_ = nullptr;
  int min_keycode_ = 8, max_keycode_ = 255;
  KeyCode shift_code_ = 0;
  std::vector<Borrowed> borrowed_;
  std::map<KeySym, HeldKey> held_;
  guint64 use_counter_ = 0;
};
} // namespace

std::unique_ptr<GvInputBackend> gv_input_backend_new_xtest (const char *display, std::string *error)
{
  auto backend = std::make_unique<XTestBackend> ();
  if (!backend->open (display, error))
    return nullptr;
  return backend;
}
