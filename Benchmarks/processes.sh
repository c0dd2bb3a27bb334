#!/bin/bash
# Cross-check of the benchmark with every part in its own process, on loopback:
#   wrk (64 connections, 10 s)  ->  switchboard run (release)  ->  nginx answering 200
# Prints what was accepted and delivered while wrk ran, the drain-only rate of a stored backlog,
# and the end-to-end rate (every accepted message delivered). Needs: apt-get install -y wrk nginx
# Run from the repository root after `swift build -c release --product switchboard`.
set -euo pipefail
seconds=${SECONDS_OF_LOAD:-10}
work=$(mktemp -d)
trap 'pkill -f "switchboard run $work" 2>/dev/null || true; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/ws/integrations" "$work/logs" "$work/body"
source "$(dirname "$0")/common.sh"
write_target; write_integration; write_load
cat > "$work/ws/switchboard.yaml" <<YAML
version: 1
server: { host: 127.0.0.1, port: 18080 }
systems:
  - { id: shop, kind: http, location: cloud }
  - { id: erp, kind: http, location: on-premises, connections: { default: { base_url: "http://127.0.0.1:19090" } } }
YAML
nginx -c "$work/nginx.conf"
hub() { .build/release/switchboard run "$work/ws" --log-level error "$@" > "$work/hub.log" 2>&1 & }
listening() { until curl -s -o /dev/null http://127.0.0.1:18080/healthz; do sleep 0.02; done; }
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect('$work/ws/.switchboard/state.sqlite').execute(sys.argv[1]).fetchone()[0])" "$1"; }
wait_delivered() { while [ "$(count 'select count(*) from messages where state != 2')" != 0 ]; do sleep 0.05; done; }

echo "end to end: wrk -> switchboard run -> nginx for ${seconds} s"
hub; listening
start=$(date +%s.%N)
wrk -t1 -c64 -d"${seconds}s" -s "$work/post.lua" http://127.0.0.1:18080/hooks/orders | grep -E "Requests/sec|Non-2xx" || true
now=$(date +%s.%N)
accepted=$(count 'select count(*) from messages'); delivered=$(count 'select count(*) from messages where state = 2')
python3 -c "print(f'  while wrk ran: {$accepted/($now-$start):.0f} accepted/s, {$delivered/($now-$start):.0f} delivered/s')"
wait_delivered
end=$(date +%s.%N)
python3 -c "print(f'  end to end: {$accepted} messages accepted and delivered in {$end-$start:.2f} s = {$accepted/($end-$start):.0f} messages/s')"
pkill -f "switchboard run $work"; sleep 1

echo "drain only: a backlog stored with run --hold, then delivered"
rm -rf "$work/ws/.switchboard"
hub --hold; listening
wrk -t1 -c64 -d3s -s "$work/post.lua" http://127.0.0.1:18080/hooks/orders > /dev/null
pkill -f "switchboard run $work"; sleep 1
backlog=$(count 'select count(*) from messages')
start=$(date +%s.%N)
hub
wait_delivered
end=$(date +%s.%N)
python3 -c "print(f'  drained {$backlog} messages in {$end-$start:.2f} s = {$backlog/($end-$start):.0f} messages/s, from the start of the hub')"
