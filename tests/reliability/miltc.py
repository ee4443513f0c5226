#!/usr/bin/env python3
"""miltc - a small milter-protocol client (the MTA side, protocol version 6)
for the reliability tests: it plays Postfix's DSN cleanup or a submission
smtpd against a running bouncetag-milter and prints each answer exactly, so
that a test can tell a 451 4.3.0 from a 550 5.7.1.

Usage (one answer per line on standard output):
    miltc.py SOCK dsn FILE [FILE...]        each file: one DSN from the DSN cleanup
    miltc.py SOCK rcpt ADDR [ADDR...]       one submission message, one RCPT per address
    miltc.py SOCK inbound FILE              one message on port 25 (null sender)
    miltc.py SOCK dsnload SECONDS THREADS TEMPLATE PREFIX OUT UNLINK-AT DB OLD-DIR
                                            learn on THREADS connections, delete
                                            DB at UNLINK-AT s (see dsn_load)
Answers: continue, accept, reject, tempfail, discard, skip,
"reply CODE TEXT" (smfi_setreply), or "eof" when the milter closed the
connection. Options before SOCK: -t SECONDS (answer timeout, default 60),
-d NAME (daemon name of the dsn/rcpt kind), -T (print the seconds each
answer took after it).

As a module: Milter(sock).open(daemon_name), .message(sender, rcpts,
headers, body) and friends; header values are sent as Postfix sends them
(folded lines kept with LF, no leading space).
"""
import socket
import struct
import sys
import time

NAMES = {b"c": "continue", b"a": "accept", b"r": "reject", b"t": "tempfail",
         b"d": "discard", b"s": "skip"}
FINAL = set(b"cartdys4f")
CHUNK = 65535


class Closed(Exception):
    """The milter closed the connection (or did not answer in time)."""


class Milter:
    def __init__(self, sock, timeout=60.0):
        self.spec = sock
        self.timeout = timeout
        self.s = None
        self.pflags = 0
        self.mods = []  # modification requests seen before the last final answer
        self.t_answer = None  # time.monotonic() when the last answer arrived

    def open(self, daemon_name, client="client.test.example", addr="127.0.0.1"):
        path = self.spec[5:] if self.spec.startswith("unix:") else self.spec
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(self.timeout)
        self.s.connect(path)
        # version 6, every action; of the protocol options only SMFIP_SKIP
        # (so every step is sent and answered, as the milter asks of Postfix)
        self._send(b"O", struct.pack(">III", 6, 0x1FF, 0x400))
        cmd, data = self._recv()
        if cmd != b"O" or len(data) < 12:
            raise Closed("option negotiation failed")
        self.pflags = struct.unpack(">III", data[:12])[2]
        self.macro(b"C", {"{daemon_name}": daemon_name, "j": "mta.test.example",
                          "{client_addr}": addr})
        if self.pflags & 0x1:  # SMFIP_NOCONNECT
            return "continue"
        return self.command(b"C", client.encode() + b"\0" + b"4" + struct.pack(">H", 25)
                            + addr.encode() + b"\0")

    def close(self):
        if self.s is not None:
            try:
                self._send(b"Q", b"")
            except OSError:
                pass
            self.s.close()
            self.s = None

    def _send(self, cmd, data):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            try:
                got = self.s.recv(n - len(buf))
            except socket.timeout as e:
                raise Closed("no answer within %.0f s" % self.timeout) from e
            except OSError as e:
                raise Closed(str(e)) from e
            if not got:
                raise Closed("connection closed")
            buf += got
        return buf

    def _recv(self):
        (n,) = struct.unpack(">I", self._read(4))
        if n == 0:
            raise Closed("empty packet")
        data = self._read(n)
        return data[:1], data[1:]

    def macro(self, for_cmd, kv):
        data = for_cmd
        for k, v in kv.items():
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self._send(b"D", data)

    def command(self, cmd, data, nr_flag=0):
        """Send one command; return its final answer as a string."""
        try:
            self._send(cmd, data)
        except OSError as e:
            raise Closed(str(e)) from e
        if nr_flag and self.pflags & nr_flag:
            return "continue"
        self.mods = []
        while True:
            code, payload = self._recv()
            if code[0] in FINAL:
                break
            self.mods.append((code, payload))
        self.t_answer = time.monotonic()
        if code == b"y":
            return "reply " + payload.rstrip(b"\0").decode("utf-8", "replace")
        return NAMES.get(code, "code " + repr(code))

    def mail(self, sender, queue_id="RELTESTQID"):
        self.macro(b"M", {"i": queue_id})
        return self.command(b"M", b"<" + sender.encode() + b">\0", 0x4000)

    def rcpt(self, addr):
        return self.command(b"R", b"<" + addr.encode() + b">\0", 0x8000)

    def header(self, name, value):
        """name and value as bytes or str; sent as one packet."""
        if isinstance(name, str):
            name = name.encode()
        if isinstance(value, str):
            value = value.encode()
        return self.command(b"L", name + b"\0" + value + b"\0", 0x80)

    def content(self, headers, body):
        """headers: [(name, value)]; body: bytes with CRLF line ends. The final answer."""
        for name, value in headers:
            r = self.header(name, value)
            if r != "continue":
                return r
        r = self.command(b"N", b"", 0x40000)
        if r != "continue":
            return r
        for off in range(0, len(body), CHUNK):
            r = self.command(b"B", body[off:off + CHUNK], 0x80000)
            if r == "skip":
                break
            if r != "continue":
                return r
        return self.command(b"E", b"")

    def message(self, sender, rcpts, headers, body, queue_id="RELTESTQID"):
        """MAIL, RCPTs, content, end of message: the answers as a list."""
        out = [self.mail(sender, queue_id)]
        for r in rcpts:
            out.append(self.rcpt(r))
        out.append(self.content(headers, body))
        return out


def split_message(data):
    """A message file (LF or CRLF) -> [(name, value)], body with CRLF line ends."""
    data = data.replace(b"\r\n", b"\n")
    head, sep, body = data.partition(b"\n\n")
    if not sep:
        head, body = data, b""
    headers = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and headers:
            n, v = headers[-1]
            headers[-1] = (n, v + b"\n" + line)
        elif b":" in line:
            n, v = line.split(b":", 1)
            headers.append((n, v.lstrip(b" \t")))
    return headers, body.replace(b"\n", b"\r\n")


def run_dsn(m, data, daemon="bouncetag-dsn", queue_id="RELTESTQID", sender=""):
    """One DSN (bytes) on a new connection: the end-of-message answer."""
    try:
        r = m.open(daemon)
        if r != "continue":
            return r
        headers, body = split_message(data)
        answers = m.message(sender, ["sales@sender.example"], headers, body, queue_id)
        bad = [a for a in answers[:-1] if a != "continue"]
        return bad[0] if bad else answers[-1]
    except Closed:
        return "eof"
    finally:
        m.close()


def dsn_load(sock, seconds, threads, template, prefix, out, unlink_at, db, old_dir):
    """THREADS connections learn DSNs (the template's ceo@policy.example
    replaced by PREFIX-tT-Q@load.example) for SECONDS; every answer goes to
    OUT as "ADDRESS ANSWER". At UNLINK_AT seconds the database DB is
    deleted as an operator would (rm of the file and its -wal and -shm),
    but first hard-linked into OLD_DIR so that what was written into the
    deleted file can be read afterwards; and while the files go, a marker
    event is committed: every event above the marker in the old file was
    committed after the files were gone."""
    import os
    import sqlite3
    import threading
    with open(template, "rb") as f:
        tpl = f.read()
    lock = threading.Lock()
    lines = []
    t_end = time.monotonic() + seconds

    def worker(t):
        q = 0
        while time.monotonic() < t_end:
            addr = "%s-t%d-%d@load.example" % (prefix, t, q)
            q += 1
            ans = run_dsn(Milter(sock, 60), tpl.replace(b"ceo@policy.example", addr.encode()))
            with lock:
                lines.append("%s %s" % (addr, ans.replace(" ", "_")))

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    time.sleep(unlink_at)
    # Hold the write lock while the files go: no commit can straddle the rm.
    c = sqlite3.connect(db, timeout=30, isolation_level=None)
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO events (time, recipient, action, class, trusted) "
              "VALUES (0, 'unlink-marker', 'marker', 'unclassified', 0)")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.link(db + suffix, os.path.join(old_dir, os.path.basename(db) + suffix))
            # Once the main file is gone the milter opens a new database at the
            # path, and closing that handle may remove the -wal or -shm name
            # before we do: it is kept (linked) above, and gone, as wanted.
            try:
                os.unlink(db + suffix)
            except FileNotFoundError:
                pass
    c.execute("COMMIT")
    for t in ts:
        t.join()
    c.close()
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


def main(argv):
    timeout, daemon, timing = 60.0, None, False
    while argv and argv[0].startswith("-"):
        opt = argv.pop(0)
        if opt == "-t":
            timeout = float(argv.pop(0))
        elif opt == "-d":
            daemon = argv.pop(0)
        elif opt == "-T":
            timing = True
        else:
            raise SystemExit(__doc__)
    if len(argv) < 3:
        raise SystemExit(__doc__)
    sock, kind, args = argv[0], argv[1], argv[2:]

    def say(answer, t0):
        print(answer + (" %.3f" % (time.monotonic() - t0) if timing else ""), flush=True)

    if kind == "dsnload":
        # SOCK dsnload SECONDS THREADS TEMPLATE PREFIX OUT UNLINK-AT DB OLD-DIR
        return dsn_load(sock, float(args[0]), int(args[1]), args[2], args[3], args[4],
                        float(args[5]), args[6], args[7])
    if kind in ("dsn", "inbound"):
        for path in args:
            with open(path, "rb") as f:
                data = f.read()
            t0 = time.monotonic()
            if kind == "dsn":
                say(run_dsn(Milter(sock, timeout), data, daemon or "bouncetag-dsn"), t0)
            else:
                say(run_dsn(Milter(sock, timeout), data, daemon or "inbound-smtpd"), t0)
    elif kind == "rcpt":
        m = Milter(sock, timeout)
        try:
            t0 = time.monotonic()
            r = m.open(daemon or "submission")
            if r != "continue":
                say(r, t0)
                return 0
            m.mail("sales@sender.example")
            for a in args:
                t0 = time.monotonic()
                say(m.rcpt(a), t0)
            m._send(b"A", b"")  # abort the message: no answer is due
        except Closed:
            say("eof", t0)
        finally:
            m.close()
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
