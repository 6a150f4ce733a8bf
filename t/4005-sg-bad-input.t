#!/bin/sh
# Security groups refuse bad input with a clear error naming it, the
# exit code, an unchanged state and an unchanged table: bad CIDRs, ports
# 0 or 70000, reversed ranges, unknown protocols, names with nft syntax.
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || skip_all "nft is needed (share/install-deps)"
st-init >/dev/null || exit 1
plan 50

# this test's own table in the root namespace, for addresses no
# interface here has
ST_NFT_TABLE=st4005_$$
export ST_NFT_TABLE
at_exit "nft delete table inet $ST_NFT_TABLE"
st-host-add --no-probe --cpu 8 --mem 8G h1 >/dev/null
st-net-create n1 --subnet 10.246.0.0/24 >/dev/null
st-sg-create web db >/dev/null
st-create --image a/b:1 --cpu 0.01 --mem 8M --name w1 --net n1 --sg web >/dev/null
st-schedule w1 >/dev/null
ok 'a good rule' st-sg-rule-add --ingress --proto tcp --port 80-90 --cidr 10.0.0.0/8 web
ok 'the table is loaded' nft list table inet "$ST_NFT_TABLE"
table() { nft list table inet "$ST_NFT_TABLE" 2>&1 | sha256sum; }
sum=$(state_sum) tab=$(table)
R='st-sg-rule-add --ingress --proto tcp'
fails_with 2 "bad --cidr '10.0.0.0/33'" $R --port 80 --cidr 10.0.0.0/33 web
fails_with 2 "host bits set" $R --port 80 --cidr 10.0.0.1/8 web
fails_with 2 "not a CIDR" $R --port 80 --cidr 10.0.0/8 web
fails_with 2 "not a CIDR" $R --port 80 --cidr '10.0.0.0/8 accept' web
fails_with 2 "not a CIDR" $R --port 80 --cidr '10.0.0.0/8;flush ruleset' web
fails_with 2 "not a CIDR" $R --port 80 --cidr '' web
fails_with 2 "bad --port '0'" $R --port 0 --cidr 10.0.0.0/8 web
fails_with 2 "bad --port '70000'" $R --port 70000 --cidr 10.0.0.0/8 web
fails_with 2 "bad --port '90-80': a reversed range" $R --port 90-80 --cidr 10.0.0.0/8 web
fails_with 2 "bad --port '80-'" $R --port 80- --cidr 10.0.0.0/8 web
fails_with 2 "bad --port '-80'" $R --port -80 --cidr 10.0.0.0/8 web
fails_with 2 "bad --port '80 accept'" $R --port '80 accept' --cidr 10.0.0.0/8 web
fails_with 2 "bad --proto 'sctp'" st-sg-rule-add --ingress --proto sctp --cidr 10.0.0.0/8 web
fails_with 2 "bad --proto 'tcp;'" st-sg-rule-add --ingress --proto 'tcp;' --cidr 10.0.0.0/8 web
fails_with 2 "ports go with --proto tcp or udp" st-sg-rule-add --ingress --proto icmp --port 8 --cidr 10.0.0.0/8 web
fails_with 2 "give --ingress or --egress" st-sg-rule-add --proto tcp --cidr 10.0.0.0/8 web
fails_with 2 "give one of --ingress and --egress" st-sg-rule-add --ingress --egress --proto tcp --cidr 10.0.0.0/8 web
fails_with 2 "give one of --cidr CIDR and --group SG" $R --port 80 web
fails_with 2 "give one of --cidr CIDR and --group SG" $R --port 80 --cidr 10.0.0.0/8 --group db web
fails_with 2 "bad --group 'db}'" $R --port 80 --group 'db}' web
fails_with 2 "bad --group" $R --port 80 --group 'x; flush ruleset' web
fails_with 100 "unable to find security group 'nope'" $R --port 80 --group nope web
fails_with 2 "unable to find security group 'web\"'" $R --port 80 --cidr 10.0.0.0/8 'web"'
fails_with 100 "unable to find security group 'nope'" $R --port 80 --cidr 10.0.0.0/8 web nope
fails_with 100 "no such rule" st-sg-rule-rm --ingress --proto tcp --port 81 --cidr 10.0.0.0/8 web
fails_with 2 "unable to create security group 'a b'" st-sg-create ok1 'a b'
fails_with 2 "unable to create security group 'x{'" st-sg-create 'x{'
fails_with 100 "name already taken" st-sg-create web
fails_with 2 "bad --sg 'web;'" st-create --image a/b:1 --sg 'web;'
fails_with 100 "unable to find security group 'nope'" st-create --image a/b:1 --sg nope
fails_with 100 "unable to find security group 'nope'" st-sg-attach w1 nope
fails_with 100 "not attached" st-sg-detach w1 db
fails_with 100 "in use: 1 instance is in it" st-sg-rm web
is "$(state_sum)" "$sum" 'the state is unchanged by all of these'
is "$(table)" "$tab" 'and so is the table'

ok 'a rule naming a group' $R --port 5432 --group web db
st-sg-detach w1 web >/dev/null
fails_with 100 "in use: 1 rule of other groups names it" st-sg-rm web
ok 'st-sg-rm of an unused group' st-sg-rm db
# ST_NFT_TABLE reaches nft text too
sum=$(state_sum)
fails_with 2 "bad ST_NFT_TABLE" env ST_NFT_TABLE='x; flush ruleset' st-sg-apply
is "$(state_sum)" "$sum" 'a bad table name changes nothing'

# hooks: sg.apply.pre may veto (the table stays), .post runs after the
# load with the host; net.create.pre vetoes a network
mkdir -p hooks/sg.apply.pre.d hooks/sg.apply.post.d hooks/net.create.pre.d
printf '#!/bin/sh\necho "$ST_EVENT $ST_ID" >>"%s/applied"\n' "$trash" >hooks/sg.apply.post.d/10-log
printf '#!/bin/sh\necho "no firewall changes today" >&2; exit 1\n' >hooks/sg.apply.pre.d/10-veto
printf '#!/bin/sh\necho "networks are frozen" >&2; exit 1\n' >hooks/net.create.pre.d/10-veto
chmod 755 hooks/*/10-*
tab=$(table)
fails_with 100 "no firewall changes today" st-sg-apply h1
is "$(table)" "$tab" 'a vetoed apply leaves the table as it was'
rm hooks/sg.apply.pre.d/10-veto
ok 'st-sg-apply with a post hook' st-sg-apply h1
is "$(cat applied)" "sg.apply.post $(st-host-ls -q)" 'sg.apply.post ran with the host'
fails_with 100 "networks are frozen" st-net-create n9 --subnet 10.246.9.0/24
is "$(st-net-ls -q | wc -l | tr -d ' ')" 1 'the vetoed network was not recorded'

# a remote host's table waits for the ssh transport: never loaded here
st-host-add --no-probe --cpu 1 --mem 1G --docker tcp://192.0.2.1:2376 --insecure far >/dev/null
tab=$(table)
st-sg-apply far >/dev/null 2>err
is "$? $(grep -c 'remote host' err)" '0 1' 'st-sg-apply of a remote host: a warning'
is "$(table)" "$tab" 'and this machine'"'"'s table untouched'
