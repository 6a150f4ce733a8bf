#!/bin/sh
# make install PREFIX=/usr DESTDIR=...: commands, man pages, share/ and
# sample hooks go under DESTDIR and nowhere else; make uninstall takes
# them away again. Runs in a copy of the tree: others may build in it.
. "$(dirname "$0")/lib.sh"
plan 18

src=$trash/src x=$trash/x
mkdir -p "$src" &&
(cd "$ST_TOP" && tar cf - --exclude=./t/trash --exclude=./.git .) | (cd "$src" && tar xf -) ||
    { echo 'Bail out! unable to copy the tree'; exit 1; }

# everything under the places an install with PREFIX=/usr or the default
# PREFIX could touch, to show that nothing outside DESTDIR changed
outside() {
	for d in /usr/bin /usr/share/man/man1 /usr/share/man/man5 /usr/share/man/man7 /usr/share/stampede \
	    /usr/lib/stampede /usr/local/bin /usr/local/share /usr/local/lib /etc/stampede; do
		[ -d "$d" ] && find "$d" -maxdepth 2 \( -name 'st*' -o -newer "$src/Makefile" \) -printf '%p %T@\n'
	done 2>/dev/null | sort
}
outside >"$trash/before"

ok 'make install PREFIX=/usr DESTDIR=x' make -s -C "$src" install PREFIX=/usr DESTDIR="$x"
outside >"$trash/after"
is "$(diff "$trash/before" "$trash/after")" '' 'nothing was written outside DESTDIR'

cmds=$(cd "$src/bin" && ls | grep -v '\.')
for c in $cmds; do
	[ -x "$x/usr/bin/$c" ] && [ "$(stat -c %a "$x/usr/bin/$c")" = 755 ] || echo "$c" >>"$trash/nocmd"
done
is "$(cat "$trash/nocmd" 2>/dev/null)" '' "every command installed in usr/bin, mode 755 ($(echo $cmds | wc -w))"
for m in $(cd "$src/man" && ls); do
	s=${m##*.}
	[ -f "$x/usr/share/man/man$s/$m" ] || echo "$m" >>"$trash/noman"
done
is "$(cat "$trash/noman" 2>/dev/null)" '' 'every man page installed in usr/share/man/manN'
for c in $cmds; do
	[ -f "$src/man/$c.1" ] || echo "$c" >>"$trash/undocumented"
done
is "$(cat "$trash/undocumented" 2>/dev/null)" '' 'every command has its man page'
ok 'stampede(7) is installed' test -f "$x/usr/share/man/man7/stampede.7"
ok 'share/: the schema' cmp "$src/share/schema.sql" "$x/usr/share/stampede/schema.sql"
ok 'share/: the dependency installer, executable' test -x "$x/usr/share/stampede/install-deps"
n=0
for h in "$src"/hooks/*.sample; do
	[ -e "$h" ] || continue
	n=$((n + 1))
	cmp -s "$h" "$x/usr/share/stampede/hooks/${h##*/}" || echo "${h##*/}" >>"$trash/nohook"
	[ -x "$x/usr/share/stampede/hooks/${h##*/}" ] && echo "${h##*/} is executable" >>"$trash/nohook"
done
is "$(cat "$trash/nohook" 2>/dev/null)" '' "every sample hook installed, inert (not executable) ($n)"
if [ $n -eq 0 ]; then
	_n=$((_n + 1))
	echo "not ok $_n - sample hooks are shipped # TODO hooks/*.sample come with the hooks issue"
else
	ok 'sample hooks are shipped' test $n -gt 0
fi
for m in $(cd "$src" && ls mod/*.so 2>/dev/null); do
	[ -x "$x/usr/lib/stampede/${m#mod/}" ] || echo "$m" >>"$trash/nomod"
done
is "$(cat "$trash/nomod" 2>/dev/null)" '' 'every driver module installed in usr/lib/stampede'
find "$x" -type f | sed "s|^$x/||" | grep -v '^usr/bin/\|^usr/share/man/man[157]/\|^usr/share/stampede/\|^usr/lib/stampede/' >"$trash/stray"
is "$(cat "$trash/stray")" '' 'nothing else under DESTDIR'

ok 'the installed st-init runs' "$x/usr/bin/st-init"
ok 'the installed st runs commands beside it' env PATH=/nonexistent "$x/usr/bin/st" ps
ok 'the installed st help lists the commands' "$x/usr/bin/st" help
is "$(grep -c '^  [a-z]' "$trash/out")" "$(($(echo $cmds | wc -w) - 1))" 'one line per command'

ok 'make uninstall' make -s -C "$src" uninstall PREFIX=/usr DESTDIR="$x"
is "$(find "$x" -type f)" '' 'make uninstall removes every file it installed'
