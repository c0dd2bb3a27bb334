#!/bin/bash
# Several hub nodes on one PostgreSQL database, every part in its own process, on loopback:
#   wrk (64 connections in all, split between the nodes)  ->  N x switchboard run (release)  ->  nginx answering 200
#                                                          \-> one throwaway PostgreSQL cluster (initdb in a temporary folder)
# For N = 1, 2, 3 nodes: what was accepted and delivered while wrk ran, and the end-to-end rate
# (every accepted message delivered). Then a soak with the last N: the hot table's live and dead
# rows and its last autovacuum, as pg_stat_user_tables shows them.
# Needs: apt-get install -y wrk nginx postgresql. Run from the repository root after
# `swift build -c release --product switchboard`. SECONDS_OF_LOAD (default 10), SOAK_SECONDS (default 60; 0 skips the soak), NODES (default "1 2 3").
# SWITCHBOARD names another binary (to compare builds).
# PROFILE=1 loads pg_stat_statements and prints, after each run, the statements by their share of
# PostgreSQL's execution time (per message: calls and microseconds).
set -euo pipefail
seconds=${SECONDS_OF_LOAD:-10}
binary=${SWITCHBOARD:-.build/release/switchboard}
soak=${SOAK_SECONDS:-60}
counts=${NODES:-"1 2 3"}
work=$(mktemp -d); chmod 755 "$work"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
  as_postgres "$bin/pg_ctl" -D "$work/pg/data" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/ws/integrations" "$work/logs" "$work/body" "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work/pg"
as_postgres "$bin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 > /dev/null
profile=${PROFILE:-}
extra=""; [ -n "$profile" ] && extra="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on"
as_postgres "$bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -o "-k $work/pg -c listen_addresses='' -c max_connections=200 $extra" start > /dev/null
psql() { as_postgres "$bin/psql" -X -q -A -t -h "$work/pg" -U postgres "$@"; }
[ -n "$profile" ] && psql -c "create extension pg_stat_statements" > /dev/null
# With PROFILE=1: the statements of the last run by execution time, per message of $1.
statements() {
  [ -n "$profile" ] || return 0
  psql -F ' | ' -c "select round(100 * total_exec_time / sum(total_exec_time) over ())::text || '%', round((calls::numeric / $1), 3) || ' calls', round((1000 * total_exec_time / $1)::numeric, 1) || ' us', round((1000 * total_plan_time / $1)::numeric, 1) || ' us planning', left(regexp_replace(query, '\s+', ' ', 'g'), 110) from pg_stat_statements order by total_exec_time desc limit 14"
  psql -c "select 'statements in all: ' || round((1000 * sum(total_exec_time) / $1)::numeric, 1) || ' us of execution and ' || round((1000 * sum(total_plan_time) / $1)::numeric, 1) || ' us of planning per message' from pg_stat_statements"
  psql -c "select pg_stat_statements_reset()" > /dev/null
}

source "$(dirname "$0")/common.sh"
write_target; write_integration; write_load
nginx -c "$work/nginx.conf"

workspace() {
  cat > "$work/ws/switchboard.yaml" <<YAML
version: 1
store: { kind: postgres, url: "postgres:///$1?host=$work/pg&user=postgres", pool_size: 10 }
systems:
  - { id: shop, kind: http, location: cloud }
  - { id: erp, kind: http, location: on-premises, connections: { default: { base_url: "http://127.0.0.1:19090" } } }
YAML
}
pending() { psql -d "$1" -c "select count(*) from messages_pending"; }
# CPU time (clock ticks) used so far by the nodes, and by PostgreSQL (its postmaster and backends).
ticks() { local sum=0 t; for pid in "$@"; do t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0); sum=$((sum + t)); done; echo $sum; }
pg_pids() { local master; master=$(head -1 "$work/pg/data/postmaster.pid"); echo "$master" $(ps -o pid= --ppid "$master"); }
total() { psql -d "$1" -c "select count(*) from messages"; }

# Starts n nodes on ports 18081.. (with $3, e.g. --hold, passed to each); loads them with wrk for
# $2 seconds; waits for every message unless held.
run() {
  local n=$1 length=$2 hold=${3:-} database="bench_$1_$2${3:+_held}"
  psql -c "create database $database" > /dev/null
  workspace "$database"
  pids=()
  for i in $(seq 1 "$n"); do
    "$binary" run "$work/ws" --port $((18080 + i)) --node "node-$i" --log-level error $hold > "$work/hub-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in $(seq 1 "$n"); do until curl -s -o /dev/null "http://127.0.0.1:$((18080 + i))/healthz"; do sleep 0.05; done; done
  local start now end accepted delivered loaders=() hub0 pg0 hub1 pg1
  [ -n "$profile" ] && psql -c "select pg_stat_statements_reset()" > /dev/null
  hub0=$(ticks "${pids[@]}"); pg0=$(ticks $(pg_pids))
  start=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    wrk -t1 -c$((64 / n)) -d"${length}s" -s "$work/post.lua" "http://127.0.0.1:$((18080 + i))/hooks/orders" > "$work/wrk-$i.txt" &
    loaders+=($!)
  done
  wait "${loaders[@]}"
  now=$(date +%s.%N)
  accepted=$(total "$database"); delivered=$((accepted - $(pending "$database")))
  if [ -n "$hold" ]; then
    hub1=$(ticks "${pids[@]}"); pg1=$(ticks $(pg_pids))
    python3 -c "print(f'  durable ingest (--hold): {$accepted/($now-$start):.0f} accepted/s; CPU per message: nodes {($hub1-$hub0)*10000/$accepted:.0f} us, PostgreSQL {($pg1-$pg0)*10000/$accepted:.0f} us')"
    statements "$accepted"
    last_database=$database
    return
  fi
  python3 -c "print(f'  while wrk ran: {$accepted/($now-$start):.0f} accepted/s, {$delivered/($now-$start):.0f} delivered/s')"
  while [ "$(pending "$database")" != 0 ]; do sleep 0.1; done
  end=$(date +%s.%N)
  hub1=$(ticks "${pids[@]}"); pg1=$(ticks $(pg_pids))
  python3 -c "print(f'  end to end: {$accepted} messages accepted and delivered in {$end-$start:.2f} s = {$accepted/($end-$start):.0f} messages/s; CPU per message: nodes {($hub1-$hub0)*10000/$accepted:.0f} us, PostgreSQL {($pg1-$pg0)*10000/$accepted:.0f} us')"
  statements "$accepted"
  last_database=$database
}

stop_nodes() { for pid in "${pids[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done; pids=(); }
for n in $counts; do
  echo "$n node(s) on one PostgreSQL, wrk for ${seconds} s:"
  run "$n" "$seconds" --hold
  stop_nodes
  run "$n" "$seconds"
  stop_nodes
done

[ "$soak" = 0 ] && exit 0
n=${counts##* }
echo "soak: $n node(s) for ${soak} s, then the hot table as PostgreSQL's statistics show it:"
run "$n" "$soak"
sleep 2
psql -d "$last_database" -c "select 'messages_pending: ' || n_live_tup || ' live rows, ' || n_dead_tup || ' dead rows, ' || autovacuum_count || ' autovacuums, last ' || coalesce(last_autovacuum::text, 'never') || ', ' || pg_size_pretty(pg_total_relation_size('messages_pending')) from pg_stat_user_tables where relname = 'messages_pending'"
psql -d "$last_database" -c "select 'messages_done: ' || n_live_tup || ' live rows, ' || pg_size_pretty(pg_total_relation_size('messages_done')) from pg_stat_user_tables where relname = 'messages_done'"
