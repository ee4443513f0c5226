#!/bin/sh
# shellcheck disable=SC2154 # pid_NAME variables are set by rel_start through eval
# 01-store-outage.sh BUILD - claim 1: store outages.
#
# Two milters share one database: "a" with the default StoreFailMode
# accept, "b" with StoreFailMode tempfail. For each outage the test sends
# DSNs (new recipients, as Postfix's DSN cleanup) and RCPT TO probes (one
# suppressed recipient, one never suppressed) to both, and then ends the
# outage and resends every tempfailed DSN as Postfix would. It asserts:
#   - a DSN is never rejected or discarded: it is learned (continue) or
#     tempfailed with 451 4.3.0, and tempfailed where the store cannot
#     take it (unwritable, locked past the 5 s busy timeout, corrupt, disk
#     full, directory gone);
#   - enforcement either reads the store (550 for the suppressed one,
#     continue for the other) or, when it cannot, follows StoreFailMode:
#     continue on "a", 451 4.3.0 on "b"; never a 550 for the clean one;
#   - after the outage every result of the scenario is in the store
#     exactly once (export: one row with hits 1; one event), including the
#     ones acknowledged during the outage;
#   - both milters are alive at the end.
# Outages: unwritable (chmod 0444 db, 0555 directory: under the running
# milter, then across a restart), locked by another writer for 2 s and
# for 8 s (BEGIN IMMEDIATE held by sqlite3), corrupt (garbage over the
# pages, then over the header too; restored from a backup by rename), disk
# full (a 1 MB tmpfs; root only), deleted (the files; the files during a
# learning load; the whole directory).
# shellcheck source=tests/reliability/lib.sh
. "$(dirname "$0")/lib.sh"
rel_init outage "${1:?usage: $0 BUILD}"

store=$tmp/store
db=$store/bt.db
rel_mkdir "$store"
rel_conf a "$db"
rel_conf b "$db" "StoreFailMode tempfail"
rel_start a || exit 1
rel_start b || exit 1
ia=a # the milters the probes go to, and their database
ib=b
cur_db=$db
tf_dsn="reply 451 4.3.0 bouncetag: result store unavailable"
tf_rcpt="reply 451 4.3.0 suppression list unavailable, try again later"

# dsns SCEN N: N new DSNs for rN-SCEN@outage.example through milter $ia;
# "ADDR ANSWER SECONDS" lines appended to $tmp/SCEN.ans
dsns() {
	i=1
	while [ "$i" -le "$2" ]; do
		addr=r$i-$1@outage.example
		rel_dsn "$addr" "$tmp/$addr.eml"
		printf '%s ' "$addr" >> "$tmp/$1.ans"
		$miltc -T -t 60 "unix:$tmp/$ia.sock" dsn "$tmp/$addr.eml" >> "$tmp/$1.ans"
		i=$((i + 1))
	done
}

# expect_dsn SCEN tempfail|nolose|continue
expect_dsn() {
	bad=$(python3 - "$tmp/$1.ans" "$2" "$tf_dsn" <<'PY'
import sys
path, mode, tf = sys.argv[1:]
for line in open(path):
    addr, rest = line.split(" ", 1)
    answer = rest.rsplit(" ", 1)[0]
    ok = {"tempfail": answer == tf,
          "continue": answer in ("continue", "accept"),
          "nolose": answer in ("continue", "accept", tf)}[mode]
    if not ok:
        print("%s answered %r" % (addr, answer))
PY
)
	summary=$(awk '{ $1 = ""; $NF = ""; print }' "$tmp/$1.ans" | sort | uniq -c | tr -s ' ' |
		tr '\n' ';')
	if [ -z "$bad" ]; then
		pass "$1-dsn-$2" "$summary"
	else
		fail "$1-dsn-$2" "$bad"
	fi
}

# expect_rcpt SCEN readable|down|any|empty: RCPT probes on both milters
# (empty: the store reads, and the suppressed recipient went with the file)
expect_rcpt() {
	ans_a=$($miltc -T "unix:$tmp/$ia.sock" rcpt seed@policy.example clean@never.example | tr '\n' '|')
	ans_b=$($miltc -T "unix:$tmp/$ib.sock" rcpt seed@policy.example clean@never.example | tr '\n' '|')
	res=$(python3 - "$2" "$ans_a" "$ans_b" "$tf_rcpt" <<'PY'
import sys
mode, a, b, tf = sys.argv[1:]
def ans(s):
    return [x.rsplit(" ", 1)[0] for x in s.split("|") if x]
a, b = ans(a), ans(b)
rej = lambda x: x.startswith("reply 550 5.7.1 recipient suppressed by bouncetag")
cont = lambda x: x == "continue"
tmp = lambda x: x == tf
readable = len(a) == 2 and len(b) == 2 and rej(a[0]) and cont(a[1]) and rej(b[0]) and cont(b[1])
down = len(a) == 2 and len(b) == 2 and cont(a[0]) and cont(a[1]) and tmp(b[0]) and tmp(b[1])
# "any": each milter either read the store or followed its fail mode, never a
# wrong refusal: the clean recipient is never rejected
anyok = (len(a) == 2 and len(b) == 2 and (rej(a[0]) or cont(a[0])) and cont(a[1])
         and (rej(b[0]) or tmp(b[0])) and (cont(b[1]) or tmp(b[1])))
empty = len(a) == 2 and len(b) == 2 and all(cont(x) for x in a + b)
ok = {"readable": readable, "down": down, "any": anyok, "empty": empty}[mode]
print("ok" if ok else "bad", "read the store" if readable else "fail mode" if down else "mixed",
      "| a:", a, "| b:", b)
PY
)
	case $res in
	ok*) pass "$1-rcpt-$2" "${res#ok }" ;;
	*) fail "$1-rcpt-$2" "${res#bad }" ;;
	esac
}

# recover SCEN: resend each tempfailed DSN until it is learned (5 tries, 1 s
# apart), then every address of the scenario must be stored exactly once
recover() {
	left=0
	tries=0
	for addr in $(grep -F "$tf_dsn" "$tmp/$1.ans" | cut -d' ' -f1); do
		n=0
		while [ $n -lt 5 ]; do
			n=$((n + 1))
			tries=$((tries + 1))
			[ "$($miltc "unix:$tmp/$ia.sock" dsn "$tmp/$addr.eml")" = continue ] && break
			sleep 1
		done
		[ $n -ge 5 ] && left=$((left + 1))
	done
	cut -d' ' -f1 "$tmp/$1.ans" > "$tmp/$1.addrs"
	if [ $left -eq 0 ] && rel_once "$ia" "$cur_db" "$tmp/$1.addrs" > "$tmp/$1.once"; then
		pass "$1-exactly-once" "$(wc -l < "$tmp/$1.addrs") results, $tries resend(s)"
	else
		fail "$1-exactly-once" "$left DSN(s) still tempfailed after 5 resends; $(cat "$tmp/$1.once")"
	fi
}

# A look-up may answer from a replaced database file for up to a second
# (milter/pool.c checks a reader's file at most once a second; a writer's
# every time): wait that out before probing RCPT after a file is replaced.
past_recheck() {
	sleep 1.2
}

restart_both() {
	rel_stop "$pid_a"
	rel_stop "$pid_b"
	rel_start a && rel_start b
}

# --- the store works: a suppressed recipient to probe ---------------------
rel_dsn seed@policy.example "$tmp/seed.eml"
[ "$($miltc "unix:$tmp/a.sock" dsn "$tmp/seed.eml")" = continue ] || fail seed "not learned"
: > "$tmp/healthy.ans"
expect_rcpt healthy readable

# --- unwritable -------------------------------------------------------------
# Under the running milter its open handles keep working (an open file
# stays writable): a DSN may be learned through them or tempfailed, and
# nothing may be lost. Started on an unwritable store, learning tempfails.
chmod 0444 "$db"
chmod 0555 "$store"
dsns unwritable-live 2
expect_dsn unwritable-live nolose
expect_rcpt unwritable-live any
restart_both || exit 1
dsns unwritable 2
expect_dsn unwritable tempfail
expect_rcpt unwritable any
chmod 0644 "$db"
chmod 0755 "$store"
recover unwritable-live
recover unwritable

# --- locked by another writer -------------------------------------------------
# lock SECONDS: sqlite3 holds BEGIN IMMEDIATE that long (in the background)
lock() {
	rm -f "$tmp/lock.out"
	(
		echo 'BEGIN IMMEDIATE;'
		echo "SELECT 'locked';"
		sleep "$1"
		echo 'COMMIT;'
	) | rel_as_owner sqlite3 -cmd '.timeout 10000' "$db" > "$tmp/lock.out" 2>&1 &
	lock_pid=$!
	rel_pids="$rel_pids $lock_pid"
	i=0
	until grep -q locked "$tmp/lock.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { fail lock "sqlite3 did not take the lock"; return 1; }
		sleep 0.05
	done
}
unlock_wait() {
	wait "$lock_pid"
	rel_forget "$lock_pid"
}

lock 2
dsns lock-2s 1
expect_rcpt lock-2s readable
unlock_wait
expect_dsn lock-2s continue
secs=$(awk '{ print $NF }' "$tmp/lock-2s.ans")
if awk -v s="$secs" 'BEGIN { exit !(s >= 1.0 && s < 5.0) }'; then
	pass lock-2s-delayed "learned after waiting ${secs}s for the lock"
else
	fail lock-2s-delayed "answered after ${secs}s (expected 1-5 s: waited for the 2 s lock)"
fi
recover lock-2s

lock 8
dsns lock-8s 1
expect_rcpt lock-8s readable
unlock_wait
expect_dsn lock-8s tempfail
note "lock-8s: tempfailed after $(awk '{ print $NF }' "$tmp/lock-8s.ans")s (busy timeout 5 s)"
recover lock-8s

# --- corrupt ------------------------------------------------------------------
rel_as_owner sqlite3 "$db" ".backup $store/backup.db"
rel_as_owner sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
pages=$(($(stat -c %s "$db") / 4096))
dd if=/dev/urandom of="$db" bs=4096 seek=1 count=$((pages - 1)) conv=notrunc 2> /dev/null
dsns corrupt-pages 2
expect_dsn corrupt-pages tempfail
expect_rcpt corrupt-pages down
dd if=/dev/urandom of="$db" bs=4096 count=1 conv=notrunc 2> /dev/null
dsns corrupt-header 2
expect_dsn corrupt-header tempfail
expect_rcpt corrupt-header down
if rel_alive "$pid_a" && rel_alive "$pid_b"; then
	pass corrupt-survived "both milters alive"
else
	fail corrupt-survived "a milter died on the corrupt database"
fi
# the operator restores last night's backup: by rename, as one should
mkdir "$tmp/corrupt-aside"
mv "$db" "$db-wal" "$db-shm" "$tmp/corrupt-aside/" 2> /dev/null
cp "$store/backup.db" "$store/restore.tmp"
[ -n "$rel_owner" ] && chown "$rel_owner:$rel_group" "$store/restore.tmp"
mv "$store/restore.tmp" "$db"
past_recheck
expect_rcpt corrupt-restored readable
recover corrupt-pages
recover corrupt-header

# --- disk full ----------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	skip disk-full "needs root to mount a tmpfs"
elif ! mkdir "$tmp/full" || ! mount -t tmpfs -o size=1m,mode=0755 tmpfs "$tmp/full"; then
	skip disk-full "cannot mount a tmpfs here"
else
	rel_mounts="$tmp/full $rel_mounts"
	rel_mkdir "$tmp/full/store"
	fdb=$tmp/full/store/bt.db
	rel_conf c "$fdb"
	rel_conf d "$fdb" "StoreFailMode tempfail"
	rel_start c && rel_start d || exit 1
	[ "$($miltc "unix:$tmp/c.sock" dsn "$tmp/seed.eml")" = continue ] || fail disk-full-seed "not learned"
	rel_as_owner sqlite3 "$fdb" 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
	dd if=/dev/zero of="$tmp/full/filler" bs=4096 2> /dev/null
	note "disk-full: $(df -k "$tmp/full" | awk 'NR == 2 { print $4 }') kB left on a $(df -k "$tmp/full" | awk 'NR == 2 { print $2 }') kB tmpfs"
	ia=c
	ib=d
	cur_db=$fdb
	dsns disk-full 2
	expect_dsn disk-full tempfail
	expect_rcpt disk-full readable
	rm -f "$tmp/full/filler"
	recover disk-full
	ia=a
	ib=b
	cur_db=$db
	if rel_stop "$pid_c" && rel_stop "$pid_d"; then
		pass disk-full-clean-stop
	else
		fail disk-full-clean-stop "a milter on the full disk did not stop cleanly"
	fi
fi

# --- deleted ------------------------------------------------------------------
# The files go (an operator's rm): the milter must not write into the
# deleted inode. What it acknowledges must be in the database that is at
# the configured path afterwards, where the CLI and everyone else look.
rm -f "$db" "$db-wal" "$db-shm"
dsns deleted 2
expect_dsn deleted nolose
past_recheck
expect_rcpt deleted empty
recover deleted

# The same while DSNs are being learned on 16 connections. The files are
# removed while a marker event is committed (miltc.py dsn_load): the old
# file (kept through a hard link) then tells which results were committed
# before the rm (the operator deleted those) and which after it. Every DSN
# acknowledged must be in the new database, or in the old one below the
# marker. One committed into the deleted file after the rm and then
# acknowledged is lost: the milter must notice that the handle's file has
# gone and record it again, or tempfail.
rel_mkdir "$tmp/deleted-old"
$miltc "unix:$tmp/a.sock" dsnload 5 16 "$fixtures/milter/whitelist.eml" dl "$tmp/deleted-load.ans" 2.5 \
	"$db" "$tmp/deleted-old"
# (read copies as root: nothing must create root-owned files beside the live ones)
mkdir "$tmp/deleted-copy"
cp "$tmp/deleted-old/"* "$tmp/deleted-copy/"
rel_sql "$db" "SELECT recipient, max(id) FROM events GROUP BY recipient" > "$tmp/deleted-new.ids"
python3 - "$tmp/deleted-load.ans" "$tmp/deleted-new.ids" "$tmp/deleted-copy/bt.db" \
	> "$tmp/deleted-load.res" 2>&1 <<'PY'
import sqlite3, sys
answers, new, old = sys.argv[1:]
new = dict(l.strip().split("|") for l in open(new) if l.strip())
c = sqlite3.connect(old, timeout=30)
old = dict(c.execute("SELECT recipient, max(id) FROM events GROUP BY recipient"))
c.close()
marker = old["unlink-marker"]
n = {"new": 0, "old-before": 0, "lost-after": 0, "lost-nowhere": 0, "tempfail": 0, "wrong": 0}
for line in open(answers):
    if not line.strip():
        continue
    addr, ans = line.split()
    if ans.startswith("reply_451_4.3.0"):
        n["tempfail"] += 1
    elif ans != "continue":
        n["wrong"] += 1
        print("    %s answered %s" % (addr, ans))
    elif addr in new:
        n["new"] += 1
    elif addr in old and old[addr] < marker:
        n["old-before"] += 1
    elif addr in old:
        n["lost-after"] += 1
        if n["lost-after"] <= 5:
            print("    lost: %s acknowledged, committed into the deleted file after the rm" % addr)
    else:
        n["lost-nowhere"] += 1
        print("    lost: %s acknowledged, in neither file" % addr)
print("learned into the new file %(new)d, into the old file before the rm %(old-before)d, "
      "acknowledged but committed into the deleted file after the rm %(lost-after)d, "
      "in neither %(lost-nowhere)d; tempfailed %(tempfail)d, wrong answers %(wrong)d" % n)
sys.exit(1 if n["lost-after"] or n["lost-nowhere"] or n["wrong"] else 0)
PY
res=$?
grep -v '^learned into' "$tmp/deleted-load.res" | head -8
if [ $res -eq 0 ]; then
	pass deleted-under-load "$(tail -1 "$tmp/deleted-load.res")"
else
	fail deleted-under-load "$(tail -1 "$tmp/deleted-load.res")"
fi

# The directory goes too: nothing can be opened until it is back.
rm -rf "$store"
dsns deleted-dir 2
expect_dsn deleted-dir tempfail
past_recheck
expect_rcpt deleted-dir down
rel_mkdir "$store"
recover deleted-dir

# --- the milters lived through it all --------------------------------------
for n in a b; do
	eval "p=\$pid_$n"
	if rel_alive "$p"; then
		pass "milter-$n-alive" "VmHWM $(rel_vm "$p" VmHWM) kB"
	else
		fail "milter-$n-alive" "milter $n died; log: $(tail -3 "$tmp/$n.log")"
	fi
done
if [ "$rel_failed" -ne 0 ]; then
	echo "  last lines of milter a's log:"
	tail -15 "$tmp/a.log" | sed 's/^/    /'
fi
rel_done
