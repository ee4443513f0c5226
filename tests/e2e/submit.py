#!/usr/bin/env python3
"""submit.py - send one message over SMTP and report every reply.

    submit.py --port PORT --from ADDR [--subject S] RCPT...

Prints one line per step so a shell test can grep it:

    MAIL 250 2.1.0 Ok
    RCPT ceo@approved-only.test 550 5.7.1 recipient suppressed by ...
    RCPT friend@ok.test 250 2.1.5 Ok
    DATA 250 2.0.0 Ok: queued as 4F2A1A7219C

DATA is only sent when at least one recipient was accepted ("DATA skipped"
otherwise). Exit status 0 when the conversation took place (whatever the
replies), 2 when the server could not be reached or hung up.
"""

import argparse
import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def one_line(msg):
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return " ".join(msg.split())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--subject", default="bouncetag end-to-end test")
    ap.add_argument("rcpts", nargs="+")
    args = ap.parse_args()

    msg = EmailMessage()
    msg["From"] = args.sender
    msg["To"] = ", ".join(args.rcpts)
    msg["Subject"] = args.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="sender.test")
    msg.set_content("Hello from the bouncetag end-to-end test.\n")

    try:
        with smtplib.SMTP(args.host, args.port, local_hostname="client.sender.test",
                          timeout=30) as s:
            s.ehlo()
            code, text = s.mail(args.sender)
            print("MAIL %d %s" % (code, one_line(text)))
            if code >= 400:
                return 0
            accepted = 0
            for rcpt in args.rcpts:
                code, text = s.rcpt(rcpt)
                print("RCPT %s %d %s" % (rcpt, code, one_line(text)))
                accepted += code < 400
            if not accepted:
                print("DATA skipped")
                s.rset()
                return 0
            code, text = s.data(msg.as_bytes())
            print("DATA %d %s" % (code, one_line(text)))
    except (OSError, smtplib.SMTPException) as e:
        print("ERROR %s" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
