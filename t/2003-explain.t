#!/bin/sh
# --explain: for a cluster where nothing fits, every host is counted under
# the filter that refused it, and the closest hosts show their shortfall;
# failures are explained without --explain too; placements with it.
. "$(dirname "$0")/lib.sh"
plan 22

IMG='--image busybox'
st-init >/dev/null 2>&1
# one host refused by each filter; the instance wants 3 cpus, 2G, port 8080
st-host-add --no-probe --cpu 2.5 --mem 8G --label zone=a h1 >/dev/null	# 0.5 cpu short
st-host-add --no-probe --cpu 4 --mem 1792M --label zone=a h2 >/dev/null	# 256M mem short
st-host-add --no-probe --cpu 1 --mem 1G --label zone=a h3 >/dev/null	# both short
st-host-add --no-probe --cpu 8 --mem 16G --label zone=a h4 >/dev/null	# drained
st-host-add --no-probe --cpu 8 --mem 16G --label zone=b h5 >/dev/null	# constraint
st-host-add --no-probe --cpu 8 --mem 16G --label zone=a h6 >/dev/null	# excluded
st-host-add --no-probe --cpu 8 --mem 16G --label zone=a h7 >/dev/null	# port taken
st-host-add --no-probe --cpu 8 --mem 16G --label zone=a h8 >/dev/null	# vm only
st-host-drain h4 >/dev/null 2>&1
# kinds are probed with the drivers; simulate a libvirt-only host
sqlite3 "$ST_STATE" "UPDATE hosts SET kinds = 2 WHERE name = 'h8'"
st-create $IMG --port 8080:80 --cpu 0.5 >p
st-schedule --constraint zone=a --exclude h6 --exclude h1 --exclude h2 --exclude h3 --exclude h8 <p >/dev/null 2>&1
st-create $IMG --cpu 3 --mem 2G --port 8080:80 >one
i=$(cat one)
before=$(state_sum)

fails_with 100 'no host fits' st-schedule --constraint zone=a --exclude h6 "$i"
cp err e
is "$(state_sum)" "$before" 'nothing placed, state unchanged'
is "$(grep -c "fatal: unable to schedule '$i': no host fits (8 hosts, 1 not active, 1 of another kind, 1 excluded, 1 refused by a constraint, 1 with a host port taken, 2 short of cpu, 1 short of memory)" e)" 1 'the fatal line sums up the refusals'
is "$(grep -c "explain '$i': container, cpu 3, mem 2G, spread: 8 hosts, 0 fit" e)" 1 'explained without --explain: a failure always is'
f() { sed -n "s/^  $1 *\([0-9]*\) .*/\1/p" e; }
is "$(f state)" 1 'state: the drained host'
is "$(f kind)" 1 'kind: the vm-only host'
is "$(f exclude)" 1 'exclude: the host named by --exclude'
is "$(f constraint)" 1 'constraint: the zone=b host'
is "$(f ports)" 1 'ports: the host where 8080 is taken'
is "$(f cpu)" 2 'cpu: the two hosts short of cpu'
is "$(f mem)" 1 'mem: the host short of memory only'
is "$(grep '^  closest' e | sed 's/^  closest *//' | tr '\n' '|')" \
    'h2: 256M mem short|h1: 0.5 cpu short|h3: 2 cpu short, 1G mem short|' \
    'the closest hosts, nearest first, with their shortfall'

# without a constraint h5 fits: --explain on a placement
ok 'st-schedule --explain' st-schedule --explain --exclude h6 "$i"
is "$(cat out)" "$i	h5" 'placed on the one host that fits'
cp err e
is "$(grep -c "explain '$i'.*8 hosts, 1 fit" e)" 1 'explained: 1 fit'
is "$(f constraint)" 0 'no constraint, none refused by it'
is "$(sed -n 's/^  placed *//p' e)" h5 'and where it went'
is "$(grep -c fatal e)" 0 'no error'
ok 'already placed, --explain' st-schedule --explain "$i"
is "$(cat err)" "st-schedule: explain '$i': already placed on h5 (scheduled)" 'says it is already placed'

# --spread-by: the hosts holding the group are counted
st-host-undrain h4 >/dev/null 2>&1
st-create $IMG --label app=web -n 2 >web
st-schedule --spread-by app <web >/dev/null 2>&1
st-create $IMG --label app=web >w3
ok '--spread-by --explain' st-schedule --explain --spread-by app <w3
is "$(sed -n 's/^  spread-by *\([0-9]*\) *fitting hosts already hold app=web$/\1/p' err)" 2 'spread-by: 2 fitting hosts hold app=web'
