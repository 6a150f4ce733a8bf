# t/s3.sh: sourced by the S3 tests after t/lib.sh: an s3rver (npm, installed
# by share/install-deps under /opt/stampede-test) on loopback, on a free
# port, with its own directory under the trash, and boto3 to check what
# landed in the bucket independently of Stampede's own client.
# s3_start [BUCKET...] | s3_stop | s3_restart | s3py PYTHON-CODE
#
# s3rver knows one account, key S3RVER and secret S3RVER: it refuses any
# other access key (InvalidAccessKeyId) but does not check SigV4
# signatures, so a wrong secret goes unnoticed by it.

S3RVER=${ST_S3RVER:-/opt/stampede-test/node_modules/.bin/s3rver}
[ -x "$S3RVER" ] || skip_all "s3rver is not installed (sh share/install-deps)"
python3 -c 'import boto3' 2>/dev/null || skip_all "python3-boto3 is not installed (sh share/install-deps)"

AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
s3_dir=$trash/s3rver
s3_pid=
s3_buckets=

_s3_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# s3_up: waits (30 s at most) until the server answers
_s3_up() {
	_i=0
	while [ $_i -lt 300 ]; do
		curl -s -o /dev/null "$S3_ENDPOINT/" && return 0
		kill -0 "$s3_pid" 2>/dev/null || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

_s3_run() {
	_a=
	for _b in $s3_buckets; do _a="$_a --configure-bucket $_b"; done
	# shellcheck disable=SC2086
	# s3rver makes continuation tokens with DES, which OpenSSL 3 keeps in
	# its legacy provider: without it every truncated listing fails (500)
	NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$s3_dir" -a 127.0.0.1 -p "$s3_port" $_a >>"$trash/s3rver.log" 2>&1 </dev/null &
	s3_pid=$!
	_s3_up || { echo "Bail out! s3rver did not start: $(tail -5 "$trash/s3rver.log")"; exit 1; }
}

s3_start() {
	s3_buckets="$*"
	mkdir -p "$s3_dir"
	s3_port=$(_s3_port)
	S3_ENDPOINT=http://127.0.0.1:$s3_port
	export S3_ENDPOINT
	at_exit 's3_stop'
	_s3_run
}

s3_stop() {
	[ -n "$s3_pid" ] || return 0
	kill "$s3_pid" 2>/dev/null
	wait "$s3_pid" 2>/dev/null
	s3_pid=
}

# the same port and directory: what was stored is there again
s3_restart() { s3_stop; _s3_run; }

# s3py CODE: python3 with boto3's client as `s3`, the endpoint's buckets
s3py() {
	python3 -c "
import boto3, botocore, hashlib, json, sys
s3 = boto3.client('s3', endpoint_url='$S3_ENDPOINT', region_name='us-east-1',
    aws_access_key_id='S3RVER', aws_secret_access_key='S3RVER',
    config=botocore.config.Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
def keys(bucket, prefix=''):
    out = []
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix):
        out += [(o['Key'], o['Size']) for o in page.get('Contents', [])]
    return out
$1
"
}
