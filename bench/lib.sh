# lib.sh - small helpers shared by bench/run.sh and bench/report.sh (sourced).
# shellcheck shell=sh

say() { printf '== %s\n' "$*" >&2; }

# run CMD...: note the command for the report (in $cmds, set by the caller), then run it
# shellcheck disable=SC2154
run() {
	printf '%s\n' "$*" >> "$cmds"
	"$@"
}

# kv FILE PATTERN KEY: the value of KEY= on the first line of FILE matching PATTERN
kv() {
	grep -e "$2" "$1" 2>/dev/null | head -1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# calc EXPR [DIGITS]: floating-point arithmetic (awk); an empty operand gives "?"
# (the expression is parenthesised: in awk, a bare ">" in printf redirects)
calc() {
	case " $1 " in *"  "* | " "[!0-9\(]* | *[-+*/\<\>=]" ") echo "?"; return ;; esac
	awk "BEGIN { printf \"%.${2:-1}f\", ($1) }" 2>/dev/null || echo "?"
}

# yesno CONDITION: the verdict for the targets table; unknown figures are not met
yesno() {
	case "$(calc "$1" 0)" in 1) echo "**met**" ;; 0) echo "**not met**" ;; *) echo "not measured" ;; esac
}
