#!/usr/bin/env python3
"""procs.py - find the processes an end-to-end run started, through /proc
(a fresh Debian has no ps(1) unless procps is installed).

    procs.py children PID          PIDs whose parent is PID
    procs.py leftovers TMP CONF    PIDs with TMP on their command line or
                                   MAIL_CONFIG=CONF in their environment
                                   (Postfix passes MAIL_CONFIG to every
                                   daemon it starts)
    procs.py describe PID...       "PID PPID command line" per live PID

This process and its ancestors (the test script) are never listed.
"""

import os
import sys


def read(pid, name):
    try:
        with open("/proc/%s/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return b""


def ppid(pid):
    stat = read(pid, "stat").decode("ascii", "replace")
    # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    fields = stat[stat.rfind(")") + 2:].split()
    return int(fields[1]) if len(fields) > 1 else 0


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def ancestors():
    seen, p = set(), os.getpid()
    while p > 1 and p not in seen:
        seen.add(p)
        p = ppid(p)
    return seen


def main(argv):
    if len(argv) >= 2 and argv[0] == "children":
        parent = int(argv[1])
        found = [p for p in pids() if ppid(p) == parent]
    elif len(argv) == 3 and argv[0] == "leftovers":
        tmp, conf = argv[1].encode(), ("MAIL_CONFIG=" + argv[2]).encode()
        mine = ancestors()
        found = [p for p in pids() if p not in mine and
                 (tmp in read(p, "cmdline") or conf in read(p, "environ").split(b"\0"))]
    elif len(argv) >= 1 and argv[0] == "describe":
        for p in argv[1:]:
            cmd = read(p, "cmdline").replace(b"\0", b" ").decode("utf-8", "replace").strip()
            if cmd:
                print("%s %d %s" % (p, ppid(p), cmd))
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in found:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
