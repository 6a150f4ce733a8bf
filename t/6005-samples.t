#!/bin/sh
# The shipped samples and contrib hooks do what they say, run by
# st-hook-run with the input a real transition gives; the samples are
# inert where they are shipped.
. "$(dirname "$0")/lib.sh"
plan 12

umask 022
chmod 755 "$ST_HOOKS"
st-init >/dev/null 2>&1
st-host-add --no-probe --docker unix:///nonexistent.sock --cpu 8 --mem 8G h1 >/dev/null
install() { mkdir -p "$ST_HOOKS/$1.d" && cp "$2" "$ST_HOOKS/$1.d/$3" && chmod 755 "$ST_HOOKS/$1.d/$3"; }

# inert as shipped: a directory of samples runs nothing
mkdir "$ST_HOOKS/instance.start.pre.d"
cp "$ST_TOP"/hooks/instance.start.pre.*.sample "$ST_HOOKS/instance.start.pre.d/"
chmod 755 "$ST_HOOKS"/instance.start.pre.d/*
st-create --image busybox --cpu 3 --name a --attr owner=alice >/dev/null
st-schedule a >/dev/null
ok 'st-hook-run -n: the samples are inert' st-hook-run -n instance.start.pre a
is "$(cut -f3 out | sort -u)" skip 'every one skipped'
rm -r "$ST_HOOKS/instance.start.pre.d"

# the quota sample
install instance.start.pre "$ST_TOP/hooks/instance.start.pre.quota.sample" 10-quota
ok 'quota: 3 of 4 CPUs passes' st-hook-run instance.start.pre a
sqlite3 "$ST_STATE" "UPDATE instances SET state = 'running' WHERE name = 'a'"
st-create --image busybox --cpu 2 --name b --attr owner=alice >/dev/null
fails_with 100 "vetoed by hook 'instance.start.pre.d/10-quota': alice runs 3 of 4 CPUs" st-hook-run instance.start.pre b
st-create --image busybox --cpu 2 --name c --attr owner=bob >/dev/null
ok 'another owner passes' st-hook-run instance.start.pre c

# the filter sample, on the document the docker driver makes
install container.create.filter "$ST_TOP/hooks/container.create.filter.env-from-attr.sample" 10-env
st-create --image busybox --name d --env A=1 --attr env.GREETING=hello --attr owner=carol >/dev/null
ok 'env-from-attr' st-hook-run container.create.filter d
is "$(jq -r '.Env | join(" ")' out)" 'A=1 GREETING=hello' 'env.GREETING became GREETING'
is "$(jq -r .Labels.owner out)" carol 'owner became a label'

# contrib/hooks/dns-hosts
install instance.start.post "$ST_TOP/contrib/hooks/dns-hosts" 50-dns
DNS_HOSTS_FILE=$trash/hosts
export DNS_HOSTS_FILE
st-schedule d >/dev/null
ok 'dns-hosts on start' st-hook-run instance.start.post d
did=$(st-inspect d | jq -r .id)
is "$(cat hosts)" "$(printf '127.0.0.1\td.st d # %s' "$did")" 'the hosts file names it'
install instance.remove.post "$ST_TOP/contrib/hooks/dns-hosts" 50-dns
ok 'dns-hosts on remove' st-hook-run instance.remove.post d
is "$(cat hosts)" '' 'it is taken out'
