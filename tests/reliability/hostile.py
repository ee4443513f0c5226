#!/usr/bin/env python3
"""hostile.py - claim 4: hostile input through the real milter, bounded.

Usage: hostile.py SOCK LOG PID FIXTURES CLI
    SOCK      the milter socket (unix:PATH), default configuration
              (MaxMessageSize 4M)
    LOG       the milter's log file (standard error), read for what it says
    PID       the milter's pid (VmHWM, liveness)
    FIXTURES  tests/fixtures
    CLI       the bouncetag command with its --config, as a shell command

Each input is sent as Postfix's DSN cleanup would send it (and some as an
inbound bounce on port 25). For each: the answer must be continue or
accept (never reject, discard or tempfail: the store is up), it must come
within 60 s (a hang detector, not a timing claim), the milter must be
alive afterwards, and its VmHWM before and after is reported (the growth
must stay under 64 MB: bounded). Where a limit cut something
(MaxMessageSize, the part or nesting limits) the log must say so. Where
the report comes before the junk, its recipient must be learned.
Prints PASS/FAIL lines and "N passed, M failed".
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miltc  # noqa: E402

SOCK, LOG, PID, FIX, CLI = sys.argv[1:6]
HANG_S = 60
HWM_GROWTH_MAX_KB = 64 * 1024
passed = failed = 0


def say(ok, name, detail):
    global passed, failed
    print("%s hostile/%s: %s" % ("PASS" if ok else "FAIL", name, detail), flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


def vm(key):
    try:
        for line in open("/proc/%s/status" % PID):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def cli(args):
    p = subprocess.run(CLI + " " + args, shell=True, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def recorded(addr):
    """The classes of the events recorded for addr (empty: none)."""
    rc, out, _ = cli("show --json " + addr)
    try:
        return [e["class"] for e in json.loads(out)["events"]] if rc == 0 else []
    except (ValueError, KeyError, TypeError):
        return []


BASE = open(os.path.join(FIX, "milter", "whitelist.eml"), "rb").read()
BOUNDARY = b"4Xq2C70dQKz9vK.1732356902/mail.sender.example"


def dsn(rcpt, extra_parts=b"", diag=None, headers_extra=b"", returned_extra=b""):
    """The whitelist DSN for rcpt, with parts appended before the closing
    boundary, a different Diagnostic-Code text, extra top-level headers or
    extra lines in the returned headers."""
    m = BASE.replace(b"ceo@policy.example", rcpt)
    if diag is not None:
        m = m.replace(b"Sender address rejected: sender not on approved sender list", diag)
    if headers_extra:
        m = m.replace(b"Subject: Undelivered", headers_extra + b"\nSubject: Undelivered", 1)
    if returned_extra:
        m = m.replace(b"Subject: Quarterly offer", b"Subject: Quarterly offer\n" + returned_extra, 1)
    if extra_parts:
        m = m.replace(b"--" + BOUNDARY + b"--", extra_parts + b"--" + BOUNDARY + b"--")
    return m


def many_parts(n):
    one = b"--" + BOUNDARY + b"\nContent-Type: text/plain\n\nx\n"
    return one * n


def deep_nesting(n):
    out = [b"--" + BOUNDARY + b"\n"]
    for i in range(n):
        out.append(b"Content-Type: multipart/mixed; boundary=\"n%d\"\n\n--n%d\n" % (i, i))
    out.append(b"Content-Type: text/plain\n\ndeep\n")
    for i in reversed(range(n)):
        out.append(b"--n%d--\n" % i)
    return b"".join(out)


def many_recipients(n):
    blocks = []
    for i in range(n):
        a = b"r%05d@many.example" % i
        blocks.append(b"Final-Recipient: rfc822; " + a + b"\nAction: failed\nStatus: 5.7.1\n"
                      b"Remote-MTA: dns; mx.many.example\nDiagnostic-Code: smtp; 554 5.7.1 <"
                      + a + b">: Sender address rejected: sender not on approved sender list\n")
    report = (b"Reporting-MTA: dns; mail.sender.example\nX-Postfix-Queue-ID: 4XmanyRCPTS\n"
              b"Arrival-Date: Mon, 23 Nov 2026 10:14:58 +0000 (UTC)\n\n" + b"\n".join(blocks))
    return (b"From: MAILER-DAEMON@mail.sender.example (Mail Delivery System)\n"
            b"To: sales@sender.example\nSubject: Undelivered Mail Returned to Sender\n"
            b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;"
            b" boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nmany recipients\n\n--B\n"
            b"Content-Type: message/delivery-status\n\n" + report + b"\n--B--\n")


def broken_base64(rcpt):
    """The report part in base64, garbage in the middle and cut short."""
    import base64
    report = (b"Reporting-MTA: dns; mail.sender.example\nX-Postfix-Queue-ID: 4Xb64broken\n\n"
              b"Final-Recipient: rfc822; " + rcpt + b"\nAction: failed\nStatus: 5.7.1\n"
              b"Diagnostic-Code: smtp; 554 5.7.1 sender not on approved sender list\n")
    enc = base64.b64encode(report)
    enc = enc[:40] + b"!!*%@@ not base64 ===\x00==" + enc[40:-7]  # junk, and cut mid-quantum
    return (b"From: MAILER-DAEMON@mail.sender.example\nTo: sales@sender.example\n"
            b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
            b"--B\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
            + b"\n".join(enc[i:i + 76] for i in range(0, len(enc), 76))
            + b"\n--B\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
            + b"====\n@@@@\nQQ\n" + b"--B--\n")


def _utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def log_since(off):
    with open(LOG, "rb") as f:
        f.seek(off)
        return f.read().decode("utf-8", "replace")


def run(name, data, daemon="bouncetag-dsn", learned=None, cut=None, note=""):
    """Send data; check answer, time, liveness, memory, log, learning."""
    off = os.path.getsize(LOG)
    hwm0 = vm("VmHWM")
    t0 = time.monotonic()
    ans = miltc.run_dsn(miltc.Milter(SOCK, HANG_S), data, daemon,
                        sender="" if daemon != "submission" else "x@y.example")
    secs = time.monotonic() - t0
    time.sleep(0.2)  # let the log lines land
    hwm1 = vm("VmHWM")
    alive = hwm1 is not None
    logged = log_since(off)
    problems = []
    if ans not in ("continue", "accept"):
        problems.append("answered %r" % ans)
    if not alive:
        problems.append("the milter died")
    if alive and hwm1 - hwm0 > HWM_GROWTH_MAX_KB:
        problems.append("VmHWM grew by %d kB" % (hwm1 - hwm0))
    cutlines = [l for l in logged.splitlines()
                if any(w in l for w in ("MaxMessageSize", "limit", "truncat", " cut", "too many",
                                        "too deep", "too long"))]
    if cut and not cutlines:
        problems.append("no log line says what was cut (%s)" % cut)
    classes = recorded(learned) if learned and alive else []
    if learned and alive and not classes:
        problems.append("no result recorded for %s" % learned)
    if classes:
        note = (note + "; " if note else "") + "%s recorded as %s" % (learned, ",".join(classes))
    detail = "%s in %.2fs, %d bytes, VmHWM %s -> %s kB%s%s" % (
        ans, secs, len(data), hwm0, hwm1,
        "; log: " + " | ".join(l[:160] for l in cutlines[:2]) if cutlines else "; nothing logged as cut",
        "; " + note if note else "")
    say(not problems, name, "; ".join(problems) + ("; " if problems else "") + detail)
    return alive


def main():
    base_hwm = vm("VmHWM")
    print("  hostile: milter VmHWM at start %s kB" % base_hwm)
    run("parts-100000", dsn(b"parts@hostile.example", many_parts(100000)),
        learned="parts@hostile.example", cut="MaxMessageSize and the part limit",
        note="100,000 MIME parts after the report, larger than MaxMessageSize")
    run("parts-20000", dsn(b"parts2@hostile.example", many_parts(20000)),
        learned="parts2@hostile.example", cut="the part limit (1000)",
        note="20,000 parts, under MaxMessageSize: only the part limit cuts")
    run("nesting-10000", dsn(b"deep@hostile.example", deep_nesting(10000)),
        learned="deep@hostile.example", cut="the nesting limit (20)",
        note="10,000 nested multiparts after the report")
    run("header-1MiB-in-returned-headers",
        dsn(b"longhdr@hostile.example", returned_extra=b"X-Long: " + b"a" * (1 << 20)),
        learned="longhdr@hostile.example",
        note="a 1 MiB header line in the returned message's headers (message body)")
    run("header-100KiB-dsn", dsn(b"tophdr@hostile.example",
                                 headers_extra=b"X-Long: " + b"b" * 102400),
        learned="tophdr@hostile.example",
        note="a 100 KiB top-level header: the most Postfix sends (header_size_limit 102400)")
    run("header-100KiB-inbound", dsn(b"inhdr@hostile.example",
                                     headers_extra=b"X-Long: " + b"c" * 102400),
        daemon="smtpd-inbound", note="the same on port 25 (any inbound mail may have one)")
    run("header-60KiB-dsn", dsn(b"midhdr@hostile.example",
                                headers_extra=b"X-Long: " + b"d" * 60000),
        learned="midhdr@hostile.example", note="a 60 KiB top-level header")
    off = os.path.getsize(LOG)
    run("recipients-10000", many_recipients(10000), note="one DSN naming 10,000 recipients")
    rc, out, _ = cli("export --json")
    stored = sum(1 for l in out.splitlines() if b"@many.example" in l)
    said = [l for l in log_since(off).splitlines()
            if any(w in l for w in ("limit", "skipped", "dropped", "ignored", "too many"))
            and "duplicate" not in l]
    say(stored == 10000 or said, "recipients-10000-all-or-logged",
        "%d of 10,000 recipients stored; %s" % (
            stored, "log: " + said[0][:160] if said else
            "nothing in the log says the other %d were dropped" % (10000 - stored)))
    nul = dsn(b"nul@hostile.example", diag=b"Sender address\x00 rejected: sender not on\x00 approved"
              b" sender list", returned_extra=b"X-Nul: a\x00b")
    nul = nul.replace(b"I'm sorry", b"I'm\x00\x00 sorry")
    run("nul-bytes", nul, learned="nul@hostile.example",
        note="NUL bytes in the diagnostic, the notification and the returned headers")
    bad = dsn(b"utf8@hostile.example", diag=b"Sender \xff\xfe address rejected \xc3\x28 \xed\xa0\x80:"
              b" sender not on approved sender list \xf8\x88\x80\x80\x80")
    run("invalid-utf8", bad, learned="utf8@hostile.example",
        note="invalid UTF-8 (0xff, 0xfe, a bad continuation, a surrogate, a 5-byte form)")
    run("invalid-utf8-address", dsn(b"b\xffd\xc3@hostile.example"),
        note="invalid UTF-8 in the recipient address")
    rc, out, err = cli("export --json")
    try:
        rows = [json.loads(l.decode("utf-8")) for l in out.splitlines()]
        say(rc == 0, "export-json-valid-after-junk",
            "%d rows of export --json parse as strict UTF-8 JSON" % len(rows))
    except (UnicodeDecodeError, ValueError) as e:
        bad_line = next((l for l in out.splitlines() if not _utf8(l)), b"")
        say(False, "export-json-valid-after-junk",
            "export --json is not valid UTF-8 JSON after the junk was stored: %s (%r)"
            % (e, bad_line[:160]))
    run("broken-base64", broken_base64(b"b64@hostile.example"),
        note="a base64 report part with junk inside and cut mid-quantum")
    run("broken-base64-inbound", broken_base64(b"b64in@hostile.example"), daemon="smtpd-inbound",
        note="the same as an inbound bounce")
    print("  hostile: milter VmHWM at end %s kB (start %s kB)" % (vm("VmHWM"), base_hwm))
    print("hostile: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
