#!/bin/sh
# st-init creates the state file 0600, is idempotent, and other commands
# refuse a missing, uninitialized or newer-schema file.
. "$(dirname "$0")/lib.sh"
plan 9

fails_with 100 'st-init' st-ps
ok 'st-init creates the state' st-init
uuid=$(cat "$trash/out")
is "$(stat -c %a "$ST_STATE")" 600 'state file is mode 0600'
ok 'st-init again' st-init
is "$(cat "$trash/out")" "$uuid" 'the cluster uuid stays the same'
ok 'st-ps on the new state' st-ps
is "$(sqlite3 "$ST_STATE" 'PRAGMA journal_mode')" wal 'WAL mode'
sqlite3 "$ST_STATE" 'PRAGMA user_version=99'
fails_with 100 'newer' st-ps
: >"$trash/empty.db"
fails_with 100 'not initialized' st-ps --state-file "$trash/empty.db"
