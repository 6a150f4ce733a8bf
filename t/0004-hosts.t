#!/bin/sh
# st-host-add, st-host-ls, st-host-rm: registering hosts without probing,
# listing them as TSV, IDs or JSON, removing them; 100,000 hosts from
# stdin in one process; random IDs that collide are drawn again.
. "$(dirname "$0")/lib.sh"
plan 47

HA='--no-probe --cpu 4 --mem 8G'
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }

ok 'st-host-add two hosts' st-host-add $HA --label zone=a --label tier=db n1 n2
cp "$trash/out" "$trash/added"
is "$(grep -c '^h-[0-9a-f]\{12\}$' "$trash/added")" 2 'prints two host IDs'
ok 'st-host-ls' st-host-ls
is "$(cut -f1,2 "$trash/out" | paste -sd' ')" "$(paste "$trash/added" - <<EOF | paste -sd' '
n1
n2
EOF
)" 'TSV, ID first, then the name; no header on a pipe'
is "$(cut -f3-8 "$trash/out" | head -n 1)" "$(printf 'active\t4\t0\t8G\t0\t0')" \
    'state, cpu, cpu_used, mem, mem_used, instances'
ok 'st-host-ls -q' st-host-ls -q
is "$(cat "$trash/out")" "$(cat "$trash/added")" '-q prints the IDs only'
ok 'st-host-ls -o name,mem,labels' st-host-ls -o name,mem,labels
is "$(head -n 1 "$trash/out")" "$(printf 'n1\t8G\ttier=db,zone=a')" '-o picks the columns, in order'

ok 'st-host-ls -j' st-host-ls -j
id1=$(head -n 1 "$trash/added")
is "$(head -n 1 "$trash/out" | jq -c '[.id, .name, .state, .cpu, .mem, .cpu_used, .mem_used, .labels]')" \
    "[\"$id1\",\"n1\",\"active\",4,8589934592,0,0,{\"tier\":\"db\",\"zone\":\"a\"}]" \
    'JSON: id, name, state, cpu, mem in bytes, cpu_used, mem_used, labels'
is "$(jq -s length "$trash/out")" 2 'one JSON object per host, one per line'
is "$(wc -l <"$trash/out" | tr -d ' ')" 2 'JSON Lines: each object on one line'

ok 'a host with 0.5 cpu and 1.5G' st-host-add --no-probe --cpu 0.5 --mem 1.5G half
half=$(cat "$trash/out")
ok 'st-inspect the host' st-inspect half
is "$(jq -c '[.id, .cpu, .mem, .cpu_free, .mem_free]' "$trash/out")" "[\"$half\",0.5,1610612736,0.5,1610612736]" \
    'fractional cpu in JSON, mem in bytes, free capacity'
ok 'st-host-ls -o name,cpu,mem' st-host-ls -o name,cpu,mem
is "$(grep '^half' "$trash/out")" "$(printf 'half\t0.5\t1.5G')" 'shown as typed: 0.5 and 1.5G'
is "$(sqlite3 "$ST_STATE" "SELECT cpu, mem FROM hosts WHERE name = 'half'")" '500|1610612736' \
    'recorded in millicpus and bytes'

sum=$(state_sum)
fails_with 100 "'n1'" st-host-add $HA n1
is "$(state_sum)" "$sum" 'a name taken: nothing changes'
fails_with 100 'already taken' st-host-add $HA n3 n1
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM hosts WHERE name = 'n3'")" 1 \
    'the other operands of the batch are still added'

# removal
n3=$(sqlite3 "$ST_STATE" "SELECT id FROM hosts WHERE name = 'n3'")
st-label n3 k=v >/dev/null && st-attr n3 k=v >/dev/null
ok 'st-host-rm by name' st-host-rm n3
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM hosts WHERE name = 'n3'")" 0 'the host is gone'
echo "$half" >"$trash/in"
st-host-rm <"$trash/in" >"$trash/out" 2>"$trash/err"
is $? 0 'st-host-rm by ID from stdin'
is "$(cat "$trash/out")" "$half" 'prints the removed ID'
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM hosts WHERE id = '$half'")" 0 'it is gone'
is "$(sqlite3 "$ST_STATE" "SELECT group_concat(event) FROM events WHERE object = '$half'")" 'host.add,host.remove' \
    'events record the add and the remove'
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM labels WHERE obj = '$n3'")|$(sqlite3 "$ST_STATE" "SELECT count(*) FROM attrs WHERE obj = '$n3'")" \
    '0|0' 'the labels and attributes of a removed host are gone'
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM labels")" 4 'those of n1 and n2 are kept'

# a host that holds an instance is not removed
iid=$(st-create --image busybox) &&
sqlite3 "$ST_STATE" "UPDATE instances SET host = '$id1', state = 'scheduled' WHERE id = '$iid';
    UPDATE hosts SET ninst = 1, cpu_used = 1000, mem_used = 268435456 WHERE id = '$id1'"
sum=$(state_sum)
fails_with 100 'placed on it' st-host-rm n1
is "$(state_sum)" "$sum" 'the host and the state are unchanged'
ok 'st-host-ls -j after placing' st-host-ls -j
is "$(jq -c 'select(.name == "n1") | [.cpu_used, .mem_used, .instances]' "$trash/out")" '[1,268435456,1]' \
    'cpu_used, mem_used and instances show the placement'
sqlite3 "$ST_STATE" "UPDATE instances SET host = NULL, state = 'requested' WHERE id = '$iid';
    UPDATE hosts SET ninst = 0, cpu_used = 0, mem_used = 0 WHERE id = '$id1'"
ok 'once the instance left, st-host-rm n1' st-host-rm n1

# random IDs that collide are drawn again: a getrandom() that gives every
# value twice makes each new host meet the ID of the one before
cat >"$trash/twice.c" <<'EOF'
#include <sys/types.h>
static unsigned long calls;
ssize_t getrandom(void *buf, size_t n, unsigned int flags)
{
	unsigned char *p = buf;
	unsigned long v = calls++ / 2;
	(void)flags;
	for (size_t i = 0; i < n; i++)
		p[i] = i < sizeof v ? (unsigned char)(v >> (8 * (i % sizeof v))) : 0;
	return (ssize_t)n;
}
EOF
if cc -shared -fPIC -o "$trash/twice.so" "$trash/twice.c" 2>"$trash/err"; then
	seq 1000 | sed 's/^/twice/' >"$trash/names"
	LD_PRELOAD=$trash/twice.so st-host-add $HA <"$trash/names" >"$trash/out" 2>"$trash/err"
	is $? 0 'every ID met an existing one once: st-host-add still succeeds'
	is "$(sort -u "$trash/out" | grep -c '^h-[0-9a-f]\{12\}$')" 1000 '1000 distinct IDs printed'
	# the constant: every draw meets the first ID
	sed -i 's/calls++ \/ 2/0/' "$trash/twice.c"
	cc -shared -fPIC -o "$trash/same.so" "$trash/twice.c"
	sum=$(state_sum)
	LD_PRELOAD=$trash/same.so st-host-add $HA <<EOF >"$trash/out" 2>"$trash/err"
same1
same2
EOF
	is $? 111 'no free ID after the retries: a temporary failure'
	is "$(grep -c "^st-host-add: fatal: unable to add host 'same[12]': no free ID" "$trash/err")" 2 \
	    'an error naming each host'
	is "$(state_sum)" "$sum" 'and nothing was added'
else
	for i in 1 2 3 4 5; do _n=$((_n + 1)); echo "ok $_n # SKIP no C compiler"; done
fi

# 100,000 hosts from stdin in one process
sqlite3 "$ST_STATE" 'DELETE FROM hosts; DELETE FROM labels; DELETE FROM events'
seq 100000 | sed 's/^/big/' >"$trash/names"
st-host-add $HA <"$trash/names" >"$trash/ids" 2>"$trash/err"
is $? 0 '100,000 hosts from stdin: exit 0'
is "$(wc -c <"$trash/err" | tr -d ' ')" 0 'nothing on stderr'
is "$(sort -u "$trash/ids" | grep -c '^h-[0-9a-f]\{12\}$')" 100000 '100,000 distinct IDs printed'
is "$(sqlite3 "$ST_STATE" 'SELECT count(*), count(DISTINCT name) FROM hosts')" '100000|100000' \
    '100,000 hosts recorded'
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM events WHERE event = 'host.add'")" 100000 \
    'one host.add event each'
st-host-ls -q >"$trash/ls"
is "$(sort "$trash/ls" | cmp - "$(sort "$trash/ids" >"$trash/ids.s"; echo "$trash/ids.s")" >/dev/null && echo same)" same \
    'st-host-ls -q lists exactly the IDs printed'
