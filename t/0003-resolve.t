#!/bin/sh
# Resolving objects: an exact ID, then an exact name, then a unique ID
# prefix of at least 4 hex digits (with or without the x- type prefix);
# an ambiguous prefix is an error listing the candidates.
. "$(dirname "$0")/lib.sh"
plan 31

HA='--no-probe --cpu 1 --mem 1G'
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }

# names made of hex digits are valid names and prefixes at once; rows
# with chosen IDs stand for random draws that happen to start the same
beef=$(st-host-add $HA beef) && cafe1=$(st-create --image busybox --name cafe1) &&
sqlite3 "$ST_STATE" "INSERT INTO hosts (id, cpu, mem, created) VALUES
    ('h-beef12345678', 1000, 1073741824, 0), ('h-dead00000001', 1000, 1073741824, 0);
    INSERT INTO instances (id, kind, image, cpu, mem, created, updated) VALUES
    ('i-cafe10000001', 'container', 'busybox', 1000, 1073741824, 0, 0),
    ('i-dead00000001', 'container', 'busybox', 1000, 1073741824, 0, 0)" ||
    { echo 'Bail out! unable to seed the state'; exit 1; }

# the ID of the object st-inspect printed
idof() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$trash/out"; }

ok 'st-inspect beef' st-inspect beef
is "$(idof)" "$beef" \
    'the host named beef wins over the ID h-beef12345678'
ok 'st-inspect cafe1' st-inspect cafe1
is "$(idof)" "$cafe1" 'the instance named cafe1 wins over i-cafe10000001'
ok 'st-label beef' st-label beef role=db
is "$(cat "$trash/out")" "$beef" 'st-label labels the host named beef'
is "$(sqlite3 "$ST_STATE" "SELECT obj FROM labels WHERE key = 'role'")" "$beef" 'and only it'
ok 'st-inspect h-beef' st-inspect h-beef
is "$(idof)" h-beef12345678 'with the type prefix, beef is an ID prefix'
ok 'st-inspect i-cafe1' st-inspect i-cafe1
is "$(idof)" i-cafe10000001 'i-cafe1 is the prefix of i-cafe10000001'

# unique prefixes, with and without the type prefix
ok 'st-inspect an exact ID' st-inspect "$beef"
is "$(idof)" "$beef" 'an exact ID resolves'
hex=${beef#h-}
# the shortest prefix of it, from 4 digits, that no other ID shares
for k in 4 5 6 7 8 9 10 11 12; do
	p4=$(echo "$hex" | cut -c1-"$k")
	[ "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM (SELECT id FROM hosts UNION ALL
	    SELECT id FROM instances) WHERE substr(id, 3, $k) = '$p4'")" -eq 1 ] && [ "$p4" != beef ] && break
done
ok "st-inspect $p4" st-inspect "$p4"
is "$(idof)" "$beef" 'a unique prefix without h- resolves'
ok "st-inspect h-$p4" st-inspect "h-$p4"
is "$(idof)" "$beef" 'a unique prefix with h- resolves'
ok 'st-inspect 12 hex digits' st-inspect "$hex"
is "$(idof)" "$beef" 'all 12 digits without h- resolve'
fails_with 100 "'i-$p4'" st-inspect "i-$p4"
fails_with 100 'at least 4 hex digits' st-inspect "h-$(echo "$hex" | cut -c1-3)"
fails_with 100 "'be'" st-inspect be
fails_with 2 "'BEEF'" st-inspect BEEF

# a prefix shared by a host and an instance: ambiguous without the type
fails_with 100 'ambiguous' st-inspect dead
is "$(sed 1d "$trash/err" | sort | tr -d '\t' | paste -sd' ')" 'h-dead00000001 i-dead00000001' \
    'the candidates of both types are listed'
ok 'st-ps --host dead' st-ps --host dead
fails_with 100 'ambiguous' st-label dead k=v

# one name for a host and an instance: ambiguous without a type
st-host-add $HA web >/dev/null && st-create --image busybox --name web >/dev/null
fails_with 100 'ambiguous' st-inspect web
ok 'st-ps --host web: the host' st-ps --host web

# 2,000 hosts give many pairs sharing 4 hex digits
seq 2000 | sed 's/^/n/' >"$trash/names"
st-host-add $HA <"$trash/names" >/dev/null
pfx=$(st-host-ls -q | cut -c3-6 | sort | uniq -d | head -n 1)
fails_with 100 "'$pfx'" st-host-rm "$pfx"
is "$(sed 1d "$trash/err" | tr -d '\t' | paste -sd' ')" "$(st-host-ls -q | grep "^h-$pfx" | sort | head -n 10 | paste -sd' ')" \
    "every candidate of $pfx is listed, in order"
