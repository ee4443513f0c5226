# report.sh - sourced by bench/run.sh: prints bench/RESULTS.md from the
# machine-readable lines the benchmarks left in $tmp. Not run on its own.
# shellcheck shell=sh disable=SC2154

# --- figures ---------------------------------------------------------------
p1=$tmp/parse1.txt
p2=$tmp/parse2.txt
ours1=$(kv "$p1" 'phase=full' msg_per_s)
ours2=$(kv "$p2" 'phase=full' msg_per_s)
ours_mb=$(calc "($(kv "$p1" 'phase=full' mb_per_s) + $(kv "$p2" 'phase=full' mb_per_s)) / 2" 1)
ours=$(calc "($ours1 + $ours2) / 2" 0)
nmsg=$(kv "$p1" 'phase=full' messages)
# CPU-time rates: messages x passes / process CPU seconds (robust to other load)
cpu_rate() { awk -v m="$(kv "$1" "$2" messages)" -v p="$(kv "$1" "$2" passes)" \
	-v c="$(kv "$1" "$2" cpu_s)" 'BEGIN { if (c > 0) printf "%.0f", m * p / c; else printf "?" }'; }
ours_cpu=$(calc "($(cpu_rate "$p1" phase=full) + $(cpu_rate "$p2" phase=full)) / 2" 0)
sis=$(kv "$tmp/sisimai.txt" 'phase=sisimai' msg_per_s)
sis_cpu=$(cpu_rate "$tmp/sisimai.txt" phase=sisimai)
bp=$(kv "$tmp/bounceparser.txt" 'phase=bounceparser' msg_per_s)
bp_cpu=$(cpu_rate "$tmp/bounceparser.txt" phase=bounceparser)
ratio_sis=$(calc "$ours_cpu / $sis_cpu" 1)
ratio_sis_wall=$(calc "$ours / $sis" 1)
ratio_bp=$(calc "$ours_cpu / $bp_cpu" 0)

rules_share=$(calc "100 * $(kv "$p1" 'phase=rules_share' share)" 0)
norules_cpu=$(cpu_rate "$p1" phase=norules)
full_cpu1=$(cpu_rate "$p1" phase=full)
rules_share_cpu=$(calc "100 * (1 - $full_cpu1 / $norules_cpu)" 0)

best_rcpt=0
best_rcpt_at=""
for c in 1 4 16 200; do
	r=$(kv "$tmp/milt-e$c-1000000.txt" MILTLOAD rcpt_per_s)
	if [ -n "$r" ] && [ "$(calc "$r > $best_rcpt" 0)" = 1 ]; then
		best_rcpt=$r
		best_rcpt_at=$c
	fi
done
top_size=$(echo "$sizes" | awk '{ print $NF }')
rss_hwm_top=$(awk '{ print $2 }' "$tmp/rss-e200-$top_size.txt" 2>/dev/null)
lookup_p99_top=$(kv "$tmp/lookup-$top_size.txt" STORE hit_p99_us)
miss_p99_top=$(kv "$tmp/lookup-$top_size.txt" STORE miss_p99_us)
pf_ratio=$(kv "$tmp/postfix.txt" 'summary' ratio)
# med3 A B C: the median of three figures ("?" when one is missing)
med3() {
	printf '%s\n' "$1" "$2" "$3" | awk '/^[0-9.]+$/ { v[n++] = $1 } END {
		if (n < 3) { print "?"; exit }
		for (i = 0; i < 3; i++) for (j = i + 1; j < 3; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		print v[1] }'
}
# p99s A B C: the RCPT p99 of three miltload runs, "a, b, c"
p99s() {
	printf '%s, %s, %s' "$(kv "$tmp/milt-$1.txt" MILTLOAD rcpt_p99_us)" "$(kv "$tmp/milt-$2.txt" MILTLOAD rcpt_p99_us)" \
		"$(kv "$tmp/milt-$3.txt" MILTLOAD rcpt_p99_us)"
}
# the three 1-connection runs: the figure is their median
p99_1=$(med3 "$(kv "$tmp/milt-e1-1000000.txt" MILTLOAD rcpt_p99_us)" \
	"$(kv "$tmp/milt-e1b-1000000.txt" MILTLOAD rcpt_p99_us)" "$(kv "$tmp/milt-e1c-1000000.txt" MILTLOAD rcpt_p99_us)")
p99_f1=$(med3 "$(kv "$tmp/milt-f1.txt" MILTLOAD rcpt_p99_us)" "$(kv "$tmp/milt-f1b.txt" MILTLOAD rcpt_p99_us)" \
	"$(kv "$tmp/milt-f1c.txt" MILTLOAD rcpt_p99_us)")
p99_4=$(kv "$tmp/milt-e4-1000000.txt" MILTLOAD rcpt_p99_us)
rate_4=$(calc "$(kv "$tmp/milt-e4-1000000.txt" MILTLOAD rcpt_per_s)" 0)
pf_floor=$(kv "$tmp/postfix.txt" 'summary' floor_ratio)
pf_vs_floor=$(kv "$tmp/postfix.txt" 'summary' milter_vs_floor)
# bouncetag's rate as a share of nullmilter's, same client, same concurrency
vs_floor() { calc "$(kv "$tmp/milt-e$1-1000000.txt" MILTLOAD rcpt_per_s) / $(kv "$tmp/milt-f$1.txt" MILTLOAD rcpt_per_s)" 2; }

mrow() { # mrow NAME LABEL: one row of the RCPT table
	f=$tmp/milt-$1.txt
	[ -f "$f" ] || return
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$(kv "$f" MILTLOAD conns)" \
		"$(calc "$(kv "$f" MILTLOAD rcpt_per_s)" 0)" "$(kv "$f" MILTLOAD rcpt_p50_us)" \
		"$(kv "$f" MILTLOAD rcpt_p99_us)" "$(kv "$f" MILTLOAD rcpt_p999_us)" \
		"$(kv "$f" MILTLOAD rcpt_max_us)" \
		"$(kv "$f" MILTLOAD rcpt_rejected)/$(kv "$f" MILTLOAD rcpt)" "$(kv "$f" MILTLOAD errors)"
}
lrow() { # lrow NAME: one row of the learning table
	f=$tmp/milt-$1.txt
	[ -f "$f" ] || return
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(kv "$f" MILTLOAD conns)" \
		"$(kv "$f" MILTLOAD learned)" "$(calc "$(kv "$f" MILTLOAD learned_per_s)" 0)" \
		"$(kv "$f" MILTLOAD learn_p50_us)" "$(kv "$f" MILTLOAD learn_p99_us)" \
		"$(kv "$f" MILTLOAD learn_p999_us)" "$(kv "$f" MILTLOAD learn_max_us)" \
		"$(kv "$f" MILTLOAD errors)"
}
mb() { calc "$1 / 1024" 1; }
# pf_cpu FILE: milter CPU ms per message of a postfix_bench run (rounds + warm-up)
pf_cpu() {
	awk -v hz="$hz" -v m="$pf_msgs" -v r="$pf_rounds" \
		'{ w = m / 5 > 50 ? m / 5 : 50; printf "%.2f", ($2 - $1) / hz * 1000 / (m * r + w) }' "$1" 2>/dev/null
}
# pf_cs FILE: context switches per message of a filter in the Postfix run (perf stat -x,)
pf_cs() {
	awk -F, -v m="$pf_msgs" -v r="$pf_rounds" \
		'$3 == "context-switches" && $1 ~ /^[0-9]+$/ { w = m / 5 > 50 ? m / 5 : 50; printf "%.1f", $1 / (m * r + w); found = 1 }
		END { if (!found) printf "?" }' "$1" 2>/dev/null || printf '?'
}

# cg_pct REGEX: the self-cost percentage of the first function matching REGEX
cg_pct() {
	awk -v re="$1" '/^-- (Auto|User)-annotated/ { exit }
		$0 ~ re && /%\) / { p = $0; sub(/^[^(]*\( */, "", p); sub(/%.*/, "", p); print p; exit }' \
		"$tmp/cg_self.txt" 2>/dev/null
}
# callgrind: "Ir (pct)  file:function [object]" -> Ir and a short name
cg_total=$(awk '/common\/bounce\.c:bounce_analyse / { ir = $0; sub(/^ */, "", ir); sub(/ .*/, "", ir); gsub(",", "", ir); print ir; exit }' "$tmp/cg_incl.txt" 2>/dev/null)

pcre_version=$(dpkg-query -W -f '${Version}' libpcre2-8-0 2>/dev/null)
milter_version=$(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null)
# the top self-cost lines of the callgrind profile, for "What limits the targets"
cg_top() {
	awk '/^-- (Auto|User)-annotated/ { exit }
		/%\) / && !/PROGRAM TOTALS/ && !/\?\?\?:0x/ {
			p = $0; sub(/^[^(]*\( */, "", p); sub(/%.*/, "", p)
			name = $0; sub(/^.*%\) +/, "", name); sub(/ .*/, "", name); sub(/.*\//, "", name)
			printf "%s%s %s%%", sep, name, p; sep = ", "; if (++n == 5) exit }' \
		"$tmp/cg_self.txt" 2>/dev/null
}

# --- the report --------------------------------------------------------------
cat <<EOF
# bouncetag benchmarks

Written by \`bench/run.sh $build $mode\` (\`make bench BENCH=$mode\`) from $started to
$finished. Do not edit: run it again. Every ratio compares figures measured in this
same run on this same machine; absolute figures depend on the machine and on what
else it was doing (see "Other load").

## Machine

| | |
|---|---|
| CPU | $cpu_model |
| Cores | $cores |
| Memory | $mem |
| Kernel | $kernel |
| Commit | $commit |
| Compiler | $($CC --version | head -1) |
| Libraries | SQLite $(sqlite3 --version | cut -d' ' -f1), PCRE2 $pcre_version, Postfix $(postconf -dh mail_version 2>/dev/null), libmilter $milter_version |
| Other load | load average $load_start at the start, $load_end at the end; all CPUs were $busy_pct% busy during the run (bench included); processes above 5% CPU at the start: ${busy_start:-none}; at the end: ${busy_end:-none} |

## Targets

| Target (issue 5) | Measured | |
|---|---|---|
| parse + classify at least 100x Sisimai's rate | ${ratio_sis}x (CPU time; wall clock ${ratio_sis_wall}x): $ours_cpu vs $sis_cpu messages per CPU-second | $(yesno "$ratio_sis >= 100") |
| at least 20,000 RCPT decisions/s | $(calc "$best_rcpt" 0)/s with whole messages (best, $best_rcpt_at connection(s)); $(calc "$(kv "$tmp/milt-a16-1000000.txt" MILTLOAD rcpt_per_s)" 0)/s when each message is aborted after its RCPTs; $(calc "$(kv "$tmp/milt-s16.txt" MILTLOAD rcpt_per_s)" 0)/s with RecordSent no | $(yesno "$best_rcpt >= 20000") |
| RCPT decision p99 under 1 ms | ${p99_1} us with 1 connection (median of three runs: $(p99s e1-1000000 e1b-1000000 e1c-1000000); nullmilter ${p99_f1}: $(p99s f1 f1b f1c)), ${p99_4} us with 4 ($rate_4/s); with 16: $(kv "$tmp/milt-e16-1000000.txt" MILTLOAD rcpt_p99_us) us closed loop, $(kv "$tmp/milt-h16-1000000.txt" MILTLOAD rcpt_p99_us) us paced at half that rate (nullmilter, the libmilter floor: $(kv "$tmp/milt-f16.txt" MILTLOAD rcpt_p99_us) and $(kv "$tmp/milt-fh16.txt" MILTLOAD rcpt_p99_us) us); with 200: $(kv "$tmp/milt-h200-1000000.txt" MILTLOAD rcpt_p99_us) us paced | $(yesno "$p99_1 < 1000") at 1 connection, $(yesno "0$p99_4 < 1000") at 4, $(yesno "0$(kv "$tmp/milt-h16-1000000.txt" MILTLOAD rcpt_p99_us) < 1000") at 16 |
| look-up p99 under 50 us at 10M rows | $(if [ "$top_size" -ge 10000000 ]; then echo "hit ${lookup_p99_top} us, miss ${miss_p99_top} us at 10M"; else echo "hit ${lookup_p99_top} us, miss ${miss_p99_top} us at 1M (10M only in BENCH=full)"; fi) | $(yesno "$lookup_p99_top < 50")$( [ "$top_size" -ge 10000000 ] || echo " at 1M") |
| milter resident memory under 64 MB, 200 connections, 10M rows | VmHWM $(mb "${rss_hwm_top:-0}") MB with a $(echo "$top_size" | awk '{ printf "%dM", $1 / 1000000 }')-row database | $(yesno "${rss_hwm_top:-0} < 65536") |
| Postfix throughput with the milter at least 0.9 of without | ${pf_ratio:-?} (nullmilter, a libmilter filter doing nothing: ${pf_floor:-?}; bouncetag / nullmilter ${pf_vs_floor:-?}) | $(yesno "${pf_ratio:-0} >= 0.9") |

## 1. Parse + classify (single thread, in process, warm)

$nmsg real bounces from the Sisimai corpus ($corpus), read into memory first,
then whole passes for at least ${t_parse} s (ours) or ${t_perl} s (Perl) after one untimed
warm-up pass. Ours is \`bounce_analyse()\` with conf/rules.conf; Sisimai is
\`Sisimai::Message->new(data => \$text)\` + \`Sisimai::Data->make()\` (what
\`Sisimai->make(\$path)\` runs per message); BounceParser is
\`Mail::DeliveryStatus::BounceParser->new(\$text)\`. The machine is shared, so the
ratio uses process CPU time (wall-clock figures beside it).

| Parser | messages/s (wall) | messages per CPU-second | MB/s (wall) | results | vs Sisimai (CPU) |
|---|---|---|---|---|---|
| bouncetag, run 1 | $(calc "$ours1" 0) | $(cpu_rate "$p1" phase=full) | $(kv "$p1" 'phase=full' mb_per_s) | $(kv "$p1" 'phase=full' results) | $(calc "$(cpu_rate "$p1" phase=full) / $sis_cpu" 1)x |
| bouncetag, run 2 (after the Perl runs) | $(calc "$ours2" 0) | $(cpu_rate "$p2" phase=full) | $(kv "$p2" 'phase=full' mb_per_s) | $(kv "$p2" 'phase=full' results) | $(calc "$(cpu_rate "$p2" phase=full) / $sis_cpu" 1)x |
| Sisimai $(kv "$tmp/sisimai.txt" phase= version) | $(calc "$sis" 1) | $sis_cpu | $(kv "$tmp/sisimai.txt" phase= mb_per_s) | $(kv "$tmp/sisimai.txt" phase= results) | 1x |
| BounceParser $(kv "$tmp/bounceparser.txt" phase= version) | $(calc "$bp" 1) | $bp_cpu | $(kv "$tmp/bounceparser.txt" phase= mb_per_s) | $(kv "$tmp/bounceparser.txt" phase= results) | $(calc "$bp_cpu / $sis_cpu" 2)x |

bouncetag is ${ratio_bp}x BounceParser (CPU). "results" counts the recipients each
parser reports per pass; they do not report exactly the same ones, so the comparison
is messages per second over the same files.

### Where our time goes (callgrind, instructions, $( [ "$have_callgrind" = 1 ] && echo "three passes" || echo "not available"))

Only the instructions of \`bounce_analyse()\` are counted (start-up and rule loading
excluded): $(awk -v t="${cg_total:-0}" -v n="$(kv "$tmp/parse1.txt" 'phase=full' messages)" 'BEGIN { if (t > 0 && n > 0) printf "%.0f", t / (3 * n); else printf "?" }') instructions per message. Inclusive cost of the library functions, as a
share of \`bounce_analyse()\`:

| Function | share |
|---|---|
$(awk -v total="${cg_total:-0}" '
	/^-- (Auto|User)-annotated/ { exit }
	/%\) / {
		ir = $0; sub(/^ */, "", ir); sub(/ .*/, "", ir); gsub(",", "", ir)
		name = $0; sub(/^.*%\) +/, "", name); sub(/ .*/, "", name)
		if (name ~ /pcre2_match_8$/ && pcre == "") pcre = ir
		if (name !~ /\/common\// || name ~ /:(bounce_analyse|rules_load_buf|parse_buf)$/ || name ~ /'"'"'/) next
		sub(/.*\//, "", name)
		if (total > 0 && n < 12) { printf "| %s | %.1f%% |\n", name, 100 * ir / total; n++ }
	}
	END { if (total > 0 && pcre != "") printf "| (pcre2_match, all calls) | %.1f%% |\n", 100 * pcre / total }
' "$tmp/cg_incl.txt" 2>/dev/null)

Self cost, top functions (PCRE2's JIT-compiled pattern code summed as one line), as a
share of the instructions of \`bounce_analyse()\`:

| Function | share |
|---|---|
$(awk '
	BEGIN { n = 0 }
	/^-- (Auto|User)-annotated/ { exit }
	/%\) / {
		ir = $0; sub(/^ */, "", ir); sub(/ .*/, "", ir); gsub(",", "", ir)
		rest = $0; sub(/^.*%\) +/, "", rest)
		name = rest; sub(/ .*/, "", name)
		if (rest ~ /PROGRAM TOTALS/) { all = ir; next }
		if (name ~ /^\?\?\?:0x/ && rest ~ /\[\?\?\?\]/) { jit += ir; next }
		sub(/.*\//, "", name)
		if (n < 14) { nm[n] = name; cost[n] = ir; n++ }
	}
	END {
		if (all == 0) exit
		for (i = 0; i < n; i++) printf "| %s | %.1f%% |\n", nm[i], 100 * cost[i] / all
		printf "| PCRE2 JIT code (all patterns) | %.1f%% |\n", 100 * jit / all
	}' "$tmp/cg_self.txt" 2>/dev/null)

### The rules engine does not scan the text once per rule

For every rule, rules_load() derives the literal strings one of which must occur
in any text the pattern matches (common/literal.c); all of them go into one
case-insensitive Aho-Corasick automaton (common/sieve.c). \`rules_classify()\`
passes the reply through the automaton once, and only the rules whose literals
occurred run PCRE2, in file order, so the first match wins as it would with every
rule tried. Measured here:

- \`rules_classify()\` costs $(kv "$p1" 'phase=sieve' us_per_reply) us per reply over the $(kv "$p1" 'phase=sieve' replies) replies of the corpus;
  \`rules_classify_unfiltered()\`, every rule in file order up to the first match (the
  text scanned once per rule), costs $(kv "$p1" 'phase=sieve' unfiltered_us_per_reply) us: the sieve is $(kv "$p1" 'phase=sieve' speedup)x faster;
- verdicts that differ between the two: $(kv "$p1" 'phase=sieve' mismatches) of $(kv "$p1" 'phase=sieve' replies) corpus replies and
  $(kv "$p1" 'phase=sieve' example_mismatches) of $(kv "$p1" 'phase=sieve' examples) rule examples (\`make check\` holds every example to this too);
- without the sieve, $(kv "$p1" 'phase=perrule' rules_tried_avg) of $(kv "$p1" 'phase=perrule' rules) rules would run per reply before the first match;
- rules are ${rules_share_cpu}% of the pipeline's CPU time (wall: ${rules_share}%): $(cpu_rate "$p1" phase=full) messages per CPU-second
  with conf/rules.conf, $norules_cpu with an empty rule set (status-code fallback only);
- the most expensive rules when each runs alone over all replies (what a rule costs
  where the sieve lets it run; net of the call overhead):

| Rule | us per reply | share |
|---|---|---|
$(grep 'phase=rulecost' "$p1" | head -8 | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
	printf "| %s | %.3f | %.1f%% |\n", v["rule"], v["us_per_reply"], 100 * v["share"] }')

## 2. Store (SQLite)

Databases filled by \`store_bench fill\` (schema created by store_open(), rows inserted
directly in 100,000-row transactions), cached in $cache. The file is read once first,
so that it is in the OS page cache as the file of a store in use is. Look-ups are
\`store_lookup()\` one at a time, half suppressed (found) and half never suppressed
(not found), after 20,000 warm-up look-ups; learned results are \`store_record()\` of
failed recipient-policy results (one event and one suppression each), one per call as
the milter does per DSN (synchronous=FULL: one fsync per call), or 100 per call.

| Rows | look-up hit p50 / p99 / p99.9 (us) | miss p50 / p99 / p99.9 (us) | CPU per look-up p50 / p99 (us) | learned results/s, 1 per call | 100 per call | fill rate (rows/s) |
|---|---|---|---|---|---|---|
$(for n in $sizes; do
	l=$tmp/lookup-$n.txt
	printf '| %s | %s / %s / %s | %s / %s / %s | %s / %s | %s | %s | %s |\n' "$n" \
		"$(kv "$l" STORE hit_p50_us)" "$(kv "$l" STORE hit_p99_us)" "$(kv "$l" STORE hit_p999_us)" \
		"$(kv "$l" STORE miss_p50_us)" "$(kv "$l" STORE miss_p99_us)" "$(kv "$l" STORE miss_p999_us)" \
		"$(kv "$l" STORE cpu_p50_us)" "$(kv "$l" STORE cpu_p99_us)" \
		"$(kv "$tmp/record1-$n.txt" STORE events_per_s)" "$(kv "$tmp/record100-$n.txt" STORE events_per_s)" \
		"$(kv "$cache/supp-$n.db.fill" STORE rows_per_s) (events=$(kv "$cache/supp-$n.db.fill" STORE events))"
done)

The wall-clock p99 is what a caller sees; the CPU time beside it is the work: where the
two differ, the look-up waited for a CPU that other processes held.

Size on disk, MB per million suppressions, by table and index (dbstat; the 1M-row
database also holds the one event behind each suppression, the larger ones do not):

| Object | $(for n in $sizes; do printf '%s rows | ' "$n"; done)
|---|$(for n in $sizes; do printf -- '---|'; done)
$(for n in $sizes; do cat "$cache/supp-$n.db.objects" 2>/dev/null; done | cut -d'|' -f1 | awk '!seen[$0]++' | while read -r obj; do
	printf '| %s |' "$obj"
	for n in $sizes; do
		b=$(awk -F'|' -v o="$obj" '$1 == o { print $2 }' "$cache/supp-$n.db.objects" 2>/dev/null)
		if [ -n "$b" ]; then printf ' %s |' "$(calc "$b * 1000000 / $n / 1048576" 1)"; else printf ' - |'; fi
	done
	echo
done)
| whole file | $(for n in $sizes; do printf '%s | ' "$(calc "$(stat -c %s "$cache/supp-$n.db") * 1000000 / $n / 1048576" 0)"; done)

A store handle: store_open() takes $(kv "$tmp/handles.txt" STORE open_us) us (file open, WAL, schema check, 11
statements prepared) and, after 2,000 look-ups, holds $(kv "$tmp/handles.txt" STORE rss_kb_per_handle) kB of resident memory
(its page cache; store_open() sets cache_size to 512 KiB); 32 handles, the milter
pool's maximum (milter/pool.c), hold $(mb "$(kv "$tmp/handles.txt" STORE rss_kb_total)") MB.

## 3. Milter round trip (bench/miltload against the real daemon)

The milter runs from $build with a private configuration (socket in a temporary
directory, the cached database). miltload speaks the milter protocol (version 6) as
Postfix's smtpd does: one thread per milter connection; per connection 10 messages
(MAIL FROM, 10 RCPT TO, 4 headers, body, end of message; HELO and DATA too when the
milter does not decline them, and no wait for an answer the milter declined to
give), then QUIT and a new connection. Half the RCPTs name suppressed recipients (must get 550) and half never
suppressed ones (must get continue); every answer is checked. Latency is the RCPT
round trip in microseconds. Closed loop unless paced; a paced run measures from the
planned send time.

| Run ($(echo "$sizes" | awk '{ print $1 / 1000000 }')M rows) | connections | RCPT decisions/s | p50 | p99 | p99.9 | max | rejected/all | errors |
|---|---|---|---|---|---|---|---|---|
$(mrow e1-1000000 "closed loop")
$(mrow e1b-1000000 "closed loop, again")
$(mrow e1c-1000000 "closed loop, a third time")
$(mrow e4-1000000 "closed loop")
$(mrow e16-1000000 "closed loop")
$(mrow e200-1000000 "closed loop")
$(mrow p200-1000000 "paced at 20,000/s")
$(mrow h16-1000000 "paced at $(kv "$tmp/milt-h16-1000000.txt" MILTLOAD rate_target)/s (half the 16-connection rate)")
$(mrow h200-1000000 "paced at $(kv "$tmp/milt-h200-1000000.txt" MILTLOAD rate_target)/s (half the 16-connection rate)")
$(mrow a16-1000000 "closed loop, message aborted after the RCPTs")
$(mrow s16 "closed loop, RecordSent no")
$(mrow f1 "nullmilter (floor), closed loop")
$(mrow f1b "nullmilter (floor), closed loop, again")
$(mrow f1c "nullmilter (floor), closed loop, a third time")
$(mrow f4 "nullmilter (floor), closed loop")
$(mrow f16 "nullmilter (floor), closed loop")
$(mrow fh16 "nullmilter (floor), paced at $(kv "$tmp/milt-fh16.txt" MILTLOAD rate_target)/s")
$(for n in $sizes; do [ "$n" = 1000000 ] && continue; mrow "e1-$n" "closed loop, ${n} rows"; mrow "e4-$n" "closed loop, ${n} rows"; mrow "e16-$n" "closed loop, ${n} rows"; mrow "e200-$n" "closed loop, ${n} rows"; mrow "p200-$n" "paced 20,000/s, ${n} rows"; mrow "h16-$n" "paced at half, ${n} rows"; mrow "h200-$n" "paced at half, ${n} rows"; mrow "a16-$n" "aborted after the RCPTs, ${n} rows"; done)

bouncetag's closed-loop rate as a share of nullmilter's (bench/nullmilter.c: a libmilter
filter that asks for the same protocol steps and answers at once; no recipient is
refused there): $(vs_floor 1) with 1 connection, $(vs_floor 4) with 4, $(vs_floor 16) with 16. The difference is
bouncetag's own work (normalising the address, the SQLite look-up, the log line of
a refusal, recording the message at its end).

With one connection the run is made three times and the target uses the median:
on a virtual machine the tail of a one-connection run swings from one run to the
next (here p99 $(p99s e1-1000000 e1b-1000000 e1c-1000000) us for bouncetag and
$(p99s f1 f1b f1c) us for nullmilter). One client thread and one filter thread answer
each other in turn, the machine is mostly idle, and each wake-up of an idle
virtual CPU costs what the hypervisor makes it cost.

"Aborted after the RCPTs" sends MAIL and the RCPTs, then ABORT: the decisions alone,
without the data phase and without the end-of-message work.
"RecordSent no" is the same load as the 16-connection closed loop with the milter
restarted with \`RecordSent no\`: the difference is the cost of recording every
submitted message (Message-ID x recipients) in the database at end of message.

Learning: DSNs sent as {daemon_name}=bouncetag-dsn, one per milter connection (as
Postfix's bounce cleanup does), $dsn_fixture with a fresh recipient each time.
Latency is from the first header to the answer to end of message (parse, classify,
store with fsync).

| connections | DSNs learned | per second | p50 | p99 | p99.9 | max | errors |
|---|---|---|---|---|---|---|---|
$(lrow l1)
$(lrow l16)
$(lrow l200)

An error in this table is a DSN the milter did not take: it tempfails a DSN whose
results it cannot store (Postfix keeps it and retries). $(
starts=$(grep -c 'bouncetag-milter -f' "$cmds" 2>/dev/null)
logged=$(grep -c ': started:' "$tmp/milter.log" 2>/dev/null)
[ "$starts" = "$logged" ] || printf 'The milter log kept for this run covers %s of its %s milter runs (an earlier run.sh overwrote it); in that part, ' "${logged:-0}" "$starts"
[ "$starts" = "$logged" ] && printf 'In the milter log of this run, '
)SQLite's 5 s busy timeout ran out ("database is locked") while other connections
held the write lock for $(grep -c 'cannot record .*results: .*database is locked' "$tmp/milter.log" 2>/dev/null) DSNs (tempfailed) and $(grep -c 'cannot record sent mail: .*database is locked' "$tmp/milter.log" 2>/dev/null) submitted messages
(RecordSent: the record is dropped after the message waited 5 s).

Mixed, 200 connections, 9 enforce sessions to 1 learn session, 10% of RCPTs probing
recipients learned earlier in the run (must be refused): $(calc "$(kv "$tmp/milt-mix.txt" MILTLOAD rcpt_per_s)" 0) RCPT/s,
$(calc "$(kv "$tmp/milt-mix.txt" MILTLOAD learned_per_s)" 0) DSNs/s, $(kv "$tmp/milt-mix.txt" MILTLOAD rcpt_learned_probes) probes, $(kv "$tmp/milt-mix.txt" MILTLOAD errors) errors.
Exact count: miltload saw $(for f in l1 l16 l200 mix; do kv "$tmp/milt-$f.txt" MILTLOAD learned; done | awk '{ s += $1 } END { print s }') DSNs learned; the database holds
$(cat "$tmp/learned-in-db.txt" 2>/dev/null || echo "?") suppressions for those recipients.

Resident memory (VmRSS / VmHWM of the milter, MB): at start $(mb "$(cat "$tmp/rss-start-1000000.txt")");
$(for n in $sizes; do printf 'after 200 connections with %s rows %s / %s; ' "$n" "$(mb "$(cut -d' ' -f1 "$tmp/rss-e200-$n.txt")")" "$(mb "$(cut -d' ' -f2 "$tmp/rss-e200-$n.txt")")"; done)after the learning runs $(mb "$(cut -d' ' -f1 "$tmp/rss-l200.txt")") / $(mb "$(cut -d' ' -f2 "$tmp/rss-l200.txt")").

Milter CPU per RCPT decision: $(awk -v hz="$hz" -v r1="$(kv "$tmp/milt-e1-1000000.txt" MILTLOAD rcpt)" \
	-v r16="$(kv "$tmp/milt-e16-1000000.txt" MILTLOAD rcpt)" '{ printf "%.1f us with 1 connection, %.1f us with 16 (milter process user + system time, the message events of each transaction included)", ($2 - $1) / hz * 1e6 / r1, ($3 - $2) / hz * 1e6 / r16 }' "$tmp/cpu-1000000.txt").
$(if [ -s "$tmp/perf-comm.txt" ]; then
	echo
	echo "CPU profile (perf, cpu-clock, whole machine, 16 connections, 3 s). Share of all samples by process:"
	echo
	awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " } END { print "" }' "$tmp/perf-comm.txt"
	echo
	echo "Milter samples by object (share of all samples):"
	echo
	awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " } END { print "" }' "$tmp/perf-dso.txt"
	echo
	echo
	echo "Milter top symbols: $(awk '{ $1 = $1; printf "%s%s", sep, $0; sep = "; " }' "$tmp/perf-sym.txt" | head -c 700)"
fi)

## 4. Postfix with and without the milter

A throwaway Postfix $(postconf -dh mail_version 2>/dev/null) (\`postfix -c DIR\`, own queue, no chroot, 127.0.0.1
only, never port 25) with three submission smtpd services that differ only in
\`smtpd_milters\`: none, nullmilter (the floor: any libmilter filter costs this much)
and bouncetag-milter; everything is relayed to \`smtp-sink\`. \`smtp-source -s 20 -m
$pf_msgs -r 2 -N -l 2048\` sends to one service after the other, $pf_rounds
rounds each; a round ends when the maillog shows every recipient delivered. Each
SMTP session is one milter connection (smtp-source without -d), the milter looks up
both recipients in the 1M-row database.

| Round | messages | msg/s accepted | msg/s delivered |
|---|---|---|---|
$(grep 'round=' "$tmp/postfix.txt" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
	printf "| %s | %s | %s | %s |\n", v["round"], v["messages"], v["accept_msg_per_s"], v["msg_per_s"] }')

Median delivered rate: $(kv "$tmp/postfix.txt" summary plain_msg_per_s) msg/s without a milter, $(kv "$tmp/postfix.txt" summary floor_msg_per_s) with nullmilter
(ratio ${pf_floor:-?}), $(kv "$tmp/postfix.txt" summary milter_msg_per_s) with bouncetag-milter: ratio **${pf_ratio:-?}**; bouncetag / nullmilter ${pf_vs_floor:-?}.
Per message that went through it (warm-up round included), bouncetag-milter used
$(pf_cpu "$tmp/cpu-postfix.txt") ms of CPU and $(pf_cs "$tmp/cs-milter.txt") context switches; nullmilter $(pf_cpu "$tmp/cpu-postfix-null.txt") ms and $(pf_cs "$tmp/cs-null.txt")
(perf stat, every thread of the process).
$(if [ -f "$tmp/postfix-nosent.txt" ]; then
	echo
	echo "The same with the milter restarted with \`RecordSent no\`: $(kv "$tmp/postfix-nosent.txt" summary plain_msg_per_s) msg/s without, $(kv "$tmp/postfix-nosent.txt" summary milter_msg_per_s) with: ratio $(kv "$tmp/postfix-nosent.txt" summary ratio); milter CPU $(pf_cpu "$tmp/cpu-postfix-nosent.txt") ms per message."
fi)

## What limits the targets (measured above)

- Parse + classify: ${ratio_sis}x Sisimai (CPU). The top self costs of the callgrind
  profile: $(cg_top). The rules are ${rules_share_cpu}% of the time (section 1);
  the rest is reading the message: MIME, the delivery-status fields, and the scan of
  bounces that have no delivery-status part.
- RCPT decisions and their latency: bouncetag answers at $(vs_floor 4) of the rate of a
  libmilter filter that does nothing (4 connections) and $(vs_floor 16) with 16. Beyond a few
  connections, on 2 cores, the latency is set by libmilter's model (a polling
  thread hands each command to a worker thread, and each answer is a round trip:
  most of the milter's CPU time is in the kernel, see the profile), which
  nullmilter shows as well:
  p99 $(kv "$tmp/milt-f16.txt" MILTLOAD rcpt_p99_us) us closed loop and $(kv "$tmp/milt-fh16.txt" MILTLOAD rcpt_p99_us) us paced, with 16 connections, against
  bouncetag's $(kv "$tmp/milt-e16-1000000.txt" MILTLOAD rcpt_p99_us) and $(kv "$tmp/milt-h16-1000000.txt" MILTLOAD rcpt_p99_us) us. Recording each submitted message
  (RecordSent) costs $(calc "$(kv "$tmp/milt-s16.txt" MILTLOAD rcpt_per_s)" 0)/s against $(calc "$(kv "$tmp/milt-e16-1000000.txt" MILTLOAD rcpt_per_s)" 0)/s (16 connections).
- Postfix: a filter that does nothing already leaves Postfix ${pf_floor:-?} of its
  throughput here, and bouncetag adds its own $(calc "1 - ${pf_vs_floor:-1}" 3) on top. The cost is
  libmilter's threading, not the filter's work: Debian's libmilter is built with
  its pool of workers (_FFR_WORKERS_POOL), where one thread polls every MTA
  connection and hands each arriving command to a worker thread, which goes back
  to the poller as soon as the socket is idle; every round trip thus wakes two
  threads in the filter besides the MTA's process. nullmilter takes $(pf_cs "$tmp/cs-null.txt") context
  switches and $(pf_cpu "$tmp/cpu-postfix-null.txt") ms of CPU per message on this 2-core machine where Postfix is
  CPU-bound, so whatever the filter does, the 0.9 target is out of reach of a
  libmilter filter here. bouncetag asks only for the steps it needs: no HELO,
  DATA or unknown commands; connect, MAIL and headers without replies; a
  submission is accepted at end of headers, so neither its body nor its end of
  message is sent. Postfix waits for three answers per message with two
  recipients (each RCPT, end of headers) besides the option negotiation.
- Learning: $(calc "$(kv "$tmp/milt-l1.txt" MILTLOAD learned_per_s)" 0) DSNs/s with one connection, $(calc "$(kv "$tmp/milt-l16.txt" MILTLOAD learned_per_s)" 0)/s with 16: each DSN's
  results are committed with an fsync (synchronous=FULL) before the DSN is answered,
  and writers take turns (milter/pool.c), so the disk's flush rate bounds it.

## Commands

Exactly as run (TMP is this run's temporary directory, removed at the end):

\`\`\`
$(sed "s|$tmp|TMP|g" "$cmds")
\`\`\`

## Reproduce

    ./bootstrap bench               # installs what is missing, builds, quick run (~3 min)
    ./bootstrap bench full          # longer runs and a 10M-row store (fills ~4.4 GB once)
    make bench [BENCH=full]         # the same once the packages are there

The load client is reusable on its own, for example a soak test:
\`build/bench/miltload -s unix:/path/sock -c 200 -d 600 -m enforce=9,learn=1 -l 10
-f $dsn_fixture -N 1000000 -o learned.txt\` prints one \`MILTLOAD key=value ...\` line
and exits non-zero when any answer was wrong.
EOF
