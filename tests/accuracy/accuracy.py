#!/usr/bin/env python3
"""accuracy.py - measure "bouncetag classify --json" against Sisimai's labels.

Called by tests/accuracy/run.sh (read it for the arguments). Standard
library only.

What is measured (bsd folder, one row of sisimai_labels.tsv per expected
recipient record):
  recipient   share of labelled failure rows whose recipient we printed;
              "invented" is the share of our records that no label names
              (a record for an auto-reply or ARF report is invented too)
  status      our enhanced status code equals the label's, on rows where
              the recipient was found and the label is a real code: Sisimai's
              pseudo-codes X.0.9NN are not text from the bounce
  class       our class equals the class that the corpus README maps the
              label's reason to; rows whose reason does not decide a class
              (filtered, rejected, ...) and rows marked differs(...) are
              listed for a person to judge instead
  line ends   the dos (CRLF) and mac (CR) copies give the same records as
              their bsd twins
  not/        messages that are not bounces give no record

Justified disagreements (disagreements.tsv) are reviewed rows where we think
the label is wrong. They are listed on their own and counted only in the
"adjusted" figures; the raw figures never include them.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

TARGETS = {"recipient": 98.0, "invented": 1.0, "status": 97.0, "class": 95.0}

REASON_CLASS = {}
for _cls, _reasons in {
    "recipient-invalid": "userunknown hostunknown hasmoved suspend notaccept",
    "recipient-transient": "mailboxfull",
    "sender-issue": "blocked badreputation authfailure requireptr spamdetected speeding "
    "toomanyconn norelaying securityerror failedstarttls virusdetected contenterror "
    "notcompliantrfc mesgtoobig syntaxerror",
    "transient": "expired networkerror systemerror systemfull mailererror",
}.items():
    for _r in _reasons.split():
        REASON_CLASS[_r] = _cls
NOT_FAILURE = {"vacation", "delivered", "feedback"}
AMBIGUOUS = {"filtered", "rejected", "policyviolation", "exceedlimit", "onhold", "undefined"}
PSEUDO = re.compile(r"^[245]\.0\.9\d\d$")
BATCH = 200


def classify(binary, config, paths):
    """Run classify over paths; returns {path: [record, ...]} and errors."""
    out = collections.defaultdict(list)
    errors = []
    for i in range(0, len(paths), BATCH):
        chunk = paths[i:i + BATCH]
        p = subprocess.run([binary, "--config", config, "classify", "--json"] + chunk,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            errors.append("exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[:500]))
        for line in p.stdout.decode("utf-8", errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                errors.append("not JSON: " + line[:200])
                continue
            out[rec["source"]].append(rec)
    return out, errors


def load_labels(path):
    with open(path, encoding="utf-8", errors="replace") as fp:
        lines = fp.read().splitlines()
    head = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        cols = line.split("\t")
        cols += [""] * (len(head) - len(cols))
        rows.append(dict(zip(head, cols)))
    return rows


def load_disagreements(path):
    """{(relpath, recipient, field): (label, ours, why)}"""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fp:
        for n, line in enumerate(fp, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 6 or not cols[5].strip():
                sys.exit("%s:%d: need 6 tab-separated columns with a reason" % (path, n))
            relpath, rcpt, field, label, ours, why = cols
            if field not in ("status", "class"):
                sys.exit("%s:%d: field must be status or class" % (path, n))
            out[(relpath, rcpt.lower(), field)] = (label, ours, why)
    return out


def family(relpath):
    return re.sub(r"-\d+\.eml$", "", os.path.basename(relpath))


def pct(n, d):
    return 100.0 * n / d if d else 100.0


def short(s, n=160):
    s = (s or "").replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= n else s[:n - 3] + "..."


def comparable(recs, drop=("source",)):
    """Records without the source, for the line-end comparison."""
    return sorted(json.dumps({k: v for k, v in r.items() if k not in drop}, sort_keys=True)
                  for r in recs)


def same_text(a, b):
    """Are two files the same message but for their line ends?"""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        x, y = fa.read(), fb.read()
    norm = lambda t: t.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return norm(x) == norm(y)


class Tally:
    def __init__(self):
        self.n = 0
        self.raw = 0
        self.adj = 0

    def add(self, agree, justified):
        self.n += 1
        self.raw += agree
        self.adj += agree or justified


def evaluate(args):
    corpus = args.corpus
    labels = load_labels(os.path.join(corpus, "sisimai_labels.tsv"))
    justified = load_disagreements(args.disagreements)
    used_justified = set()
    folders = {}
    for sub in ("bsd", "dos", "mac", "not"):
        d = os.path.join(corpus, "maildir", sub)
        folders[sub] = sorted(f for f in os.listdir(d) if f.endswith(".eml")) if os.path.isdir(d) else []
    paths = [os.path.join(corpus, "maildir", sub, f) for sub in folders for f in folders[sub]]
    results, errors = classify(args.bin, args.config, paths)

    def recs(sub, name):
        return results.get(os.path.join(corpus, "maildir", sub, name), [])

    by_file = collections.defaultdict(list)
    for row in labels:
        if row["relpath"].startswith("maildir/bsd/"):
            by_file[row["relpath"]].append(row)

    rcpt = Tally()
    status = Tally()
    klass = Tally()
    fam = collections.defaultdict(lambda: [0, 0, 0, 0, 0, 0])  # rows found st_n st_ok cl_n cl_ok
    missed, invented, st_bad, cl_bad, ambiguous, nonfail = [], [], [], [], [], []
    nrecords = 0
    for relpath in sorted(by_file):
        name = os.path.basename(relpath)
        ours = recs("bsd", name)
        nrecords += len(ours)
        labelled = {r["recipient"].lower() for r in by_file[relpath] if r["reason"] not in NOT_FAILURE}
        for r in ours:
            if r["recipient"] is None or r["recipient"].lower() not in labelled:
                if r["action"] in ("delivered", "relayed", "expanded", "deliverable") and any(
                        x["reason"] == "delivered" for x in by_file[relpath]):
                    continue
                invented.append((relpath, r))
        for row in by_file[relpath]:
            want = row["recipient"].lower()
            got = [r for r in ours if (r["recipient"] or "").lower() == want]
            mine = got[0] if got else None
            f = fam[family(relpath)]
            if row["reason"] in NOT_FAILURE:
                bad = [r for r in got if r["action"] not in ("delivered", "relayed", "expanded", "deliverable")]
                nonfail.append((relpath, row, bad))
                continue
            f[0] += 1
            rcpt.add(mine is not None, False)
            if mine is None:
                missed.append((relpath, row))
                continue
            f[1] += 1
            key = (relpath, want)
            if row["status"] and not PSEUDO.match(row["status"]):
                ok = mine["status"] == row["status"]
                j = justified.get(key + ("status",))
                jok = bool(j) and not ok and j[1] == (mine["status"] or "")
                if jok:
                    used_justified.add(key + ("status",))
                status.add(ok, jok)
                f[2] += 1
                f[3] += ok
                if not ok:
                    st_bad.append((relpath, row, mine, j[2] if jok else None))
            cls = REASON_CLASS.get(row["reason"])
            differs = row["p5_v5.1.0p3_check"].startswith("differs")
            if cls is None or differs:
                ambiguous.append((relpath, row, mine, differs))
                continue
            ok = mine["class"] == cls
            j = justified.get(key + ("class",))
            jok = bool(j) and not ok and j[1] == mine["class"]
            if jok:
                used_justified.add(key + ("class",))
            klass.add(ok, jok)
            f[4] += 1
            f[5] += ok
            if not ok:
                cl_bad.append((relpath, row, mine, cls, j[2] if jok else None))

    lineend = []
    recoded = []
    ntwins = 0
    for sub in ("dos", "mac"):
        for name in folders[sub]:
            ntwins += 1
            drop = ("source",)
            if not same_text(os.path.join(corpus, "maildir", "bsd", name),
                             os.path.join(corpus, "maildir", sub, name)):
                # the corpus re-encoded this twin (ISO-2022-JP to UTF-8, ...):
                # its diagnostic text differs by design, all else must not
                drop = ("source", "diagnostic")
                recoded.append("%s/%s" % (sub, name))
            a, b = comparable(recs("bsd", name), drop), comparable(recs(sub, name), drop)
            if a != b:
                lineend.append((sub, name, a, b))
    notbounce = [(n, r) for n in folders["not"] for r in recs("not", n)]
    stale = sorted(set(justified) - used_justified)
    return {
        "rcpt": rcpt, "status": status, "class": klass, "fam": fam, "missed": missed,
        "invented": invented, "nrecords": nrecords, "st_bad": st_bad, "cl_bad": cl_bad,
        "ambiguous": ambiguous, "nonfail": nonfail, "lineend": lineend, "ntwins": ntwins,
        "notbounce": notbounce, "recoded": recoded, "nnot": len(folders["not"]), "errors": errors,
        "justified": justified, "stale": stale, "nfiles": len(folders["bsd"]),
    }


def figures(e):
    """[(name, raw, adjusted, target, ok)]"""
    inv = 100.0 * len(e["invented"]) / e["nrecords"] if e["nrecords"] else 0.0
    rows = [
        ("recipient found", pct(e["rcpt"].raw, e["rcpt"].n), pct(e["rcpt"].adj, e["rcpt"].n),
         ">= %.0f%%" % TARGETS["recipient"], None),
        ("records invented", inv, inv, "< %.0f%%" % TARGETS["invented"], None),
        ("status agreement", pct(e["status"].raw, e["status"].n), pct(e["status"].adj, e["status"].n),
         ">= %.0f%%" % TARGETS["status"], None),
        ("class agreement", pct(e["class"].raw, e["class"].n), pct(e["class"].adj, e["class"].n),
         ">= %.0f%%" % TARGETS["class"], None),
    ]
    out = []
    for name, raw, adj, target, _ in rows:
        t = float(target.split()[1].rstrip("%"))
        ok = adj < t if target.startswith("<") else adj >= t
        out.append((name, raw, adj, target, ok))
    out.append(("line ends identical", len(e["lineend"]), len(e["lineend"]), "0 differences",
                not e["lineend"]))
    out.append(("not/ yields nothing", len(e["notbounce"]), len(e["notbounce"]), "0 records",
                not e["notbounce"]))
    return out


def summary(e):
    lines = ["| figure | raw | adjusted | target | |", "|---|---|---|---|---|"]
    for name, raw, adj, target, ok in figures(e):
        fmt = "%.2f%%" if "differences" not in target and "records" != target.split()[-1] else "%d"
        lines.append("| %s | %s | %s | %s | %s |" % (name, fmt % raw, fmt % adj, target,
                                                     "ok" if ok else "BELOW TARGET"))
    lines.append("")
    lines.append("Counts: %d bsd files; %d labelled failure rows, %d found; %d of our records, "
                 "%d invented; status compared on %d rows (%d agree, %d with justified "
                 "disagreements); class compared on %d rows (%d agree, %d with justified "
                 "disagreements); %d ambiguous rows listed; %d dos/mac twins compared."
                 % (e["nfiles"], e["rcpt"].n, e["rcpt"].raw, e["nrecords"], len(e["invented"]),
                    e["status"].n, e["status"].raw, e["status"].adj, e["class"].n, e["class"].raw,
                    e["class"].adj, len(e["ambiguous"]), e["ntwins"]))
    return lines


def report(e):
    L = ["# bouncetag classification accuracy on the Sisimai corpus", "",
         "Generated by `make accuracy` (tests/accuracy/run.sh). Labels: Sisimai's "
         "sisimai_labels.tsv, reasons mapped to classes as in the corpus README. Raw figures "
         "compare with the labels as they are; adjusted figures also count the reviewed rows "
         "of tests/accuracy/disagreements.tsv where we hold the label to be wrong.", ""]
    L += summary(e)
    if e["errors"]:
        L += ["", "## Errors from bouncetag", ""] + ["- " + short(x, 300) for x in e["errors"]]
    L += ["", "## By family", "", "| family | rows | recipient found | status agree | class agree |",
          "|---|---|---|---|---|"]
    for name in sorted(e["fam"]):
        f = e["fam"][name]
        L.append("| %s | %d | %d | %d/%d | %d/%d |" % (name, f[0], f[1], f[3], f[2], f[5], f[4]))
    L += ["", "## Recipients not found (%d)" % len(e["missed"]), ""]
    for relpath, row in e["missed"]:
        L.append("- %s `%s` (%s): %s" % (relpath, row["recipient"], row["reason"],
                                          short(row["diagnostic_code"])))
    L += ["", "## Records no label names (%d)" % len(e["invented"]), ""]
    for relpath, r in e["invented"]:
        L.append("- %s `%s` %s %s: %s" % (relpath, r["recipient"], r["action"], r["class"],
                                           short(r["diagnostic"])))
    L += ["", "## Auto-replies, ARF reports and delivered notices", "",
          "Rows whose Sisimai reason is vacation, feedback or delivered: a failure record for them "
          "would be wrong.", ""]
    for relpath, row, bad in e["nonfail"]:
        L.append("- %s `%s` %s: %s" % (relpath, row["recipient"], row["reason"],
                                        "failure record printed!" if bad else "no failure record"))
    L += ["", "## Status disagreements (%d)" % len(e["st_bad"]), "",
          "| file | recipient | label | ours | justified | diagnostic |", "|---|---|---|---|---|---|"]
    for relpath, row, mine, why in e["st_bad"]:
        L.append("| %s | %s | %s | %s | %s | %s |" % (
            os.path.basename(relpath), row["recipient"], row["status"], mine["status"],
            short(why, 120) if why else "", short(mine["diagnostic"], 120)))
    L += ["", "## Class disagreements (%d)" % len(e["cl_bad"]), "",
          "| file | recipient | label reason | label class | ours | rule | justified | diagnostic |",
          "|---|---|---|---|---|---|---|---|"]
    for relpath, row, mine, cls, why in e["cl_bad"]:
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            os.path.basename(relpath), row["recipient"], row["reason"], cls, mine["class"],
            mine["rule"] or mine["reason"], short(why, 120) if why else "",
            short(mine["diagnostic"], 120)))
    L += ["", "## Ambiguous rows (%d): for a person to judge" % len(e["ambiguous"]), "",
          "Sisimai's reason does not decide our class (filtered, rejected, policyviolation, "
          "exceedlimit, onhold, undefined), or another Sisimai version decided differently "
          "(differs).", "",
          "| file | recipient | label | our class | reason / rule | diagnostic |",
          "|---|---|---|---|---|---|"]
    for relpath, row, mine, differs in e["ambiguous"]:
        lab = row["reason"] + (" " + row["p5_v5.1.0p3_check"] if differs else "")
        L.append("| %s | %s | %s | %s | %s | %s |" % (
            os.path.basename(relpath), row["recipient"], short(lab, 60), mine["class"],
            mine["rule"] or mine["reason"], short(mine["diagnostic"], 200)))
    L += ["", "## Justified disagreements (%d reviewed rows)" % len(e["justified"]), "",
          "| file | recipient | field | label | ours | why |", "|---|---|---|---|---|---|"]
    for (relpath, rc, field), (lab, ours, why) in sorted(e["justified"].items()):
        L.append("| %s | %s | %s | %s | %s | %s |" % (os.path.basename(relpath), rc, field, lab,
                                                     ours, short(why, 300)))
    if e["stale"]:
        L += ["", "Entries that no longer apply (our answer changed or now agrees):", ""]
        L += ["- %s %s %s" % k for k in e["stale"]]
    L += ["", "## Line ends (%d differences of %d twins)" % (len(e["lineend"]), e["ntwins"]), "",
          "Twins that differ from their bsd file by more than line ends (the corpus re-encoded "
          "their text) are compared without the diagnostic: %s." % (", ".join(e["recoded"]) or "none"),
          ""]
    for sub, name, a, b in e["lineend"]:
        L.append("- %s/%s: bsd %s, %s %s" % (sub, name, short(" ".join(a), 200), sub,
                                              short(" ".join(b), 200)))
    L += ["", "## not/ (%d records from %d messages)" % (len(e["notbounce"]), e["nnot"]), ""]
    for name, r in e["notbounce"]:
        L.append("- %s: %s" % (name, short(json.dumps(r), 200)))
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--disagreements", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    e = evaluate(args)
    text = report(e)
    with open(args.report, "w", encoding="utf-8") as fp:
        fp.write(text)
    if args.check:
        print("\n".join(summary(e)))
    else:
        sys.stdout.write(text)
    failed = [f[0] for f in figures(e) if not f[4]]
    if e["errors"]:
        failed.append("bouncetag errors")
    print("accuracy report: %s" % args.report)
    if failed:
        print("accuracy: below target: %s" % ", ".join(failed))
        return 1 if args.check else 0
    print("accuracy: all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
