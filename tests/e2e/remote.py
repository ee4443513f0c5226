#!/usr/bin/env python3
"""remote.py - a scripted "remote" SMTP server for the end-to-end tests.

Postfix delivers everything to this server (relayhost [127.0.0.2]:PORT).
It answers RCPT TO per recipient from a table, the way a real receiving
MTA would, and records what it was asked and what it accepted so that the
tests can assert on what really reached "the internet".

    remote.py --listen 127.0.0.2:0 --table TABLE.json --record DIR

TABLE.json maps a lower-case address (or "*" for the default) to a reply:
a string of one or more lines separated by "\\n", each line exactly as
sent ("550-5.7.26 first line", "550 5.7.26 last line"). Unknown addresses
get "250 2.1.5 Ok". The table is read again for every RCPT, so a test
changes the remote's mind by replacing the file (write, then rename).

DIR/port      the port bound (written once listening: the "ready" signal)
DIR/rcpt.jsonl one JSON object per RCPT: mail_from, rcpt, reply
DIR/messages.jsonl one JSON object per accepted message: mail_from, rcpts
               (the accepted ones), data (the message text)

Standard library only; stops cleanly on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import json
import os
import signal
import time

HOSTNAME = "mx.remote.test"
MAX_LINE = 4096          # RFC 5321 says 512 for commands; be generous
MAX_DATA = 10 * 1024 * 1024


class Recorder:
    """Append-only JSON-lines records, flushed per line so tests can poll."""

    def __init__(self, directory):
        self.rcpt = open(os.path.join(directory, "rcpt.jsonl"), "a", encoding="utf-8")
        self.messages = open(os.path.join(directory, "messages.jsonl"), "a",
                             encoding="utf-8")

    @staticmethod
    def _write(f, obj):
        obj["time"] = time.time()
        f.write(json.dumps(obj) + "\n")
        f.flush()

    def rcpt_attempt(self, mail_from, rcpt, reply):
        self._write(self.rcpt, {"mail_from": mail_from, "rcpt": rcpt, "reply": reply})

    def message(self, mail_from, rcpts, data):
        self._write(self.messages, {"mail_from": mail_from, "rcpts": rcpts, "data": data})


def load_table(path):
    """The reply table; a half-written or missing file counts as empty."""
    try:
        with open(path, encoding="utf-8") as f:
            table = json.load(f)
    except (OSError, ValueError):
        return {}
    return {k.lower(): v for k, v in table.items()} if isinstance(table, dict) else {}


def reply_lines(text):
    """A table reply as a list of CRLF-terminated lines."""
    return [line.rstrip("\r") + "\r\n" for line in text.split("\n") if line.strip()]


def path_arg(arg):
    """The address inside "FROM:<addr> PARAMS" / "TO:<addr> PARAMS"."""
    arg = arg.split(":", 1)[1].strip() if ":" in arg else ""
    if arg.startswith("<"):
        end = arg.find(">")
        return arg[1:end] if end > 0 else None
    return arg.split(" ", 1)[0] if arg else None


class Session:
    def __init__(self, reader, writer, table_path, recorder):
        self.reader = reader
        self.writer = writer
        self.table_path = table_path
        self.rec = recorder
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []

    async def send(self, *lines):
        for line in lines:
            self.writer.write(line.encode("utf-8", "replace"))
        await self.writer.drain()

    async def readline(self):
        line = await self.reader.readline()
        if not line:
            return None
        return line.decode("utf-8", "replace").rstrip("\r\n")

    async def run(self):
        await self.send("220 %s ESMTP fake remote\r\n" % HOSTNAME)
        while True:
            try:
                line = await self.readline()
            except (ValueError, asyncio.LimitOverrunError):
                await self.send("500 5.5.2 Line too long\r\n")
                return
            if line is None:
                return
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            handler = getattr(self, "do_" + verb, None)
            if handler is None:
                await self.send("502 5.5.2 Error: command not recognized\r\n")
                continue
            if await handler(arg) == "quit":
                return

    async def do_EHLO(self, arg):
        self.reset()
        await self.send("250-%s\r\n" % HOSTNAME, "250-PIPELINING\r\n",
                        "250-SIZE %d\r\n" % MAX_DATA, "250-ENHANCEDSTATUSCODES\r\n",
                        "250 8BITMIME\r\n")

    async def do_HELO(self, arg):
        self.reset()
        await self.send("250 %s\r\n" % HOSTNAME)

    async def do_MAIL(self, arg):
        addr = path_arg(arg)
        if self.mail_from is not None:
            await self.send("503 5.5.1 Error: nested MAIL command\r\n")
        elif addr is None:
            await self.send("501 5.5.4 Syntax: MAIL FROM:<address>\r\n")
        else:
            self.mail_from = addr
            self.rcpts = []
            await self.send("250 2.1.0 Ok\r\n")

    async def do_RCPT(self, arg):
        addr = path_arg(arg)
        if self.mail_from is None:
            await self.send("503 5.5.1 Error: need MAIL command\r\n")
            return
        if not addr:
            await self.send("501 5.5.4 Syntax: RCPT TO:<address>\r\n")
            return
        table = load_table(self.table_path)
        reply = table.get(addr.lower(), table.get("*", "250 2.1.5 Ok"))
        lines = reply_lines(reply)
        self.rec.rcpt_attempt(self.mail_from, addr, "".join(lines).strip())
        if lines[-1].startswith("2"):
            self.rcpts.append(addr)
        await self.send(*lines)

    async def do_DATA(self, arg):
        if not self.rcpts:
            await self.send("554 5.5.1 Error: no valid recipients\r\n")
            return
        await self.send("354 End data with <CR><LF>.<CR><LF>\r\n")
        data, size = [], 0
        while True:
            line = await self.readline()
            if line is None:
                return "quit"
            if line == ".":
                break
            if line.startswith("."):
                line = line[1:]
            size += len(line) + 2
            if size <= MAX_DATA:
                data.append(line)
        if size > MAX_DATA:
            await self.send("552 5.3.4 Error: message too large\r\n")
        else:
            self.rec.message(self.mail_from, self.rcpts, "\n".join(data) + "\n")
            await self.send("250 2.0.0 Ok: queued\r\n")
        self.reset()

    async def do_RSET(self, arg):
        self.reset()
        await self.send("250 2.0.0 Ok\r\n")

    async def do_NOOP(self, arg):
        await self.send("250 2.0.0 Ok\r\n")

    async def do_VRFY(self, arg):
        await self.send("252 2.0.0 Send some mail, I'll try my best\r\n")

    async def do_QUIT(self, arg):
        await self.send("221 2.0.0 Bye\r\n")
        return "quit"


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.2:0", help="HOST:PORT (port 0: any)")
    ap.add_argument("--table", required=True, help="JSON file: address -> reply")
    ap.add_argument("--record", required=True, help="directory for the records")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    recorder = Recorder(args.record)

    async def serve(reader, writer):
        try:
            await Session(reader, writer, args.table, recorder).run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, host, int(port), limit=MAX_LINE)
    bound = server.sockets[0].getsockname()[1]
    tmp = os.path.join(args.record, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % bound)
    os.rename(tmp, os.path.join(args.record, "port"))

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
