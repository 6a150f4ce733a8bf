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

# --- Docker: the real dockerd on its unix socket ---
docker_sock=/var/run/docker.sock
# docker_api METHOD PATH [curl args...]: the Engine API, for assertions
docker_api() {
	_m=$1 _p=$2; shift 2
	curl -s --unix-socket "$docker_sock" -X "$_m" "$@" "http://docker/v1.41$_p"
}
# need_docker: a reachable dockerd, a host row for it, the test image
# (busybox imported as st-test/busybox:1), and a trap removing every
# container of this test's cluster
need_docker() {
	docker_api GET /_ping >/dev/null 2>&1 || skip_all "dockerd is not running (sh share/start-daemons)"
	cluster=$(st-init 2>/dev/null) || { echo "Bail out! st-init failed"; exit 1; }
	at_exit "docker_rm_cluster $cluster"
	host=$(st-host-add --docker "unix://$docker_sock" local 2>"$trash/err") ||
		{ echo "Bail out! st-host-add: $(cat "$trash/err")"; exit 1; }
	test_image=st-test/busybox:1
	if ! docker_api GET "/images/$test_image/json" -f -o /dev/null; then
		test_image_tar >"$trash/busybox.tar" &&
		st-image-import --name "$test_image" "$trash/busybox.tar" >/dev/null ||
			{ echo "Bail out! unable to import the test image"; exit 1; }
	fi
}
# test_image_tar: a busybox root filesystem as a tar on stdout
test_image_tar() {
	_r=$trash/rootfs
	rm -rf "$_r"; mkdir -p "$_r/bin" "$_r/www" "$_r/tmp" "$_r/etc"
	cp /bin/busybox "$_r/bin/" || return 1
	for _a in sh ls cat echo httpd sleep wget ps env hostname id nc true false; do
		ln -s busybox "$_r/bin/$_a"
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$_r/etc/passwd"
	tar -C "$_r" -cf - .
}
# docker_ps_cluster UUID: names of the containers labelled with that cluster
docker_ps_cluster() {
	docker_api GET "/containers/json?all=1&filters=$(printf '{"label":["io.stampede.cluster=%s"]}' "$1" | jq -sRr @uri)" |
		jq -r '.[].Names[0]' | sed 's|^/||' | sort
}
docker_rm_cluster() {
	for _c in $(docker_ps_cluster "$1"); do docker_api DELETE "/containers/$_c?force=1" >/dev/null; done
}
