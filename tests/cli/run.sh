#!/bin/sh
# run.sh BUILD - the bouncetag command against its contract (DESIGN.md) on a
# private config and database: classify's JSON fields, exit statuses,
# errors that name the input, list/show/check/release/add/stats/export,
# and addresses that try to break quoting.
set -u
build=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
tmp=$(mktemp -d /tmp/bouncetag-cli-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
bt="$build/bouncetag"
printf 'Database %s/bt.db\nRulesFile %s/conf/rules.conf\n' "$tmp" "$top" > "$tmp/bt.conf"
export BOUNCETAG_CONFIG="$tmp/bt.conf"
passed=0
failed=0

ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# json_keys FILE: every line is a JSON object with the contract's keys and types
json_check() {
	python3 - "$1" <<'PY'
import json, sys
need = {"recipient": (str, type(None)), "action": (str, type(None)), "status": (str, type(None)),
        "reply_code": (int, type(None)), "class": (str,), "reason": (str,),
        "rule": (str, type(None)), "diagnostic": (str,), "source": (str,)}
classes = {"recipient-policy", "sender-issue", "recipient-invalid", "recipient-transient",
           "transient", "unclassified"}
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines, "no output"
for line in lines:
    o = json.loads(line)
    for k, types in need.items():
        assert k in o, "missing key " + k
        assert isinstance(o[k], types), "bad type for " + k
    assert o["class"] in classes, o["class"]
PY
}

# 1. --line: one object, source "-", the contract's fields
"$bt" classify --json --line '554 5.7.1 <ceo@example.com>: sender not on approved sender list' > "$tmp/o" 2>&1
if [ $? -eq 0 ] && json_check "$tmp/o" && grep -q '"source":"-"' "$tmp/o" &&
	grep -q '"reply_code":554' "$tmp/o" && grep -q '"status":"5.7.1"' "$tmp/o" &&
	grep -q '"recipient":null' "$tmp/o"; then
	ok classify-line-contract
else
	bad classify-line-contract "$(cat "$tmp/o")"
fi

# 2. a file: one object per recipient, source = the path as given
cd "$top/tests/fixtures" || exit 1
"$bt" classify --json dsn/postfix-multi-rcpt.eml > "$tmp/o" 2>&1
if [ $? -eq 0 ] && json_check "$tmp/o" && [ "$(wc -l < "$tmp/o")" -eq 4 ] &&
	[ "$(grep -c '"source":"dsn/postfix-multi-rcpt.eml"' "$tmp/o")" -eq 4 ]; then
	ok classify-file-one-line-per-recipient
else
	bad classify-file-one-line-per-recipient "$(cat "$tmp/o")"
fi

# 3. standard input: source "-"
"$bt" classify --json < dsn/postfix-delayed.eml > "$tmp/o" 2>&1
if [ $? -eq 0 ] && json_check "$tmp/o" && grep -q '"source":"-"' "$tmp/o" &&
	grep -q '"action":"delayed"' "$tmp/o"; then
	ok classify-stdin
else
	bad classify-stdin "$(cat "$tmp/o")"
fi

# 4. not a bounce: nothing, exit 0
out=$("$bt" classify --json dsn/not-a-bounce.eml 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then ok classify-not-a-bounce; else bad classify-not-a-bounce "$out"; fi

# 5. unreadable input: non-zero, the message names the file
out=$("$bt" classify --json /nonexistent/x.eml 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q '/nonexistent/x.eml'; then
	ok classify-unreadable
else
	bad classify-unreadable "rc=$rc $out"
fi
cd "$top" || exit 1

# 6. add, check, list (table, json, csv, filters), release with --why, show
"$bt" add ceo@policy.example --tag requires-whitelist > /dev/null &&
	"$bt" add gone@invalid.example --tag user-unknown --class recipient-invalid > /dev/null
"$bt" check ceo@policy.example > /dev/null; rc1=$?
"$bt" check someone@else.example > /dev/null; rc2=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 1 ]; then ok check-exit-status; else bad check-exit-status "$rc1 $rc2"; fi

out=$("$bt" list --class recipient-invalid --json)
if echo "$out" | grep -q gone@invalid.example && ! echo "$out" | grep -q ceo@policy.example; then
	ok list-class-filter
else
	bad list-class-filter "$out"
fi
out=$("$bt" list --domain policy.example --csv)
if [ "$(echo "$out" | head -1 | cut -d, -f1-3)" = "recipient,tag,class" ] &&
	echo "$out" | grep -q '^ceo@policy.example,requires-whitelist,recipient-policy'; then
	ok list-csv-domain-filter
else
	bad list-csv-domain-filter "$out"
fi
out=$("$bt" list --tag requires-whitelist)
if echo "$out" | grep -q 'RECIPIENT' && echo "$out" | grep -q ceo@policy.example; then
	ok list-table
else
	bad list-table "$out"
fi

out=$("$bt" release ceo@policy.example 2>&1); rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q -- '--why'; then ok release-needs-why; else bad release-needs-why "$rc $out"; fi
"$bt" release ceo@policy.example --why 'whitelisted us' --by alice > /dev/null
"$bt" check ceo@policy.example > /dev/null; rc=$?
out=$("$bt" show --json ceo@policy.example)
if [ $rc -eq 1 ] && echo "$out" | grep -q '"released_by":"alice"' &&
	echo "$out" | grep -q '"action":"released"'; then
	ok release-recorded
else
	bad release-recorded "$rc $out"
fi
out=$("$bt" list --all --json)
if echo "$out" | grep -q '"state":"released"'; then ok list-all-shows-released; else bad list-all-shows-released "$out"; fi

# 7. addresses that try to break quoting are data, not SQL or JSON
evil="o'brien;\"drop\"@evil.example"
"$bt" add "$evil" --tag manual > /dev/null
out=$("$bt" check --json "$evil")
if [ $? -eq 0 ] && echo "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["recipient"]=="o'"'"'brien;\"drop\"@evil.example", o' 2>/dev/null; then
	ok hostile-address
else
	bad hostile-address "$out"
fi

# 7b. an address that begins with '-' is an address, not an option
"$bt" add -dash@evil.example --tag manual > /dev/null 2>&1
"$bt" release -dash@evil.example --why 'asked us to' > "$tmp/o" 2>&1; rc=$?
out=$("$bt" check --json -- -dash@evil.example)
if [ $rc -eq 0 ] && echo "$out" | grep -q '"recipient":"-dash@evil.example","suppressed":false'; then
	ok dash-address
else
	bad dash-address "release: $rc $(cat "$tmp/o"); check: $out"
fi

# 8. stats and export
out=$("$bt" stats --json)
if echo "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["active"]["recipient-invalid"]==1' 2>/dev/null; then
	ok stats-json
else
	bad stats-json "$out"
fi
if [ "$("$bt" export | wc -l)" -eq 4 ]; then ok export-all-rows; else bad export-all-rows "$("$bt" export)"; fi

# 9. a bad config names file and line
printf 'Database %s/bt.db\nFrobnicate yes\n' "$tmp" > "$tmp/bad.conf"
out=$("$bt" --config "$tmp/bad.conf" list 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "bad.conf:2: unknown key 'Frobnicate'"; then
	ok bad-config-named
else
	bad bad-config-named "$rc $out"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
