#!/bin/sh
# Hostile input: every case of the table is refused with the exact exit
# code (2 from argv, 100 from stdin or the state), a one-line fatal error
# on stderr naming the record, nothing on stdout, and an unchanged state.
. "$(dirname "$0")/lib.sh"

nl='
'
ff=$(printf '\377')
ctl=$(printf '\001')
del=$(printf '\177')
long=$(printf '%10240s' '' | tr ' ' a)
a64=$(printf '%64s' '' | tr ' ' a)
a5000=$(printf '%5000s' '' | tr ' ' a)
a256=$(printf '%256s' '' | tr ' ' a)
HA='--no-probe --cpu 1 --mem 1G'
IMG='--image busybox'

# feed TEXT CMD...: CMD with TEXT as its stdin
feed() {
	printf '%s\n' "$1" >"$trash/in"
	shift
	"$@" <"$trash/in"
}

# rejects CODE WORD CMD...: the checks of one case; reasons on stderr
rejects() {
	_code=$1 _word=$2
	shift 2
	_before=$(state_sum)
	"$@" >"$trash/c.out" 2>"$trash/c.err" </dev/null
	_rc=$?
	_after=$(state_sum)
	_bad=0
	[ "$_rc" -eq "$_code" ] || { echo "exit $_rc, want $_code" >&2; _bad=1; }
	[ -s "$trash/c.out" ] && { echo "stdout not empty" >&2; _bad=1; }
	head -n 1 "$trash/c.err" | grep -q '^st[a-z-]*: fatal: ' ||
	    { echo "first stderr line is not 'st...: fatal: ...'" >&2; _bad=1; }
	head -n 1 "$trash/c.err" | grep -qF -- "$_word" ||
	    { echo "first stderr line does not name '$_word'" >&2; _bad=1; }
	# a second line is only for candidates of an ambiguous prefix
	[ -n "$(sed 1d "$trash/c.err" | grep -v '^	')" ] &&
	    { echo "more than one error line" >&2; _bad=1; }
	[ "$_before" = "$_after" ] || { echo "the state changed" >&2; _bad=1; }
	[ $_bad -eq 0 ] || head -c 600 "$trash/c.err" >&2
	return $_bad
}

# CODE  WORD-IN-THE-ERROR  COMMAND...   (one case per line, read by eval)
table=$(cat <<'EOF'
# bad options: one fatal line naming the option, exit 2
2   "'-Z'"               st-ps -Z
2   "'--bogus'"          st-ps --bogus
2   "'--image'"          st-create --image
2   "'-n'"               st-create --image busybox -n
2   "'--cpu'"            st-host-add --no-probe --mem 1G --cpu
2   "'-x'"               st-attr -x
# host names, from argv: usage errors, and nothing is added
2   "'a;b'"              st-host-add $HA 'a;b'
2   '$(id)'              st-host-add $HA '$(id)'
2   '`id`'               st-host-add $HA '`id`'
2   "'a|b'"              st-host-add $HA 'a|b'
2   "'a b'"              st-host-add $HA 'a b'
2   '*'                  st-host-add $HA '*'
2   "'a\x27b'"           st-host-add $HA "a'b"
2   "'a\"b'"             st-host-add $HA 'a"b'
2   "'a\x5cb'"           st-host-add $HA 'a\b'
2   "'../etc'"           st-host-add $HA '../etc'
2   "'a/b'"              st-host-add $HA 'a/b'
2   "'/'"                st-host-add $HA '/'
2   "'<x>'"              st-host-add $HA '<x>'
2   "'a&b'"              st-host-add $HA 'a&b'
2   "'a\x0ab'"           st-host-add $HA "a${nl}b"
2   "'a\x09b'"           st-host-add $HA 'a	b'
2   "'a\x01b'"           st-host-add $HA "a${ctl}b"
2   "'a\x7fb'"           st-host-add $HA "a${del}b"
2   "''"                 st-host-add $HA ''
2   "aaa...'"            st-host-add $HA "$long"
2   "'$a64'"             st-host-add $HA "$a64"
2   "'a\xffb'"           st-host-add $HA "a${ff}b"
2   "'caf\xc3\xa9'"      st-host-add $HA 'café'
2   "'i-1a2b'"           st-host-add $HA i-1a2b
2   "'h-abcdef123456'"   st-host-add $HA h-abcdef123456
2   "'v-beef'"           st-host-add $HA v-beef
2   "'Web'"              st-host-add $HA Web
2   "'WEB'"              st-host-add $HA WEB
2   "'-web'"             st-host-add $HA -- -web
2   "'a;b'"              st-host-add $HA good1 'a;b' good2
2   "'i-1a2b'"           st-host-add $HA good1 i-1a2b
# host names, from stdin: a bad record is a permanent failure
100 "'a;b'"              feed 'a;b' st-host-add $HA
100 "'../x'"             feed '../x' st-host-add $HA
100 "'<x>'"              feed '<x>' st-host-add $HA
100 "'a b'"              feed 'a b' st-host-add $HA
100 "'Web'"              feed 'Web' st-host-add $HA
100 "'-web'"             feed '-web' st-host-add $HA
100 "'i-1a2b'"           feed 'i-1a2b' st-host-add $HA
100 "'a\xffb'"           feed "a${ff}b" st-host-add $HA
100 "'a\x01b'"           feed "a${ctl}b" st-host-add $HA
100 "aaa...'"            feed "$long" st-host-add $HA
100 "'$a64'"             feed "$a64" st-host-add $HA
# host capacity
2   "'0'"                st-host-add --no-probe --cpu 0 --mem 1G h9
2   "'-1'"               st-host-add --no-probe --cpu -1 --mem 1G h9
2   "'1e30'"             st-host-add --no-probe --cpu 1e30 --mem 1G h9
2   "'0'"                st-host-add --no-probe --cpu 1 --mem 0 h9
2   "'-1G'"              st-host-add --no-probe --cpu 1 --mem -1G h9
2   "'99999P'"           st-host-add --no-probe --cpu 1 --mem 99999P h9
2   "'1M'"               st-host-add --no-probe --cpu 1 --mem 1M h9
2   'needs --cpu'        st-host-add --no-probe --mem 1G h9
2   'no-probe'           st-host-add --cpu 1 --mem 1G h9
2   "'k'"                st-host-add $HA --label k h9
2   "'io.stampede.id=x'" st-host-add $HA --label io.stampede.id=x h9
# instance names
2   "'a;b'"              st-create $IMG --name 'a;b'
2   "'../x'"             st-create $IMG --name '../x'
2   "'a/b'"              st-create $IMG --name 'a/b'
2   "'<b>'"              st-create $IMG --name '<b>'
2   "'a\x0ab'"           st-create $IMG --name "a${nl}b"
2   "''"                 st-create $IMG --name ''
2   "aaa...'"            st-create $IMG --name "$long"
2   "'a\xffb'"           st-create $IMG --name "a${ff}b"
2   "'i-1a2b'"           st-create $IMG --name i-1a2b
2   "'h-abcdef123456'"   st-create $IMG --name h-abcdef123456
2   "'Web'"              st-create $IMG --name Web
2   "'-web'"             st-create $IMG --name -web
2   'too long for -n'    st-create $IMG --name "${a64%aaa}" -n 10
# cpu, memory, count
2   "'-1'"               st-create $IMG --cpu -1
2   "'0'"                st-create $IMG --cpu 0
2   "'0.0'"              st-create $IMG --cpu 0.0
2   "'1e30'"             st-create $IMG --cpu 1e30
2   "'99999999999999999999'" st-create $IMG --cpu 99999999999999999999
2   "'1025'"             st-create $IMG --cpu 1025
2   "'18446744073709552'" st-create $IMG --cpu 18446744073709552
2   "'0.0001'"           st-create $IMG --cpu 0.0001
2   "'abc'"              st-create $IMG --cpu abc
2   "'0x10'"             st-create $IMG --cpu 0x10
2   "' 1'"               st-create $IMG --cpu ' 1'
2   "'1 '"               st-create $IMG --cpu '1 '
2   "''"                 st-create $IMG --cpu ''
2   "'.'"                st-create $IMG --cpu .
2   "'-1'"               st-create $IMG --mem -1
2   "'0'"                st-create $IMG --mem 0
2   "'1e30'"             st-create $IMG --mem 1e30
2   "'99999P'"           st-create $IMG --mem 99999P
2   "'2P'"               st-create $IMG --mem 2P
2   "'1E'"               st-create $IMG --mem 1E
2   "'5M'"               st-create $IMG --mem 5M
2   "'1.5X'"             st-create $IMG --mem 1.5X
2   "'1GG'"              st-create $IMG --mem 1GG
2   "'0x10'"             st-create $IMG --mem 0x10
2   "' 1G'"              st-create $IMG --mem ' 1G'
2   "'abc'"              st-create $IMG --mem abc
2   "'100000000000000000000'" st-create $IMG --mem 100000000000000000000
2   "'18447817815533552'" st-create $IMG --mem 18447817815533552
2   "'-1'"               st-create $IMG -n -1
2   "'0'"                st-create $IMG -n 0
2   "'1e30'"             st-create $IMG -n 1e30
2   "'100001'"           st-create $IMG -n 100001
2   "'99999999999999999999'" st-create $IMG -n 99999999999999999999
2   "'abc'"              st-create $IMG -n abc
2   "'0x10'"             st-create $IMG -n 0x10
2   "' 1'"               st-create $IMG -n ' 1'
2   "'1.5'"              st-create $IMG -n 1.5
# labels and attributes
2   "'novalue'"          st-create $IMG --label novalue
2   "'=v'"               st-create $IMG --label =v
2   "'k y=v'"            st-create $IMG --label 'k y=v'
2   "'k;x=v'"            st-create $IMG --label 'k;x=v'
2   "'-k=v'"             st-create $IMG --label -k=v
2   "'io.stampede.id=x'" st-create $IMG --label io.stampede.id=x
2   "'k=a b'"            st-create $IMG --label 'k=a b'
2   "'k=a;b'"            st-create $IMG --label 'k=a;b'
2   "'k=caf\xc3\xa9'"    st-create $IMG --label 'k=café'
2   "'k=$a64'"           st-create $IMG --label "k=$a64"
2   "'$a64=v'"           st-create $IMG --label "$a64=v"
2   "'k\xff=v'"          st-create $IMG --label "k${ff}=v"
2   "'novalue'"          st-create $IMG --attr novalue
2   "'=v'"               st-create $IMG --attr =v
2   "'k y=v'"            st-create $IMG --attr 'k y=v'
2   "'io.stampede.x=1'"  st-create $IMG --attr io.stampede.x=1
2   "'k=a\x01b'"         st-create $IMG --attr "k=a${ctl}b"
2   "'k=a\x0ab'"         st-create $IMG --attr "k=a${nl}b"
2   "'k=a\x7fb'"         st-create $IMG --attr "k=a${del}b"
2   "'k=a\xffb'"         st-create $IMG --attr "k=a${ff}b"
2   "'k=aaa"             st-create $IMG --attr "k=$a5000"
# environment, ports, restart, kind
2   "'1A=x'"             st-create $IMG --env 1A=x
2   "'A'"                st-create $IMG --env A
2   "'=x'"               st-create $IMG --env =x
2   "'A-B=1'"            st-create $IMG --env A-B=1
2   "'A B=1'"            st-create $IMG --env 'A B=1'
2   "'A=a\x01b'"         st-create $IMG --env "A=a${ctl}b"
2   "'A=a\x0ab'"         st-create $IMG --env "A=a${nl}b"
2   "'A=a\xffb'"         st-create $IMG --env "A=a${ff}b"
2   "'0:80'"             st-create $IMG --port 0:80
2   "'80:0'"             st-create $IMG --port 80:0
2   "'65536:80'"         st-create $IMG --port 65536:80
2   "'80:65536'"         st-create $IMG --port 80:65536
2   "'-1:80'"            st-create $IMG --port -1:80
2   "'+80:80'"           st-create $IMG --port +80:80
2   "'80'"               st-create $IMG --port 80
2   "'a:b'"              st-create $IMG --port a:b
2   "':80'"              st-create $IMG --port :80
2   "'80:'"              st-create $IMG --port 80:
2   "'80:80/sctp'"       st-create $IMG --port 80:80/sctp
2   "'80:80/'"           st-create $IMG --port 80:80/
2   "'80:80 '"           st-create $IMG --port '80:80 '
2   "'1:2:3'"            st-create $IMG --port 1:2:3
2   "'0x50:80'"          st-create $IMG --port 0x50:80
2   "'80:8080'"          st-create $IMG --port 80:80 --port 80:8080
2   "'80:81/udp'"        st-create $IMG --port 80:80/udp --port 80:81/udp
2   "'sometimes'"        st-create $IMG --restart sometimes
2   "'Always'"           st-create $IMG --restart Always
2   "''"                 st-create $IMG --restart ''
2   "'lxc'"              st-create $IMG --kind lxc
2   "'a\xffb'"           st-create $IMG -- sh "a${ff}b"
# image references
2   '--image'            st-create --cpu 1
2   "'Busybox'"          st-create --image Busybox
2   "'library/Busybox'"  st-create --image library/Busybox
2   "'a//b'"             st-create --image a//b
2   "':tag'"             st-create --image :tag
2   "'a:'"               st-create --image a:
2   "'a/'"               st-create --image a/
2   "'/a'"               st-create --image /a
2   "'busy box'"         st-create --image 'busy box'
2   "'../x'"             st-create --image ../x
2   "'a..b'"             st-create --image a..b
2   "'a-'"               st-create --image a-
2   "'busybox:-x'"       st-create --image busybox:-x
2   "'busybox:a b'"      st-create --image 'busybox:a b'
2   "'a@sha256:abc'"     st-create --image a@sha256:abc
2   "'a@:$hex64'"        st-create --image "a@:$hex64"
2   "'a@sha256:${hex64%?}g'" st-create --image "a@sha256:${hex64%?}g"
2   "''"                 st-create --image ''
2   'longer than 255'    st-create --image "$a256"
2   "'a;id'"             st-create --image 'a;id'
2   "'a\x0ab'"           st-create --image "a${nl}b"
2   "'a\xffb'"           st-create --image "a${ff}b"
# unknown objects; a malformed one from argv is a usage error
100 "'nosuch'"           st-host-rm nosuch
100 "'h-000000000000'"   st-host-rm h-000000000000
100 "'i-000000000000'"   st-host-rm i-000000000000
100 "'abc'"              st-host-rm abc
100 "'h-ab'"             st-host-rm h-ab
2   "'a;b'"              st-host-rm 'a;b'
2   "'../x'"             st-host-rm ../x
2   "aaa...'"            st-host-rm "$long"
2   "'a\xffb'"           st-host-rm "a${ff}b"
2   "''"                 st-host-rm ''
2   "'a\xffb'"           st-inspect "a${ff}b"
100 "aaa...'"            feed "$long" st-host-rm
100 "'a\xffb'"           feed "a${ff}b" st-host-rm
100 "'a\xffb'"           feed "a${ff}b" st-inspect
100 "'nosuch'"           feed nosuch st-host-rm
100 "'nosuch'"           st-inspect nosuch
100 "'i-0000'"           st-inspect i-0000
100 "'x-00000000'"       st-inspect x-00000000
100 "'nosuch'"           feed nosuch st-inspect
100 "'nosuch'"           st-attr nosuch k=v
100 "'nosuch'"           st-attr nosuch k
100 "'nosuch'"           st-label nosuch k=v
100 "'nosuch'"           st-label nosuch -k
100 "'nosuch'"           feed nosuch st-label - k=v
100 "'a;b'"              feed 'a;b' st-attr - k=v
100 "'nosuch'"           st-ps --host nosuch
# ambiguous prefixes (seeded below: h-abcd00000001, h-abcd00000002)
100 "'abcd'"             st-host-rm abcd
100 "'h-abcd'"           st-host-rm h-abcd
100 "'abcd0000'"         st-host-rm abcd0000
100 "'abcd'"             st-inspect abcd
100 "'abcd'"             st-attr abcd k=v
100 "'abcd'"             st-label abcd k=v
100 "'abcd'"             st-ps --host abcd
# malformed operations of st-label and st-attr
2   "'k=a b'"            st-label web k=v 'k=a b'
2   "'io.stampede.id=x'" st-label web io.stampede.id=x
2   "'bad key=v'"        st-label web 'bad key=v'
2   "'-bad key'"         st-label web '-bad key'
2   "'k=aaa"             st-attr web "k=$a5000"
2   "'k=a\x01b'"         st-attr web "k=a${ctl}b"
2   "'k=a\xffb'"         st-attr web "k=a${ff}b"
2   "'-io.stampede.x'"   st-attr web -io.stampede.x
2   "'a;b'"              st-attr web 'a;b'
# list filters and options
2   "'novalue'"          st-ps --label novalue
2   "'k=a b'"            st-ps --label 'k=a b'
2   "'bogus'"            st-ps --state bogus
2   "'Running'"          st-ps --state Running
2   "''"                 st-ps --state ''
2   "'nosuch'"           st-ps -o id,nosuch
2   'no columns'         st-ps -o ''
2   "'nosuch'"           st-host-ls -o nosuch
2   "'-1'"               st-events --since -1
2   "'abc'"              st-events --since abc
2   "'-1'"               st-events --prune-before -1
2   "'1e30'"             st-events --prune-before 1e30
2   '--follow'           st-events --prune-before 1 --follow
2   '--since'            st-events --prune-before 1 --since 3
2   '--json'             st-events --prune-before 1 -j
2   'unknown command'    st 'a;b'
2   'unknown command'    st ../st-ps
2   "st-nosuch"          st nosuch
EOF
)
hex64=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

ncases=$(printf '%s\n' "$table" | grep -c '^[0-9]')
valid_refs="busybox busybox:1.36 localhost:5000/a/b:tag registry.example.com/x@sha256:$hex64
library/busy_box registry-1.docker.io:443/a/b-c__d.e:v1.2_3 [::1]:5000/x a/b/c/d ubuntu@sha256:$hex64
x:$(printf '%128s' '' | tr ' ' t) Foo/bar"
plan $((ncases + 12 + $(echo $valid_refs | wc -w)))

st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
st-host-add $HA node1 >/dev/null &&
st-create $IMG --name web >/dev/null &&
sqlite3 "$ST_STATE" "INSERT INTO hosts (id, cpu, mem, created) VALUES
    ('h-abcd00000001', 1000, 1073741824, 0), ('h-abcd00000002', 1000, 1073741824, 0)" ||
    { echo 'Bail out! unable to seed the state'; exit 1; }

while IFS= read -r line; do
	case $line in [0-9]*) ;; *) continue ;; esac
	eval "set -- $line"
	ok "$(printf '%s' "$line" | tr -s ' ')" rejects "$@"
done <<EOF
$table
EOF

# an ambiguous prefix lists every candidate, indented, after the error
fails_with 100 'ambiguous' st-inspect abcd
is "$(grep -c '^	h-abcd0000000[12]$' "$trash/err")" 2 'both candidates are listed'

# stdin: the bad line is refused, the good ones around it are added
printf 'good1\nBad\n# a comment\n\ngood2\n' >"$trash/in"
before=$(sqlite3 "$ST_STATE" 'SELECT count(*) FROM hosts')
st-host-add $HA <"$trash/in" >"$trash/out" 2>"$trash/err"
is $? 100 'stdin with a bad line exits 100'
is "$(cat "$trash/err")" "st-host-add: fatal: unable to add host 'Bad': name must start with a-z or 0-9" \
    'one error line naming the bad record'
is "$(wc -l <"$trash/out" | tr -d ' ')" 2 'the two good IDs are printed'
is "$(sqlite3 "$ST_STATE" "SELECT group_concat(name) FROM (SELECT name FROM hosts WHERE name LIKE 'good%' OR name = 'Bad' ORDER BY name)")" \
    good1,good2 'the good lines are added, the bad one is not'
is "$(sqlite3 "$ST_STATE" 'SELECT count(*) FROM hosts')" $((before + 2)) 'nothing else was added'
is "$(sqlite3 "$ST_STATE" "SELECT group_concat(id) FROM (SELECT id FROM hosts WHERE name LIKE 'good%' ORDER BY rowid)")" \
    "$(paste -sd, "$trash/out")" 'the printed IDs are those recorded'

# a terminal on stdin with no operands is a usage error, not a hang
if command -v script >/dev/null 2>&1; then
	sum=$(state_sum)
	script -qec "st-host-add $HA; echo rc=\$?" /dev/null </dev/null >"$trash/tty" 2>&1
	ok 'a terminal on stdin: st-host-add exits 2' grep -q 'rc=2' "$trash/tty"
	ok 'and says why' grep -q 'st-host-add: fatal: .*terminal' "$trash/tty"
	script -qec "st-inspect; echo rc=\$?" /dev/null </dev/null >"$trash/tty" 2>&1
	ok 'a terminal on stdin: st-inspect exits 2' grep -q 'rc=2' "$trash/tty"
	is "$(state_sum)" "$sum" 'the state is unchanged'
else
	for i in 1 2 3 4; do echo "ok $((ncases + 8 + i)) # SKIP script(1) is not installed"; done
	_n=$((_n + 4))
fi

# a valid reference of each form is accepted (the grammar is not too strict)
for ref in $valid_refs; do
	ok "valid image reference $ref" st-create --image "$ref"
done
