#!/bin/sh
# The build is warning-free with -O2 -Wall -Wextra, the unit tests pass
# under ASan and UBSan, make lint is clean. Runs in a copy of the tree:
# make clean there leaves others' builds alone.
. "$(dirname "$0")/lib.sh"
plan 9

src=$trash/src
mkdir -p "$src" &&
(cd "$ST_TOP" && tar cf - --exclude=./t/trash --exclude=./.git .) | (cd "$src" && tar xf -) ||
    { echo 'Bail out! unable to copy the tree'; exit 1; }
units=$(cd "$src" && ls t/unit/*.c 2>/dev/null | sed 's/\.c$//')

ok 'make clean' make -s -C "$src" clean
ok 'nothing built is left' test -z "$(cd "$src" && ls bin/*.o lib/*.o lib/libst.a $units 2>/dev/null)"
make -C "$src" CFLAGS='-O2 -Wall -Wextra' all $units >"$trash/build.out" 2>"$trash/build.err"
is $? 0 'make with -O2 -Wall -Wextra builds every command and unit test'
grep -n 'warning:' "$trash/build.err" >"$trash/warnings"
is "$(head -n 20 "$trash/warnings")" '' 'no warning'
for c in $(cd "$ST_TOP/bin" && ls *.c | sed 's/\.c$//'); do
	[ -x "$src/bin/$c" ] || echo "$c" >>"$trash/missing"
done
is "$(cat "$trash/missing" 2>/dev/null)" '' 'every bin/*.c gave a command'

# the unit tests under AddressSanitizer and UBSan, as CI runs them
make -C "$src" asan >"$trash/build.out" 2>"$trash/build.err"
is $? 0 'make asan: the unit tests pass under ASan and UBSan'
grep -n 'warning:\|runtime error\|AddressSanitizer' "$trash/build.out" "$trash/build.err" >"$trash/warnings"
is "$(head -n 20 "$trash/warnings")" '' 'no warning, no sanitizer report'

ok 'make lint' make -s -C "$src" lint
is "$(grep -c 'warning\|error\|style' "$trash/err")" 0 'make lint prints no finding'
