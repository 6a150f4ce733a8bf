#!/bin/sh
# st-create records instances in state requested with everything given;
# st-ps lists and filters them, st-inspect prints them, st-attr and
# st-label change them, st-events shows the log; the st front end.
. "$(dirname "$0")/lib.sh"
plan 77

st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
# the ID of the first JSON object st-inspect or st-ps printed
idof() { sed -n '1s/^{"id":"\([^"]*\)".*/\1/p' "$trash/out"; }

# st-create
ok 'st-create -n 3 --name web' st-create --image busybox:1.36 -n 3 --name web --cpu 0.5 --mem 512M \
    --label app=web --label tier=front --attr 'note=hello, world' --attr owner=ops \
    --env A=1 --env 'B=two words' --port 8080:80 --port 5353:53/udp --restart always \
    -- sh -c 'echo "$A" > /tmp/x'
cp "$trash/out" "$trash/web"
is "$(grep -c '^i-[0-9a-f]\{12\}$' "$trash/web")" 3 'prints three instance IDs'
is "$(sqlite3 "$ST_STATE" 'SELECT name FROM instances ORDER BY rowid' | paste -sd' ')" 'web-1 web-2 web-3' \
    'named web-1, web-2, web-3'
is "$(sqlite3 "$ST_STATE" 'SELECT id FROM instances ORDER BY rowid')" "$(cat "$trash/web")" \
    'the IDs printed are those recorded, in order'
w1=$(head -n 1 "$trash/web")

ok 'st-inspect web-1' st-inspect web-1
cp "$trash/out" "$trash/w1.json"
is "$(jq -c '[.id, .name, .kind, .state, .host, .image, .cpu, .mem]' "$trash/w1.json")" \
    "[\"$w1\",\"web-1\",\"container\",\"requested\",null,\"busybox:1.36\",0.5,536870912]" \
    'id, name, kind, state requested, no host, image, cpu 0.5, mem 512M in bytes'
is "$(jq -c '[.labels, .attrs]' "$trash/w1.json")" \
    '[{"app":"web","tier":"front"},{"note":"hello, world","owner":"ops"}]' 'labels and attributes'
is "$(jq -c '[.env, .cmd, .restart]' "$trash/w1.json")" \
    '[["A=1","B=two words"],["sh","-c","echo \"$A\" > /tmp/x"],"always"]' 'env, cmd after --, restart'
is "$(jq -c '.ports' "$trash/w1.json")" \
    '[{"host_port":5353,"port":53,"proto":"udp"},{"host_port":8080,"port":80,"proto":"tcp"}]' 'ports'
is "$(jq -r .created "$trash/w1.json" | grep -c '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$')" 1 \
    'created is an ISO 8601 UTC time'
is "$(jq -r '[has("id","name","kind","state","host","image","cpu","mem","labels","attrs","created")] | all' "$trash/w1.json")" \
    true 'every field the issue names is there'
is "$(sqlite3 "$ST_STATE" "SELECT cpu, mem, state FROM instances WHERE name = 'web-3'")" '500|536870912|requested' \
    'recorded in millicpus and bytes, state requested'
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM instance_ports")" 6 'the ports of all three are recorded'

ok 'st-create with the defaults' st-create --image busybox
d=$(cat "$trash/out")
ok 'st-inspect it' st-inspect "$d"
is "$(jq -c '[.name, .kind, .cpu, .mem, .restart, .env, .cmd, .ports, .labels, .attrs]' "$trash/out")" \
    '[null,"container",1,268435456,"no",[],[],[],{},{}]' 'no name, container, 1 cpu, 256M, restart no, nothing else'
# a VM's image is a registered template (st-image-add); the instance
# records the image's ID
qemu-img create -q -f qcow2 "$trash/debian12.qcow2" 64M
m=$(st-image-add debian12 --qcow2 "$trash/debian12.qcow2")
ok 'st-create 1.5G, 0.001 cpu, a vm' st-create --image debian12 --kind vm --name big --mem 1.5G --cpu 0.001
ok 'st-inspect big' st-inspect big
is "$(jq -c '[.kind, .image, .cpu, .mem]' "$trash/out")" "[\"vm\",\"$m\",0.001,1610612736]" \
    'vm, its image ID, 0.001 cpu, 1.5G in bytes'
fails_with 100 'already taken' st-create --image busybox --name web-2
fails_with 100 'already taken' st-create --image busybox --name web -n 4
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM instances WHERE name = 'web-4'")" 0 \
    'one name taken: none of the batch is recorded'

# st-ps
ok 'st-ps' st-ps
is "$(cut -f1 "$trash/out" | paste -sd' ')" "$(sqlite3 "$ST_STATE" 'SELECT id FROM instances ORDER BY rowid' | paste -sd' ')" \
    'every instance, ID first, in creation order'
is "$(head -n 1 "$trash/out")" "$(printf '%s\tweb-1\tcontainer\trequested\t-\tbusybox:1.36\t0.5\t512M' "$w1")" \
    'id, name, kind, state, host, image, cpu, mem'
sqlite3 "$ST_STATE" "UPDATE instances SET state = 'stopped' WHERE name = 'web-3';
    UPDATE instances SET state = 'running' WHERE name = 'web-2'"
ok 'st-ps -q' st-ps -q
is "$(grep -c . "$trash/out")" 4 'without -a, the stopped one is left out'
ok 'st-ps -a -q' st-ps -a -q
is "$(grep -c . "$trash/out")" 5 'with -a, all five'
ok 'st-ps --state stopped -q' st-ps --state stopped -q
is "$(cat "$trash/out")" "$(sqlite3 "$ST_STATE" "SELECT id FROM instances WHERE name = 'web-3'")" '--state stopped: web-3'
ok 'st-ps --state running -o name,state' st-ps --state running -o name,state
is "$(cat "$trash/out")" "$(printf 'web-2\trunning')" '--state and -o'
ok 'st-ps --label app=web -o name' st-ps --label app=web -o name
is "$(paste -sd' ' "$trash/out")" 'web-1 web-2' '--label: the labelled ones that are not stopped'
ok 'st-ps -a --label app=web --label tier=front -o name' st-ps -a --label app=web --label tier=front -o name
is "$(paste -sd' ' "$trash/out")" 'web-1 web-2 web-3' 'two labels: both must match'
ok 'st-ps --label app=db' st-ps --label app=db
is "$(wc -c <"$trash/out" | tr -d ' ')" 0 'no match: nothing printed, exit 0'
ok 'st-ps -o mem,cpu,labels,restart --state running' st-ps -o mem,cpu,labels,restart --state running
is "$(cat "$trash/out")" "$(printf '512M\t0.5\tapp=web,tier=front\talways')" 'sizes, cpus and labels as typed'

# on a terminal: a header, and columns aligned
script -qec 'st-ps -a -o id,name,mem' /dev/null </dev/null >"$trash/tty" 2>&1
tr -d '\r' <"$trash/tty" >"$trash/out"
is "$(sed -n 1p "$trash/out")|$(grep -c . "$trash/out")" 'ID              NAME   MEM|6' 'on a terminal: a header line, then one line each'
is "$(grep "^$w1 " "$trash/out")|$(grep "^$d " "$trash/out")" "$w1  web-1  512M|$d  -      256M" \
    'on a terminal: columns aligned, - for no name'

# st-ps -j prints the objects st-inspect prints
ok 'st-ps -a -j' st-ps -a -j
cp "$trash/out" "$trash/ps.json"
st-ps -a -q >"$trash/ids"
st-inspect <"$trash/ids" >"$trash/inspect.json"
is "$(cat "$trash/ps.json")" "$(cat "$trash/inspect.json")" 'st-ps -j and st-inspect print the same objects'
is "$(jq -s length "$trash/ps.json")" 5 'one JSON line per instance'

# st-attr
ok 'st-attr set two' st-attr web-1 owner=alice 'color=dark blue'
is "$(cat "$trash/out")" "$w1" 'prints the ID'
ok 'st-attr get' st-attr web-1 color
is "$(cat "$trash/out")" 'dark blue' 'reads the value back'
ok 'st-attr list' st-attr web-1
is "$(cat "$trash/out")" "$(printf '%s\tcolor\tdark blue\n%s\tnote\thello, world\n%s\towner\talice' "$w1" "$w1" "$w1")" \
    'lists ID, key, value, by key'
st-attr web-1 nokey >"$trash/out" 2>"$trash/err"
is "$?|$(cat "$trash/err")|$(od -An -c "$trash/out" | tr -d ' ')" '1||\n' 'get of a missing key exits 1, prints an empty line'
ok 'st-attr remove' st-attr web-1 -color
is "$(sqlite3 "$ST_STATE" "SELECT group_concat(key) FROM attrs WHERE obj = '$w1'")" 'note,owner' 'the key is gone'
ok 'st-attr on several objects from stdin' st-attr - batch=1 <"$trash/web"
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM attrs WHERE key = 'batch'")" 3 'each got the attribute'
is "$(sqlite3 "$ST_STATE" "SELECT detail FROM events WHERE object = '$w1' AND event = 'instance.attr' ORDER BY seq LIMIT 1" | jq -cS .)" \
    '{"removed":[],"set":{"color":"dark blue","owner":"alice"}}' 'an instance.attr event holds the change'

# st-label
ok 'st-label' st-label web-1 tier=back
ok 'st-ps --label tier=back -q' st-ps --label tier=back -q
is "$(cat "$trash/out")" "$w1" 'the new label selects it'
ok 'st-label remove' st-label web-1 -tier
ok 'st-ps -a --label tier=front -o name' st-ps -a --label tier=front -o name
is "$(paste -sd' ' "$trash/out")" 'web-2 web-3' 'removed: web-1 no longer matches'

# st-events
ok 'st-events' st-events
n=$(grep -c . "$trash/out")
is "$(sed -n 2p "$trash/out" | cut -f3,4)" "$(printf '%s\tinstance.create' "$w1")" 'TSV: seq, time, object, event, detail'
ok 'st-events -j --since 2' st-events -j --since 2
is "$(jq -s 'map(.seq) | min' "$trash/out")|$(grep -c . "$trash/out")" "3|$((n - 2))" \
    '--since 2 starts at seq 3'
is "$(head -n 1 "$trash/out" | jq -c 'keys')" '["detail","event","object","seq","time"]' 'JSON fields'
sqlite3 "$ST_STATE" "UPDATE events SET time = time - 10 * 86400 WHERE seq <= 3"
st-events --prune-before 5 >"$trash/out" 2>"$trash/err"
is "$?|$(cat "$trash/out" "$trash/err")" '0|' '--prune-before 5: exit 0, quiet when stderr is not a terminal'
is "$(sqlite3 "$ST_STATE" 'SELECT min(seq) || "|" || count(*) FROM events')" "4|$((n - 3))" 'the others stay'

# the st front end
ok 'st help' st help
for c in $(cd "$ST_TOP/bin" && ls st-* | grep -v '\.'); do
	grep -q "^  ${c#st-}\( \|$\)" "$trash/out" || echo "$c" >>"$trash/missing"
done
is "$(cat "$trash/missing" 2>/dev/null)" '' 'st help lists every command, one per line'
ok 'st ps -a' st ps -a
st-ps -a >"$trash/direct"
is "$(cat "$trash/out")" "$(cat "$trash/direct")" 'st ps runs st-ps'
fails_with 2 'nosuch' st nosuch
fails_with 2 'no command' st
