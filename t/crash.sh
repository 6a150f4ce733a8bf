# t/crash.sh: sourced by the crash-safety tests (t/11*.t) after t/lib.sh:
# the state file against what each host's Docker API reports.

# agree: every disagreement between the state file and the Docker API of
# each host with an endpoint, one per line; nothing when they agree.
# running <-> a running container; scheduled, stopped -> none running;
# no intent left, no error; every container of this cluster is an
# instance the state places on that host
agree() {
	st-host-ls -o id,docker >"$trash/agree.hosts" || { echo "st-host-ls failed"; return; }
	st-ps -a -o id,state,host_id >"$trash/agree.insts" || { echo "st-ps failed"; return; }
	while IFS='	' read -r _hid _ep; do
		case $_ep in unix://*) ;; *) continue ;; esac
		curl -s --unix-socket "${_ep#unix://}" -G http://docker/v1.41/containers/json \
		    --data-urlencode all=1 \
		    --data-urlencode "filters={\"label\":[\"io.stampede.cluster=$cluster\"]}" |
		    jq -r '.[] | "\(.Names[0] | ltrimstr("/")) \(.State)"' >"$trash/agree.docker" ||
		    { echo "$_hid: the Docker API did not answer"; continue; }
		awk -v h="$_hid" '
		    FILENAME == ARGV[1] { c[$1] = $2; next }
		    {
			split($0, f, "\t"); id = f[1]; st = f[2]; on = f[3]
			if (on != h) next
			if (st ~ /^(starting|stopping|removing|error)$/) print id, "left", st
			cs = ("st-" id) in c ? c["st-" id] : "absent"
			seen["st-" id] = 1
			if (st == "running" && cs != "running") print id, "running, container", cs
			if ((st == "scheduled" || st == "stopped") && cs == "running") print id, st ", container running"
		    }
		    END { for (n in c) if (!(n in seen)) print n, "orphan container on", h, c[n] }
		' "$trash/agree.docker" "$trash/agree.insts"
	done <"$trash/agree.hosts"
}

# docker_events SINCE: "action name" of this cluster's container events
# from SINCE (Unix seconds) until now
docker_events() {
	curl -s --unix-socket "$docker_sock" -G http://docker/v1.41/events \
	    --data-urlencode "since=$1" --data-urlencode "until=$(date +%s)" \
	    --data-urlencode "filters={\"type\":[\"container\"],\"label\":[\"io.stampede.cluster=$cluster\"]}" |
	    jq -r '"\(.Action) \(.Actor.Attributes.name)"'
}
