#!/bin/sh
# st-schedule: spread and binpack, --spread-by, --constraint, host ports,
# drained hosts, already placed instances, stopped instances placed again,
# and bad input refused with the state unchanged.
. "$(dirname "$0")/lib.sh"
plan 50

IMG='--image busybox'
# fresh: a new state with 3 hosts of 4 cpus and 8G
fresh() {
	rm -f "$ST_STATE" "$ST_STATE-wal" "$ST_STATE-shm"
	st-init >/dev/null 2>&1 &&
	    printf 'h1\nh2\nh3\n' | st-host-add --no-probe --cpu 4 --mem 8G >/dev/null
}
# per host: "name instances cpu_used" lines, as st-host-ls reports them
use() { st-host-ls -o name,instances,cpu_used | tr '\t' ' '; }
# the instances st-host-ls counts, one number per host, in name order
counts() { st-host-ls -o instances | tr '\n' ' '; }
# the host name and the state st-inspect reports
hname() { st-inspect "$1" | sed -n 's/.*"host_name":"\([^"]*\)".*/\1/p'; }
istate() { st-inspect "$1" | sed -n 's/.*"state":"\([^"]*\)".*/\1/p'; }

# spread: 9 on 3 equal hosts, 3 each
fresh
st-create $IMG -n 9 >ids
ok 'spread places 9 instances' st-schedule <ids
cp out placed
is "$(cut -f1 placed)" "$(cat ids)" 'prints every ID, in input order'
is "$(cut -f2 placed | sort | uniq -c | awk '{ print $1 }' | tr '\n' ' ')" '3 3 3 ' 'output: 3 per host'
is "$(use | tr '\n' ' ')" 'h1 3 3 h2 3 3 h3 3 3 ' 'st-host-ls: 3 instances and 3 cpus used on each host'
is "$(st-ps --state scheduled -q | wc -l)" 9 'the 9 are scheduled'
is "$(st-ps -o id,host | sort)" "$(sort placed)" 'st-ps shows the hosts printed'
is "$(st-events | grep -c 'instance.schedule.*"host":"h-')" 9 'one instance.schedule event each, with the host'

# already placed: printed with its host, not placed again
before=$(state_sum)
ok 'st-schedule again on placed instances' st-schedule <ids
is "$(cat out)" "$(cat placed)" 'placed instances are printed with their host'
is "$(state_sum)" "$before" 'and nothing changes'
ok 'an ID given as an operand' st-schedule "$(head -1 ids)"
is "$(cat out)" "$(head -1 placed)" 'operand printed with its host'

# binpack: one host filled first
fresh
st-create $IMG -n 5 >ids
ok 'binpack places 5 one-cpu instances' st-schedule --strategy binpack <ids
is "$(counts)" '4 1 0 ' 'binpack fills one host before the next'
is "$(cut -f2 out | uniq | wc -l)" 2 'in order: 4 on one host, then the next'

# --spread-by keeps a group apart, even with binpack
fresh
st-create $IMG --label app=web -n 3 >web
st-create $IMG --label app=db -n 2 >db
cat web db >both
ok 'binpack --spread-by app' st-schedule --strategy binpack --spread-by app <both
is "$(grep -f web out | cut -f2 | sort -u | wc -l)" 3 'the 3 app=web instances are on 3 hosts'
is "$(grep -f db out | cut -f2 | sort -u | wc -l)" 2 'the 2 app=db instances are on 2 hosts'
st-create $IMG --label app=web >web4
use >before
ok 'a 4th app=web when every host holds one' st-schedule --strategy binpack --spread-by app <web4
is "$(grep "^$(cut -f2 out) " before | cut -d' ' -f3)" 2 'soft: it shares, and binpack takes a fullest host'

# --constraint: hard, on host labels
fresh
st-label h1 zone=a >/dev/null && st-label h2 zone=b >/dev/null && st-label h3 zone=b >/dev/null
st-create $IMG -n 3 >ids
ok '--constraint zone=a' st-schedule --constraint zone=a <ids
is "$(cut -f2 out | sort -u)" h1 'all 3 on the zone=a host'
st-create $IMG -n 4 >ids
ok '--constraint zone!=a' st-schedule --constraint zone!=a <ids
is "$(cut -f2 out | sort -u | tr '\n' ' ')" 'h2 h3 ' 'none on the zone=a host'
st-create $IMG >one
before=$(state_sum)
fails_with 100 'constraint' st-schedule --constraint zone=c "$(cat one)"
is "$(state_sum)$(istate "$(cat one)")" "${before}requested" 'unplaceable: state unchanged, still requested'

# a rare label: 300 bigger hosts refused by the constraint before the
# one that has it, which is then found through the label index
fresh
seq 300 | sed 's/^/big/' | st-host-add --no-probe --cpu 64 --mem 64G >/dev/null
st-host-add --no-probe --cpu 2 --mem 4G --label gpu=yes gpu1 >/dev/null
st-create $IMG -n 2 >ids
ok '--constraint gpu=yes among 304 hosts' st-schedule --constraint gpu=yes <ids
is "$(cut -f2 out | tr '\n' ' ')" 'gpu1 gpu1 ' 'placed on the one host with the label'
st-create $IMG >one
fails_with 100 'no host fits (304 hosts, 303 refused by a constraint, 1 short of cpu)' \
    st-schedule --constraint gpu=yes "$(cat one)"

# host ports are a resource: the same host port never shares a host
fresh
st-create $IMG --port 8080:80 -n 3 >ids
ok 'three instances publishing 8080, binpack' st-schedule --strategy binpack <ids
is "$(cut -f2 out | sort -u | wc -l)" 3 'each on its own host'
is "$(sqlite3 "$ST_STATE" "SELECT count(DISTINCT host_of) FROM instance_ports WHERE host_port = 8080")" 3 'the ports are held on 3 hosts'
st-create $IMG --port 8080:80 >one
fails_with 100 'port' st-schedule "$(cat one)"
st-create $IMG --port 8081:80 --port 53:53/udp >two
ok 'other ports still fit' st-schedule "$(cat two)"

# a drained host receives nothing
fresh
st-host-drain h2 >/dev/null 2>&1
st-create $IMG -n 6 >ids
ok 'schedule 6 with h2 drained' st-schedule <ids
is "$(counts)" '3 0 3 ' 'the drained host got none'

# a stopped instance is placed again, elsewhere with --exclude
fresh
st-create $IMG -n 3 --cpu 2 --mem 1G >ids
st-schedule <ids >placed
i=$(head -1 ids) h=$(head -1 placed | cut -f2)
sqlite3 "$ST_STATE" "UPDATE instances SET state = 'stopped' WHERE id = '$i'"
ok 'stopped instance, --exclude its host' st-schedule --exclude "$h" "$i"
is "$(cut -f1 out)" "$i" 'printed'
new=$(cut -f2 out)
ok 'placed on another host' test "$new" != "$h"
is "$(istate "$i") $(hname "$i")" "scheduled $new" 'scheduled on the new host'
is "$(st-host-ls -o name,cpu_used,mem_used,instances | grep "^$h	" | cut -f2-)" "0	0	0" 'its old host got its reservation back'

# bad input: usage 2, state 100, nothing changed
fresh
st-create $IMG >one
i=$(cat one)
before=$(state_sum)
fails_with 2 'strategy' st-schedule --strategy random "$i"
fails_with 2 'constraint' st-schedule --constraint zone "$i"
fails_with 2 'constraint' st-schedule --constraint '=a' "$i"
fails_with 100 'no-such' st-schedule no-such
fails_with 100 'i-0000deadbeef' st-schedule i-0000deadbeef
printf 'i-0000deadbeef\n' >bad
fails_with 100 'i-0000deadbeef' st-schedule <bad
is "$(state_sum)" "$before" 'state unchanged by refused input'
fails_with 100 'no-such' st-schedule no-such "$i"
is "$(cut -f1 out)" "$i" 'the good record of a batch is still placed'
