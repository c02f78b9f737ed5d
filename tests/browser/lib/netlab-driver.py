#!/usr/bin/python3
"""The network bench's emulated link (tests/bench/network/netlab.py) for the
browser tests: builds a one-link lab (a host and a viewer network namespace
joined through gvnl-forwarder), prints one JSON line describing it, then
passes each line of stdin to the link's forwarder (its command language:
`schedule both 10 loss=100; 0 loss=0`, `set both udp=drop` (UDP lost, TCP
passes) and `set both udp=pass`, `stats`, ...) and prints each reply as one
JSON line. The lab is torn down when stdin closes, and by netlab's
own handlers and reaper on every other exit path.

    netlab-driver.py FORWARDER
    -> {"event": "ready", "host_ns": .., "viewer_ns": .., "host_ip": .., "viewer_ip": ..}
    -> {"event": "unavailable", "reason": ..} and exit 77 where namespaces cannot be made
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                                "network"))
import netlab  # noqa: E402


def say(obj):
    print(json.dumps(obj), flush=True)


def main():
    reason = netlab.unavailable_reason()
    if reason:
        say({"event": "unavailable", "reason": reason})
        return 77
    with netlab.Lab(sys.argv[1]) as lab:
        link = lab.links[0]
        say({"event": "ready", "host_ns": lab.host_ns, "viewer_ns": link.viewer_ns,
             "host_ip": link.host_ip, "viewer_ip": link.viewer_ip})
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                say(link.command(line))
            except netlab.LabError as e:
                say({"ok": False, "error": str(e)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
