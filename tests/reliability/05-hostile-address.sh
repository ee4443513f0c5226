#!/bin/sh
# shellcheck disable=SC2154 # pid_NAME variables are set by rel_start through eval
# 05-hostile-address.sh BUILD - claim 5 (part): addresses that try to break
# quoting, SQL, CSV, JSON, LIKE patterns or option parsing are data, in the
# CLI, in the store and through the milter. tests/cli/run.sh covers one
# (o'brien;"drop"@evil.example through add/check); this adds the rest:
#   - each hostile address can be added, is found by check/show exactly as
#     normalised, survives export --json (strict UTF-8 JSON) and --csv
#     (read back by a CSV reader) unchanged, and can be released with a
#     hostile --why; no other row appears or changes and the schema stays;
#   - the longest address that fits (319 bytes) works; 320 bytes and
#     10,000 bytes are refused with a message, exit 2 or 1, and nothing
#     stored; list --domain with LIKE wildcards matches nothing;
#   - through the milter: RCPT TO each suppressed hostile address gets
#     550, a 10,000-byte RCPT gets continue, and a DSN for a hostile
#     address is learned under exactly that address.
# shellcheck source=tests/reliability/lib.sh
. "$(dirname "$0")/lib.sh"
rel_init address "${1:?usage: $0 BUILD}"

rel_mkdir "$tmp/store"
db=$tmp/store/bt.db
rel_conf m "$db"
rel_start m || exit 1
bt() { rel_cli m "$@"; }

long319=$(python3 -c 'print("l" * (319 - len("@long.example")) + "@long.example")')
long320=$(python3 -c 'print("l" * (320 - len("@long.example")) + "@long.example")')
long10k=$(python3 -c 'print("l" * 10000 + "@long.example")')
cat > "$tmp/evil.txt" <<'EOF'
x');DROP/**/TABLE/**/suppressions;--@evil.example
o'brien;"drop"@evil.example
a,b"c,,"@csv.example
%_*?[]@like.example
\\back\slash@evil.example
{"json":1}@evil.example
$(touch${IFS}/tmp/pwned)`id`@shell.example
EOF
printf '%s\n' "$long319" "ünïcødé@exämple.example" >> "$tmp/evil.txt"

# (addresses with white space are not addresses by addr.h's rules: refused)
while IFS= read -r a; do
	bt add "$a" --tag "t'ag;--" --reason 'r"e,a\son' >> "$tmp/add.out" 2>&1 ||
		echo "    add $a failed: $(tail -1 "$tmp/add.out")"
done < "$tmp/evil.txt"

python3 - "$tmp/evil.txt" > "$tmp/expect.txt" <<'PY'
import sys
for a in open(sys.argv[1], encoding="utf-8").read().splitlines():
    print(a.lower())  # the normaliser lowercases the whole address
PY

# check and show find each address exactly as normalised
bad=""
while IFS= read -r a; do
	out=$(bt check --json "$a" 2>&1)
	if ! printf '%s' "$out" | python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert o["suppressed"] is True and o["recipient"] == sys.argv[1].lower(), o' "$a" 2> /dev/null; then
		bad="$bad [$a: $(printf '%s' "$out" | head -c 200)]"
	fi
done < "$tmp/evil.txt"
[ -z "$bad" ]
check check-each "$(wc -l < "$tmp/evil.txt") hostile addresses added and found exactly${bad:+; not found or changed:$bad}"

bt export --json > "$tmp/export.json"
bt export --csv > "$tmp/export.csv"
python3 - "$tmp/expect.txt" "$tmp/export.json" "$tmp/export.csv" <<'PY'
import csv, json, sys
want = set(open(sys.argv[1], encoding="utf-8").read().splitlines())
js = [json.loads(l) for l in open(sys.argv[2], "rb").read().decode("utf-8").splitlines()]
got_json = {o["recipient"] for o in js}
rows = list(csv.reader(open(sys.argv[3], encoding="utf-8", newline="")))
head, body = rows[0], rows[1:]
got_csv = {r[head.index("recipient")] for r in body}
tags = {o["tag"] for o in js}
problems = []
if got_json != want:
    problems.append("json: missing %s extra %s" % (sorted(want - got_json), sorted(got_json - want)))
if got_csv != want:
    problems.append("csv: missing %s extra %s" % (sorted(want - got_csv), sorted(got_csv - want)))
if tags != {"t'ag;--"}:
    problems.append("tags changed: %s" % sorted(tags))
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
check export-round-trip "export --json and --csv give back exactly the $(wc -l < "$tmp/expect.txt") addresses and the tag"

a=$(head -1 "$tmp/evil.txt")
bt release "$a" --why "'); DELETE FROM events;--" > /dev/null 2>&1
out=$(bt show --json "$a" 2>&1)
printf '%s' "$out" | python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert o["suppression"]["state"] == "released", o["suppression"]
assert o["suppression"]["release_why"] == "'"'"'); DELETE FROM events;--", o["suppression"]' 2> /dev/null
check release-hostile-why "released with a hostile --why, recorded verbatim"

tables=$(rel_sql "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)")
rows=$(rel_sql "$db" "SELECT count(*) FROM suppressions")
events=$(rel_sql "$db" "SELECT count(*) FROM events")
[ "$tables" = "events sent suppressions" ] && [ "$rows" -eq "$(wc -l < "$tmp/evil.txt")" ] &&
	[ "$events" -eq $((rows + 1)) ]
check store-intact "tables: $tables; $rows suppressions, $events events (one per add, one release)"

for v in "$long320" "$long10k"; do
	out=$(bt add "$v" --tag manual 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ -n "$out" ] && [ "$(rel_sql "$db" "SELECT count(*) FROM suppressions")" -eq "$rows" ]; then
		pass "too-long-${#v}" "refused, exit $rc: $(printf '%s' "$out" | head -c 120)"
	else
		fail "too-long-${#v}" "exit $rc, output '$(printf '%s' "$out" | head -c 120)'"
	fi
done

out=$(bt list --domain '%' --json 2>&1)
out2=$(bt list --domain '_ike.example' --json 2>&1)
[ -z "$out" ] && [ -z "$out2" ]
check like-wildcards "list --domain '%' and '_ike.example' match nothing${out:+ (got: $(printf '%s' "$out" | head -c 100))}"
[ ! -e /tmp/pwned ]
check no-shell "no command ran from an address"

# through the milter
ans=$($miltc "unix:$tmp/m.sock" rcpt "x');DROP/**/TABLE/**/suppressions;--@evil.example" \
	'o'"'"'brien;"drop"@evil.example' "$long319" "$long10k" | tr '\n' '|')
python3 - "$ans" <<'PY'
import sys
a = [x for x in sys.argv[1].split("|") if x]
# the first is released now: continue; then two 550s; the 10,000-byte one passes
ok = len(a) == 4 and a[0] == "continue" and a[1].startswith("reply 550 5.7.1") \
    and a[2].startswith("reply 550 5.7.1") and a[3] == "continue"
print(a)
sys.exit(0 if ok else 1)
PY
check milter-rcpt "released one passes, suppressed hostile ones get 550, a 10,000-byte RCPT passes"

evil_dsn='o'"'"'reilly;--"x"@dsn.example'
python3 - "$fixtures/milter/whitelist.eml" "$tmp/evil.eml" "$evil_dsn" <<'PY'
import sys
src, out, addr = sys.argv[1:]
data = open(src, "rb").read().replace(b"ceo@policy.example", addr.encode())
open(out, "wb").write(data)
PY
ans=$($miltc "unix:$tmp/m.sock" dsn "$tmp/evil.eml")
out=$(bt check --json "$evil_dsn" 2>&1)
[ "$ans" = continue ] && printf '%s' "$out" | python3 -c '
import json, sys
o = json.loads(sys.stdin.read()); assert o["suppressed"] and o["recipient"] == sys.argv[1], o' "$evil_dsn" 2> /dev/null
check milter-dsn "DSN for $evil_dsn: $ans, suppressed under exactly that address"

# An address that begins with '-' is a valid address the milter learns
# from a DSN like any other; the operator must be able to release it.
python3 - "$fixtures/milter/whitelist.eml" "$tmp/dash.eml" <<'PY'
import sys
open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read().replace(b"ceo@policy.example",
                                                                     b"-dash@evil.example"))
PY
ans=$($miltc "unix:$tmp/m.sock" dsn "$tmp/dash.eml")
out1=$(bt release -- -dash@evil.example --why test 2>&1)
rc1=$?
out2=$(bt release -dash@evil.example --why test 2>&1)
rc2=$?
out3=$(bt check --json -- -dash@evil.example 2>&1)
if [ "$ans" = continue ] && { [ $rc1 -eq 0 ] || [ $rc2 -eq 0 ]; } &&
	printf '%s' "$out3" | grep -q '"suppressed":false'; then
	pass dash-address-releasable "learned from a DSN, released with the CLI"
else
	fail dash-address-releasable "DSN for -dash@evil.example: $ans; 'release -- -dash@evil.example': exit $rc1 ($(printf '%s' "$out1" | head -1)); 'release -dash@evil.example': exit $rc2 ($(printf '%s' "$out2" | head -1)); check: $(printf '%s' "$out3" | head -1)"
fi

if rel_stop "$pid_m"; then pass clean-stop; else fail clean-stop "exit status $?"; fi
rel_done
