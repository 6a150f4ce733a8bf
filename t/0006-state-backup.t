#!/bin/sh
# st-state-backup while 4 writers run: each copy passes SQLite's
# integrity check, is mode 0600, opens with st-ps, and holds whole
# transactions only.
. "$(dirname "$0")/lib.sh"
plan 25

HA='--no-probe --cpu 1 --mem 1G'
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
st-create --image busybox --name target >/dev/null || { echo 'Bail out! st-create failed'; exit 1; }

# writer N CMD...: runs CMD (with $i the round) until $trash/stop exists;
# a failure is written to $trash/fail.N
writer() {
	_w=$1
	shift
	(
		i=0
		while [ ! -e "$trash/stop" ]; do
			i=$((i + 1))
			eval "$*" >/dev/null 2>>"$trash/fail.$_w" || echo "round $i: exit $?" >>"$trash/fail.$_w"
		done
		echo "$i" >"$trash/rounds.$_w"
	) </dev/null &
	pids="$pids $!"
}
pids=
at_exit 'touch "$trash/stop"; for p in $pids; do kill $p; done; wait'

writer 1 'st-create --image busybox --label w=1 --attr "round=$i" -n 3'
writer 2 'st-label target "round=r$i"'
writer 3 'st-host-add $HA "w3-$i"'
writer 4 'st-attr target "round=$i" "note=writer 4"'

# the live counts, to show a copy was taken while the writers went on
count() { sqlite3 -cmd '.timeout 30000' "$ST_STATE" "SELECT count(*) FROM $1"; }
while [ "$(count instances)" -lt 30 ] || [ "$(count hosts)" -lt 10 ]; do sleep 0.1; done
for k in 1 2 3; do
	st-state-backup "$trash/copy$k.db" >"$trash/out$k" 2>"$trash/err$k"
	echo $? >"$trash/rc$k"
	sleep 0.3
done
before=$(count instances)
sleep 0.3
after=$(count instances)
touch "$trash/stop"
wait
pids=

for k in 1 2 3; do
	c=$trash/copy$k.db
	is "$(cat "$trash/rc$k")|$(cat "$trash/out$k")|$(cat "$trash/err$k")" "0|$c|" \
	    "backup $k: exit 0, prints the file, nothing on stderr"
	is "$(sqlite3 "$c" 'PRAGMA integrity_check')" ok "backup $k passes PRAGMA integrity_check"
	is "$(stat -c %a "$c")" 600 "backup $k is mode 0600"
	ok "st-ps --state-file on backup $k" st-ps -a -q --state-file "$c"
	is "$(grep -c . "$trash/out")" "$(sqlite3 "$c" 'SELECT count(*) FROM instances')" \
	    "backup $k: st-ps lists every instance it holds"
	# st-create records an instance and its event in one transaction
	is "$(sqlite3 "$c" "SELECT count(*) FROM instances WHERE id NOT IN
	    (SELECT object FROM events WHERE event = 'instance.create')") $(sqlite3 "$c" "SELECT count(*) FROM hosts
	    WHERE id NOT IN (SELECT object FROM events WHERE event = 'host.add')") $(sqlite3 "$c" "SELECT count(*) % 3
	    FROM instances WHERE name IS NULL")" '0 0 0' \
	    "backup $k holds whole transactions: each row with its event, instances by threes"
done
n1=$(sqlite3 "$trash/copy1.db" 'SELECT count(*) FROM instances')
n3=$(sqlite3 "$trash/copy3.db" 'SELECT count(*) FROM instances')
ok "the writers went on during the backups ($n1 < $n3 <= $before < $after)" \
    test "$n1" -lt "$n3" -a "$n3" -le "$before" -a "$before" -lt "$after"
is "$(cat "$trash"/fail.* 2>/dev/null)" '' 'no writer failed'
for w in 1 2 3 4; do
	ok "writer $w ran several rounds ($(cat "$trash/rounds.$w"))" test "$(cat "$trash/rounds.$w")" -gt 3
done
ls "$trash" | grep '\.tmp\.' >"$trash/tmps"
is "$(cat "$trash/tmps")" '' 'no temporary file is left beside the copies'
