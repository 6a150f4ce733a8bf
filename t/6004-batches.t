#!/bin/sh
# Hooks in the batched commands (st-schedule, st-host-add) and the host
# events: a veto drops its record only, the records around it commit;
# hooks run once per moving record, none for one that does not move.
. "$(dirname "$0")/lib.sh"
plan 13

umask 022
chmod 755 "$ST_HOOKS"
st-init >/dev/null 2>&1
for e in host.add host.remove host.drain host.undrain instance.schedule; do
	for w in pre post; do
		mkdir "$ST_HOOKS/$e.$w.d"
		# a name with "veto" in it is vetoed; every run is logged
		printf '#!/bin/sh\nread -r j\nn=$(echo "$j" | jq -r .name)\necho "$1 $ST_OBJECT_STATE $n" >>"%s/log"\ncase $n in *veto*) echo "vetoed $n" >&2; exit 1;; esac\n' "$trash" \
		    >"$ST_HOOKS/$e.$w.d/50-log"
		chmod 755 "$ST_HOOKS/$e.$w.d/50-log"
	done
done

fails_with 100 "unable to add host 'h-veto': vetoed by hook 'host.add.pre.d/50-log': vetoed h-veto" \
    sh -c 'printf "h1\nh-veto\nh2\n" | st-host-add --no-probe --cpu 1 --mem 1G'
is "$(wc -l <out | tr -d ' ')" 2 'two hosts added'
is "$(st-host-ls -o name | sort | tr '\n' ' ')" 'h1 h2 ' 'the vetoed one is not'
is "$(grep -c '^host.add.post active' log)" 2 'host.add.post ran for the two'

: >log
st-create --image busybox --cpu 0.5 --name a >/dev/null
st-create --image busybox --cpu 0.5 --name veto-b >/dev/null
st-create --image busybox --cpu 0.5 --name c >/dev/null
fails_with 100 "unable to schedule '" sh -c 'printf "a\nveto-b\nc\na\n" | st-schedule'
grep -q "vetoed by hook 'instance.schedule.pre.d/50-log': vetoed veto-b" err
is $? 0 'the veto and its reason'
is "$(cut -f1 out | sort -u | wc -l | tr -d ' ')" 2 'two placed'
is "$(st-ps -a -o name,state | sort | tr '\t' ' ' | tr '\n' ',')" 'a scheduled,c scheduled,veto-b requested,' 'the vetoed one stays requested'
is "$(cat log)" 'instance.schedule.pre requested a
instance.schedule.post scheduled a
instance.schedule.pre requested veto-b
instance.schedule.pre requested c
instance.schedule.post scheduled c' 'hooks once per moving record, none for one already placed'

: >log
st-host-drain h1 >/dev/null 2>&1
st-host-drain h1 >/dev/null 2>&1
st-host-undrain h1 >/dev/null 2>&1
is "$(cat log)" 'host.drain.pre active h1
host.drain.post drained h1
host.undrain.pre drained h1
host.undrain.post active h1' 'drain and undrain: hooks once, none for the host already drained'

: >log
st-ps -a -q | st-rm >/dev/null
ok 'st-host-rm' st-host-rm h2
is "$(cat log)" 'host.remove.pre active h2
host.remove.post removed h2' 'host.remove.pre and .post, the state after is removed'

# no hooks directory at all: nothing runs, nothing fails
rm -r "$ST_HOOKS"
ok 'without a hooks directory' st-host-add --no-probe --cpu 1 --mem 1G h3
