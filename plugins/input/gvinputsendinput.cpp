/* GhostView — the `sendinput` input backend (Windows SendInput).
 *
 * Pointer positions are absolute over the virtual desktop; keys with a
 * virtual-key code go as VK_*, every other character as KEYEVENTF_UNICODE.
 * Built only on Windows (GV_HAVE_SENDINPUT).
 */
#include "gvinputbackend.h"

#include <windows.h>

#include <vector>

namespace {
WORD virtual_key (guint32 keysym)
{
  switch (keysym) {
  case 0xff0d:
    return VK_RETURN;
  case 0xff08:
    return VK_BACK;
  case 0xff09:
    return VK_TAB;
  case 0xff1b:
    return VK_ESCAPE;
  case 0xffff:
    return VK_DELETE;
  case 0xff63:
    return VK_INSERT;
  case 0xff50:
    return VK_HOME;
  case 0xff57:
    return VK_END;
  case 0xff55:
    return VK_PRIOR;
  case 0xff56:
    return VK_NEXT;
  case 0xff51:
    return VK_LEFT;
  case 0xff52:
    return VK_UP;
  case 0xff53:
    return VK_RIGHT;
  case 0xff54:
    return VK_DOWN;
  case 0xffe1:
    return VK_LSHIFT;
  case 0xffe2:
    return VK_RSHIFT;
  case 0xffe3:
    return VK_LCONTROL;
  case 0xffe4:
    return VK_RCONTROL;
  case 0xffe9:
    return VK_LMENU;
  case 0xffea:
  case 0xfe03:
    return VK_RMENU;
  case 0xffeb:
  case 0xffe7:
    return VK_LWIN;
  case 0xffec:
  case 0xffe8:
    return VK_RWIN;
  case 0xffe5:
    return VK_CAPITAL;
  case 0xff61:
    return VK_SNAPSHOT;
  case 0xff13:
    return VK_PAUSE;
  case 0xff67:
    return VK_APPS;
  default:
    break;
  }
  if (keysym >= 0xffbe && keysym < 0xffbe + 24)
    return (WORD) (VK_F1 + (keysym - 0xffbe));
  return 0;
}

class SendInputBackend : public GvInputBackend {
public:
  bool inject (const GvInputEvent &ev) override
  {
    std::vector<INPUT> inputs;
    INPUT in;
    ZeroMemory (&in, sizeof in);
    switch (ev.type) {
    case GvInputEventType::MOTION: {
      int vx = GetSystemMetrics (SM_XVIRTUALSCREEN), vy = GetSystemMetrics (SM_YVIRTUALSCREEN);
      int vw = MAX (GetSystemMetrics (SM_CXVIRTUALSCREEN), 2);
      int vh = MAX (GetSystemMetrics (SM_CYVIRTUALSCREEN), 2);
      in.type = INPUT_MOUSE;
      in.mi.dx = (LONG) ((gint64) (ev.x - vx) * 65535 / (vw - 1));
      in.mi.dy = (LONG) ((gint64) (ev.y - vy) * 65535 / (vh - 1));
      in.mi.dwFlags = MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE | MOUSEEVENTF_VIRTUALDESK;
      inputs.push_back (in);
      break;
    }
    case GvInputEventType::BUTTON_PRESS:
    case GvInputEventType::BUTTON_RELEASE: {
      bool down = ev.type == GvInputEventType::BUTTON_PRESS;
      in.type = INPUT_MOUSE;
      switch (ev.button) {
      case 1:
        in.mi.dwFlags = down ? MOUSEEVENTF_LEFTDOWN : MOUSEEVENTF_LEFTUP;
        break;
      case 2:
        in.mi.dwFlags = down ? MOUSEEVENTF_MIDDLEDOWN : MOUSEEVENTF_MIDDLEUP;
        break;
      case 3:
        in.mi.dwFlags = down ? MOUSEEVENTF_RIGHTDOWN : MOUSEEVENTF_RIGHTUP;
        break;
      case 8:
      case 9:
        in.mi.dwFlags = down ? MOUSEEVENTF_XDOWN : MOUSEEVENTF_XUP;
        in.mi.mouseData = ev.button == 8 ? XBUTTON1 : XBUTTON2;
        break;
      default:
        return false;
      }
      inputs.push_back (in);
      break;
    }
    case GvInputEventType::SCROLL:
      in.type = INPUT_MOUSE;
      if (ev.delta_y != 0) {
        in.mi.dwFlags = MOUSEEVENTF_WHEEL;
        in.mi.mouseData = (DWORD) (LONG) (ev.delta_y * WHEEL_DELTA);
        inputs.push_back (in);
      }
      if (ev.delta_x != 0) {
        in.mi.dwFlags = MOUSEEVENTF_HWHEEL;
        in.mi.mouseData = (DWORD) (LONG) (ev.delta_x * WHEEL_DELTA);
        inputs.push_back (in);
      }
      break;
    case GvInputEventType::KEY_PRESS:
    case GvInputEventType::KEY_RELEASE: {
      DWORD up = ev.type == GvInputEventType::KEY_RELEASE ? KEYEVENTF_KEYUP : 0;
      in.type = INPUT_KEYBOARD;
      if (WORD vk = virtual_key (ev.keysym)) {
        in.ki.wVk = vk;
        in.ki.dwFlags = up;
        inputs.push_back (in);
        break;
      }
      gunichar c = ev.keysym >= 0x01000000 ? ev.keysym - 0x01000000 : ev.keysym;
      gunichar2 units[2];
      int n = c >= 0x10000 ? 2 : 1;
      if (n == 2) {
        units[0] = (gunichar2) (0xd800 + ((c - 0x10000) >> 10));
        units[1] = (gunichar2) (0xdc00 + ((c - 0x10000) & 0x3ff));
      } else {
        units[0] = (gunichar2) c;
      }
      for (int i = 0; i < n; i++) {
        in.ki.wScan = units[i];
        in.ki.dwFlags = KEYEVENTF_UNICODE | up;
        inputs.push_back (in);
      }
      break;
    }
    }
    if (inputs.empty ())
      return true;
    return SendInput ((UINT) inputs.size (), inputs.data (), sizeof (INPUT)) == inputs.size ();
  }
};
} // namespace

std::unique_ptr<GvInputBackend> gv_input_backend_new_sendinput (std::string *)
{
  return std::make_unique<SendInputBackend> ();
}
