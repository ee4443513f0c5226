#!/usr/bin/env python3
"""jsonq.py - evaluate a Python expression over JSON read from a file or stdin.

    jsonq.py EXPR [FILE]

The input is one JSON document, or JSON lines (one object per line). EXPR
sees "j" (the document, or the list of lines) and "lines" (always a list);
it may span lines (it is evaluated in parentheses). The result is printed:
strings bare, booleans as "true"/"false", lists one item per line, anything
else as JSON. Exit status 1 when EXPR is false or None (so it doubles as a
test), 2 on unreadable input or a bad expression.
The end-to-end tests use it instead of jq, which a fresh Debian lacks.
"""

import json
import sys


def load(text):
    text = text.strip()
    if not text:
        return [], []
    try:
        doc = json.loads(text)
        return doc, [doc]
    except ValueError:
        lines = [json.loads(l) for l in text.splitlines() if l.strip()]
        return lines, lines


def show(value):
    if isinstance(value, bool):
        print("true" if value else "false")
    elif isinstance(value, str):
        print(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        for v in value:
            print(v)
    else:
        print(json.dumps(value))


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if len(sys.argv) == 3:
            with open(sys.argv[2], encoding="utf-8") as f:
                text = f.read()
        else:
            text = sys.stdin.read()
        j, lines = load(text)
        value = eval("(" + sys.argv[1] + "\n)", {"__builtins__": __builtins__}, {"j": j, "lines": lines})
    except Exception as e:  # a test helper: report anything, never traceback
        print("jsonq: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 2
    show(value)
    return 1 if value is None or value is False else 0


if __name__ == "__main__":
    sys.exit(main())
