/* GhostView — the `uinput` input backend (Linux /dev/uinput).
 *
 * Two virtual devices: an absolute pointer shaped like a virtual-machine
 * tablet (ABS_X/ABS_Y 0..32767 over the whole screen, buttons, wheels) and a
 * US-layout keyboard. Works under X11, Wayland compositors and the console,
 * given write access to /dev/uinput.
 */
#include "gvinputbackend.h"
#include "gvkeymap.h"

#include <fcntl.h>
#include <linux/uinput.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <map>

#define ABS_MAX_VALUE 32767

namespace {
class UinputBackend : public GvInputBackend {
public:
  ~UinputBackend () override
  {
    reset ();
    for (int fd : { pointer_fd_, keyboard_fd_ }) {
      if (fd >= 0) {
        ioctl (fd, UI_DEV_DESTROY);
        close (fd);
      }
    }
  }

  bool open_devices (std::string *error)
  {
    pointer_fd_ = open ("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    keyboard_fd_ = open ("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (pointer_fd_ < 0 || keyboard_fd_ < 0) {
      *error = std::string ("cannot open /dev/uinput: ") + g_strerror (errno);
      return false;
    }
    int p = pointer_fd_;
    bool ok = ioctl (p, UI_SET_EVBIT, EV_KEY) == 0 && ioctl (p, UI_SET_EVBIT, EV_ABS) == 0 &&
              ioctl (p, UI_SET_EVBIT, EV_REL) == 0 && ioctl (p, UI_SET_EVBIT, EV_SYN) == 0;
    for (int code : { BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, BTN_SIDE, BTN_EXTRA })
      ok = ok && ioctl (p, UI_SET_KEYBIT, code) == 0;
    for (int code : { REL_WHEEL, REL_HWHEEL })
      ok = ok && ioctl (p, UI_SET_RELBIT, code) == 0;
    for (int axis : { ABS_X, ABS_Y }) {
      struct uinput_abs_setup abs;
      memset (&abs, 0, sizeof abs);
      abs.code = axis;
      abs.absinfo.maximum = ABS_MAX_VALUE;
      ok = ok && ioctl (p, UI_SET_ABSBIT, axis) == 0 && ioctl (p, UI_ABS_SETUP, &abs) == 0;
    }
    ok = ok && setup (p, "GhostView virtual pointer", 0x0001);

    int k = keyboard_fd_;
    ok = ok && ioctl (k, UI_SET_EVBIT, EV_KEY) == 0 && ioctl (k, UI_SET_EVBIT, EV_SYN) == 0;
    for (int code = KEY_ESC; code <= KEY_MICMUTE; code++)
      ok = ok && ioctl (k, UI_SET_KEYBIT, code) == 0;
    ok = ok && setup (k, "GhostView virtual keyboard", 0x0002);
    if (!ok)
      *error = std::string ("cannot create uinput devices: ") + g_strerror (errno);
    return ok;
  }

  bool inject (const GvInputEvent &ev) override
  {
    switch (ev.type) {
    case GvInputEventType::MOTION: {
      gint w = MAX (ev.screen_width, 2), h = MAX (ev.screen_height, 2);
      return emit (pointer_fd_, EV_ABS, ABS_X, (gint64) ev.x * ABS_MAX_VALUE / (w - 1)) &&
             emit (pointer_fd_, EV_ABS, ABS_Y, (gint64) ev.y * ABS_MAX_VALUE / (h - 1)) &&
             sync (pointer_fd_);
    }
    case GvInputEventType::BUTTON_PRESS:
    case GvInputEventType::BUTTON_RELEASE: {
      int code = button_code (ev.button);
      return code && emit (pointer_fd_, EV_KEY, code, ev.type == GvInputEventType::BUTTON_PRESS) &&
             sync (pointer_fd_);
    }
    case GvInputEventType::SCROLL: {
      bool ok = true;
      if (ev.delta_y != 0)
        ok &= emit (pointer_fd_, EV_REL, REL_WHEEL, ev.delta_y > 0 ? 1 : -1);
      if (ev.delta_x != 0)
        ok &= emit (pointer_fd_, EV_REL, REL_HWHEEL, ev.delta_x > 0 ? 1 : -1);
      return ok && sync (pointer_fd_);
    }
    case GvInputEventType::KEY_PRESS: {
      guint code = 0;
      gboolean shift = FALSE;
      if (!gv_keysym_to_evdev (ev.keysym, &code, &shift))
        return false;
      bool add_shift = shift && !shift_down ();
      if (add_shift)
        emit (keyboard_fd_, EV_KEY, KEY_LEFTSHIFT, 1);
      held_[ev.keysym] = { code, add_shift };
      return emit (keyboard_fd_, EV_KEY, code, 1) && sync (keyboard_fd_);
    }
    case GvInputEventType::KEY_RELEASE:
      return release_key (ev.keysym);
    }
    return false;
  }

  void reset () override
  {
    while (!held_.empty ())
      release_key (held_.begin ()->first);
  }

private:
  struct Held {
    guint code;
    bool added_shift;
  };

  static bool setup (int fd, const char *name, int product)
  {
    struct uinput_setup setup;
    memset (&setup, 0, sizeof setup);
    setup.id.bustype = BUS_VIRTUAL;
    setup.id.vendor = 0x4756; /* "GV" */
    setup.id.product = product;
    g_strlcpy (setup.name, name, sizeof setup.name);
    return ioctl (fd, UI_DEV_SETUP, &setup) == 0 && ioctl (fd, UI_DEV_CREATE) == 0;
  }

  static int button_code (int button)
  {
    switch (button) {
    case 1:
      return BTN_LEFT;
    case 2:
      return BTN_MIDDLE;
    case 3:
      return BTN_RIGHT;
    case 8:
      return BTN_SIDE;
    case 9:
      return BTN_EXTRA;
    default:
      return 0;
    }
  }

  static bool emit (int fd, int type, int code, gint64 value)
  {
    struct input_event ie;
    memset (&ie, 0, sizeof ie);
    ie.type = type;
    ie.code = code;
    ie.value = (int) value;
    return write (fd, &ie, sizeof ie) == (ssize_t) sizeof ie;
  }

  static bool sync (int fd) { return emit (fd, EV_SYN, SYN_REPORT, 0); }

  bool shift_down () const
  {
    for (const auto &h : held_)
      if (h.second.code == KEY_LEFTSHIFT || h.second.code == KEY_RIGHTSHIFT || h.second.added_shift)
        return true;
    return false;
  }

  bool release_key (guint32 keysym)
  {
    auto it = held_.find (keysym);
    if (it == held_.end ())
      return true;
    bool ok = emit (keyboard_fd_, EV_KEY, it->second.code, 0);
    if (it->second.added_shift)
      ok &= emit (keyboard_fd_, EV_KEY, KEY_LEFTSHIFT, 0);
    held_.erase (it);
    return ok && sync (keyboard_fd_);
  }

  int pointer_fd_ = -1;
  int keyboard_fd_ = -1;
  std::map<guint32, Held> held_;
};
} // namespace

std::unique_ptr<GvInputBackend> gv_input_backend_new_uinput (std::string *error)
{
  auto backend = std::make_unique<UinputBackend> ();
  if (!backend->open_devices (error))
    return nullptr;
  return backend;
}
