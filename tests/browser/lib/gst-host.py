#!/usr/bin/python3
# GhostView browser tests: a native host pipeline a test can pause and resume.
#
#   gst-host.py 'videotestsrc is-live=true ! ... ! gvwebrtcsink ...'
#
# Runs the launch line like `gst-launch-1.0 -m` (the same "Got message #N
# from element ..." lines on stdout, so the harness reads the PIN and the
# element messages the same way) and reads commands from stdin, one a line:
#   pause            the whole pipeline to PAUSED (nothing is sent; ICE and
#                    DTLS live on in libnice's and webrtcbin's own threads)
#   play             back to PLAYING
#   set NAME PROP V  g_object_set on element NAME (gst_util_set_object_arg)
#   get NAME PROP    prints "value: NAME.PROP = V" (a structure as its string)
#   emit NAME SIGNAL ARG...  the action signal SIGNAL of element NAME with
#                    string arguments (gvwebrtcsink's send-file PEER PATH, say)
# and answers each with "ok: <command>" (or "error: ..."). Ends at EOF on
# stdin, SIGINT or SIGTERM, or an error message.
# Debian's python3 with gi (python3-gi, gir1.2-gstreamer-1.0); 77 otherwise.
# SPDX-License-Identifier: LGPL-2.1-or-later
import signal
import sys

try:
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import GLib, Gst
except (ImportError, ValueError) as e:
    print(f"SKIP: python3 gi with GStreamer is missing ({e})")
    sys.exit(77)


def main():
    if len(sys.argv) != 2:
        print("usage: gst-host.py LAUNCH-LINE", file=sys.stderr)
        return 2
    Gst.init(None)
    try:
        pipeline = Gst.parse_launch(sys.argv[1])
    except GLib.Error as e:
        print(f"ERROR: pipeline could not be constructed: {e.message}", flush=True)
        return 1
    loop = GLib.MainLoop()
    count = [0]
    status = [0]

    def on_message(_bus, msg):
        count[0] += 1
        src = msg.src.get_name() if msg.src else "(none)"
        kind = Gst.MessageType.get_name(msg.type)
        s = msg.get_structure()
        text = s.to_string() if s else "no message details"
        print(f'Got message #{count[0]} from element "{src}" ({kind}): {text}', flush=True)
        if msg.type == Gst.MessageType.ERROR:
            status[0] = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)

    def on_command(channel, condition):
        line = channel.readline()
        if not line:  # EOF: the test is gone
            loop.quit()
            return False
        words = line.split()
        try:
            if words == ["pause"]:
                pipeline.set_state(Gst.State.PAUSED)
            elif words == ["play"]:
                pipeline.set_state(Gst.State.PLAYING)
            elif len(words) == 4 and words[0] == "set":
                element = pipeline.get_by_name(words[1])
                if element is None:
                    raise ValueError(f"no element {words[1]}")
                Gst.util_set_object_arg(element, words[2], words[3])
            elif len(words) == 3 and words[0] == "get":
                element = pipeline.get_by_name(words[1])
                if element is None:
                    raise ValueError(f"no element {words[1]}")
                value = element.get_property(words[2])
                if isinstance(value, Gst.Structure):
                    value = value.to_string()
                print(f"value: {words[1]}.{words[2]} = {value}", flush=True)
            elif len(words) >= 3 and words[0] == "emit":
                element = pipeline.get_by_name(words[1])
                if element is None:
                    raise ValueError(f"no element {words[1]}")
                if not element.emit(words[2], *words[3:]):
                    raise ValueError(f"{words[2]} returned FALSE")
            else:
                raise ValueError("unknown command")
            print(f"ok: {line.strip()}", flush=True)
        except (ValueError, TypeError) as e:
            print(f"error: {line.strip()}: {e}", flush=True)
        return True

    stdin = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(stdin, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP, on_command)
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: (loop.quit(), False)[1])

    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
