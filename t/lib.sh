# t/lib.sh: sourced by every test: TAP output, a trash directory with a
# fresh state file and hooks dir, cleanup traps, and assertions.
# plan N | ok DESC CMD... | is GOT WANT DESC | fails_with CODE WORD CMD... |
# state_sum | at_exit CMD | skip_all WHY

ST_TOP=$(cd "$(dirname "$0")/.." && pwd)
ST_T=$(basename "$0" .t)
PATH=$ST_TOP/bin:$PATH
LC_ALL=C TZ=UTC
export PATH LC_ALL TZ
# a reset environment: nothing of the caller's Stampede settings leaks in
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
trash=$ST_TOP/t/trash/$ST_T
rm -rf "$trash"
mkdir -p "$trash/state" "$trash/hooks"
chmod 700 "$trash/state"
cd "$trash" || exit 1
ST_STATE=$trash/state/state.db
ST_HOOKS=$trash/hooks
ST_CONF=$trash/stampede.conf	# absent: the machine's own settings stay out
export ST_STATE ST_HOOKS ST_CONF

_n=0
_failed=0
_cleanups=

plan() { echo "1..$1"; }

skip_all() {
	# a skipped test is a failed test in CI
	if [ -n "$ST_CI" ]; then echo "Bail out! $*"; exit 1; fi
	echo "1..0 # SKIP $*"; exit 0
}

at_exit() { _cleanups="$*
$_cleanups"; }

_finish() {
	rc=$?
	printf '%s\n' "$_cleanups" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	[ $_failed -eq 0 ] && [ $rc -eq 0 ] && rm -rf "$trash"
	[ $_failed -eq 0 ] || exit 1
	exit $rc
}
trap _finish EXIT
trap 'exit 130' INT TERM

_result() {
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
}

# ok DESC CMD...: passes when CMD exits 0
ok() {
	_d=$1; shift
	"$@" >"$trash/out" 2>"$trash/err"
	_rc=$?
	_result $_rc "$_d"
	if [ $_rc -ne 0 ]; then
		echo "# exit $_rc: $*"; sed 's/^/# /' "$trash/err" | head -20
	fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then
		_result 0 "$3"
	else
		_result 1 "$3"
		printf '#   got: %s\n# want: %s\n' "$1" "$2" | head -40
	fi
}

# fails_with CODE WORD CMD...: CMD exits CODE and its stderr holds WORD;
# a crash (signal, 127) is never an expected failure
fails_with() {
	_code=$1 _word=$2; shift 2
	"$@" >"$trash/out" 2>"$trash/err"
	_rc=$?
	if [ $_rc -eq "$_code" ] && [ $_rc -lt 126 ] && grep -qF -- "$_word" "$trash/err" &&
	    [ "$(wc -l <"$trash/err")" -ge 1 ] && grep -q 'fatal:' "$trash/err"; then
		_result 0 "fails with $_code: $*"
	else
		_result 1 "fails with $_code: $*"
		echo "# exit $_rc, stderr:"; sed 's/^/# /' "$trash/err" | head -10
	fi
}

# a digest of everything the state file holds, to show a command changed nothing
state_sum() { sqlite3 "$ST_STATE" .dump | sha256sum | cut -c1-16; }
