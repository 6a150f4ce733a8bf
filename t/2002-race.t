#!/bin/sh
# Never overcommitted: 8 st-schedule processes race over the same 40
# one-cpu instances on 5 hosts of 4 cpus; then again with st-create and
# st-rm running at the same time. No "database is locked" reaches anyone.
. "$(dirname "$0")/lib.sh"
plan 18

IMG='--image busybox'
fresh() {
	rm -f "$ST_STATE" "$ST_STATE-wal" "$ST_STATE-shm" "$trash"/*.out "$trash"/*.err
	st-init >/dev/null 2>&1 &&
	    printf 'h1\nh2\nh3\nh4\nh5\n' | st-host-add --no-probe --cpu 4 --mem 16G >/dev/null
}
# st-host-ls per host (name cpu cpu_used mem_used instances) against the
# sum over the instances st-ps places on it
books() {
	st-host-ls -o name,cpu,cpu_used,mem_used,instances >hosts
	st-ps -a -o host,cpu,mem >insts
	awk -F'\t' '
	    NR == FNR { if ($1 != "") { n[$1]++; c[$1] += $2; m[$1] += $3 } next }
	    { if ($3 + 0 > $2 + 0) print "over capacity:", $0
	      if ($3 + 0 != c[$1] + 0 || $5 + 0 != n[$1] + 0) print "books differ:", $0, c[$1], n[$1] }
	' insts hosts
}
# size in bytes of st-host-ls's mem_used: compare mem as raw bytes
mem_books() {
	sqlite3 "$ST_STATE" "SELECT h.name FROM hosts h WHERE h.mem_used <>
	    (SELECT coalesce(sum(mem), 0) FROM instances WHERE host = h.id)"
}
# fatal lines in any stderr but the failures expected
only() { cat "$trash"/*.err | grep fatal: | grep -v "$@"; }

fresh
st-create $IMG --cpu 1 --mem 256M -n 40 >ids
for p in 1 2 3 4 5 6 7 8; do
	st-schedule <ids >"$trash/s$p.out" 2>"$trash/s$p.err" &
done
wait
is "$(st-ps --state scheduled -q | wc -l)" 20 'exactly 20 placed'
is "$(cat "$trash"/s*.out | cut -f1 | sort -u | wc -l)" 20 'the outputs name the same 20'
is "$(cat "$trash"/s*.out | sort -u | wc -l)" 20 'each always with the same host'
is "$(st-ps -o id,host --state scheduled | sort)" "$(cat "$trash"/s*.out | sort -u)" 'the hosts printed are the hosts recorded'
is "$(books)" '' 'no host over capacity, st-host-ls agrees with the sum over instances'
is "$(mem_books)" '' 'memory books agree'
is "$(st-host-ls -o cpu_used | sort -u)" 4 'every host full'
is "$(cat "$trash"/*.err | grep -ci -e locked -e busy)" 0 'no "database is locked" in any stderr'
is "$(grep -h fatal: "$trash"/*.err | grep -vc 'no host fits')" 0 'the only failures are "no host fits"'
is "$(st-events | grep -c instance.schedule)" 20 '20 schedule events'

# the same with st-create and st-rm at the same time: 5 instances placed
# beforehand are removed (their capacity freed), 10 of the 40 are removed
# while being scheduled, and create | rm pipelines come and go
fresh
st-create $IMG --cpu 1 --mem 256M -n 5 | st-schedule | cut -f1 >victims
st-create $IMG --cpu 1 --mem 256M -n 40 >ids
head -30 ids >keep
tail -10 ids >gone
for p in 1 2 3 4 5 6 7 8; do
	st-schedule <ids >"$trash/s$p.out" 2>"$trash/s$p.err" &
done
(for v in $(cat victims gone); do st-rm "$v" || echo "st-rm $v: $?"; done) >"$trash/rm.out" 2>"$trash/rm.err" &
(for n in 1 2 3 4 5 6 7 8 9 10; do
	st-create $IMG --cpu 1 -n 3 >"$trash/new" || echo "st-create: $?"
	st-rm <"$trash/new" || echo "st-rm: $?"
done) >"$trash/cr.out" 2>"$trash/cr.err" &
wait
is "$(grep -c 'st-rm\|st-create' "$trash/rm.out" "$trash/cr.out" | cut -d: -f2 | tr '\n' ' ')" '0 0 ' 'every st-create and st-rm succeeded'
is "$(books)" '' 'after the race: no host over capacity, books agree'
is "$(mem_books)" '' 'memory books agree'
is "$(cat "$trash"/*.err | grep -ci -e locked -e busy)" 0 'no "database is locked" in any stderr'
is "$(only -e 'no host fits' -e 'no such instance')" '' 'the only failures are "no host fits" and removed instances'
# the capacity the removals freed is placed by one more run
st-schedule <keep >"$trash/last.out" 2>"$trash/last.err"
is "$(grep -f keep "$trash/last.out" | wc -l)" 20 'then exactly 20 of the 30 left are placed'
is "$(st-ps -a -q | sort)" "$(sort keep)" 'removed instances are gone, created ones removed'
is "$(books)$(mem_books)" '' 'books agree at the end'
