#!/usr/bin/env python3
"""Terminal sharing (issue 18, item 1) with real processes.

record: `ghostview host --terminal-command CMD` shares a program that
prints UTF-8, an escape sequence and ends with status 3; `ghostview record
--output s.cast` joins and writes the terminal as asciicast v2. Every line
of the file is JSON, the header says version 2 with the terminal's size,
every event is [seconds, "o", text] in time order, the text holds what the
program printed and its "[process exited with status 3]"; the host console
and the recorder say the program ended; `asciinema cat` accepts the file
(skipped when asciinema is not installed: apt install asciinema).

cleanup: the shared program and a child of it are gone, none left a
zombie, after the host stops: by SIGINT, by SIGTERM, and by SIGKILL (no
clean-up of ours runs: the kernel hangs the terminal up when its master
closes).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import gvtest

mode = sys.argv[1] if len(sys.argv) > 1 else "record"
gvtest.need_ghostview()
gvtest.need_elements("webrtcbin")


def become_subreaper():
    """Orphans of the host become ours (not init's), so that a dead one is
    seen as dead: its zombie is reaped here, never left to an init that may
    not reap."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        gvtest.skip("prctl(PR_SET_CHILD_SUBREAPER) failed")


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def zombie_children(parent):
    """Pids of the zombies whose parent is `parent`."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit() and parent_of(int(name)) == parent and process_state(int(name)) == "Z":
            out.append(int(name))
    return out


def process_state(pid):
    """The state letter of `pid` (R, S, Z...), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def wait_gone(pids, timeout):
    """Waits for `pids` to end; an orphan that ended as our zombie is reaped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in pids:
            if process_state(pid) == "Z" and parent_of(pid) == os.getpid():
                os.waitpid(pid, os.WNOHANG)
        states = {pid: process_state(pid) for pid in pids}
        if all(s is None for s in states.values()):
            return states
        time.sleep(0.1)
    return {pid: process_state(pid) for pid in pids}


def read_pid(path, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    return None


def run_record():
    out_dir = gvtest.workdir()
    cast = os.path.join(out_dir, "session.cast")
    command = ("printf 'line 1 \\303\\251t\\303\\251\\n'; sleep 0.5; "
               "printf '\\033[1mbold\\033[0m line 2\\n'; sleep 0.5; "
               "printf 'line 3\\n'; sleep 1; exit 3")
    host, url, pin = gvtest.start_host("--terminal-command", command)
    rec = None
    try:
        rec = gvtest.Process([gvtest.GHOSTVIEW, "record", "--server", url, "--pin", pin,
                              "--output", cast], "record")
        if not rec.wait_for(r"the host's shared terminal ended: \[process exited with status 3\]",
                            30)[0]:
            gvtest.fail("the recorder never saw the program end:\n" + rec.output())
        if not host.wait_for(r"terminal's program ended: \[process exited with status 3\]", 5)[0]:
            gvtest.fail("the host console did not say the program ended:\n" + host.output())
        zombies = zombie_children(host.proc.pid)
        if zombies:
            gvtest.fail(f"the host left its ended program a zombie: {zombies}")
        rec.interrupt()
        if rec.wait(30) != 0:
            gvtest.fail("ghostview record failed:\n" + rec.output())
    finally:
        if rec:
            rec.kill()
        host.interrupt()
        host.wait(30)

    with open(cast, encoding="utf-8") as f:
        lines = f.read().splitlines()
    print(f"{cast}: {len(lines)} lines")
    for line in lines[:8]:
        print("  " + line)
    try:
        parsed = [json.loads(line) for line in lines]
    except ValueError as e:
        gvtest.fail(f"a line of the asciicast is not JSON: {e}")
    header, events = parsed[0], parsed[1:]
    if not isinstance(header, dict) or header.get("version") != 2:
        gvtest.fail(f"header is not asciicast v2: {header}")
    if header.get("width") != 80 or header.get("height") != 24:
        gvtest.fail(f"header size is not the terminal's 80x24: {header}")
    if not isinstance(header.get("timestamp"), int):
        gvtest.fail("header has no timestamp")
    last = -1.0
    for e in events:
        if (not isinstance(e, list) or len(e) != 3 or not isinstance(e[0], (int, float))
                or e[1] != "o" or not isinstance(e[2], str)):
            gvtest.fail(f"not an output event: {e}")
        if e[0] < last:
            gvtest.fail(f"events out of time order: {e[0]} after {last}")
        last = e[0]
    text = "".join(e[2] for e in events)
    for expected in ("line 1 été", "\x1b[1mbold\x1b[0m line 2", "line 3",
                     "[process exited with status 3]"):
        if expected not in text:
            gvtest.fail(f"{expected!r} is not in the recording: {text!r}")

    def in_terminal(args):
        """Runs `args` on a pseudo-terminal of its own (asciinema opens
        /dev/tty); its exit code and output."""
        import fcntl
        import termios
        master, slave = os.openpty()

        def controlling_terminal():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                preexec_fn=controlling_terminal)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the program closed the terminal
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        return proc.wait(30), out.decode("utf-8", "replace")

    asciinema = shutil.which("asciinema")
    if not asciinema:
        print("asciinema is not installed (apt install asciinema): the file was checked as JSON only")
    else:
        for args in ([asciinema, "cat", cast],
                     [asciinema, "play", "--idle-time-limit", "0.2", "--speed", "4", cast]):
            rc, out = in_terminal(args)
            print(f"{' '.join(args[:2])}: exit {rc}")
            if rc != 0 or "line 3" not in out or "été" not in out:
                gvtest.fail(f"{' '.join(args[:2])} refused the file (exit {rc}):\n{out}")


def run_cleanup(how):
    out_dir = gvtest.workdir()
    shell_pid = os.path.join(out_dir, "shell.pid")
    child_pid = os.path.join(out_dir, "child.pid")
    # The shared program starts a child of its own, then waits in the foreground.
    command = f"sleep 600 & echo $! > {child_pid}; echo $$ > {shell_pid}; wait"
    host, url, pin = gvtest.start_host("--terminal-command", command)
    pids = []
    try:
        for path in (shell_pid, child_pid):
            pid = read_pid(path)
            if pid is None:
                gvtest.fail(f"the shared program never wrote {path}:\n" + host.output())
            pids.append(pid)
        print(f"{how}: program pid {pids[0]}, its child {pids[1]}, host pid {host.proc.pid}")
        for pid in pids:
            if process_state(pid) in (None, "Z"):
                gvtest.fail(f"pid {pid} is not running before the host stops")
        if how == "SIGKILL":
            host.kill()
        else:
            host.proc.send_signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
            rc = host.wait(30)
            if rc != 0:
                gvtest.fail(f"the host exited {rc} after {how}:\n" + host.output())
    finally:
        host.kill()
    states = wait_gone(pids, 5)
    left = {pid: s for pid, s in states.items() if s is not None}
    if left:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        gvtest.fail(f"after {how} of the host, left behind (pid: state): {left}")
    print(f"{how}: the program and its child are gone, no zombie")


if mode == "record":
    run_record()
elif mode == "cleanup":
    become_subreaper()
    for how in ("SIGINT", "SIGTERM", "SIGKILL"):
        run_cleanup(how)
else:
    gvtest.fail(f"unknown mode {mode}")
print("PASS")
