#!/bin/bash
# The Finance & Operations emulator's speed with throttling off: wrk (2 threads, 64 connections,
# SECONDS_OF_LOAD each, default 10) against `switchboard emulate finance-operations` in release,
# over HTTP and HTTPS on loopback, for a read by key, a filtered read and a create. The target
# is 5,000 simple requests per second (issue 18).
# Needs: apt-get install -y wrk. Run from the repository root after
# `swift build -c release --product switchboard`.
set -euo pipefail
seconds=${SECONDS_OF_LOAD:-10}
binary=${SWITCHBOARD:-.build/release/switchboard}
work=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

run_kind() {
  local scheme=$1 port=$2 extra=("${@:3}")
  "$binary" emulate finance-operations --port "$port" --no-throttling --log-level error "${extra[@]}" > "$work/emulator.log" 2>&1 &
  pid=$!
  until curl -sk -o /dev/null "$scheme://127.0.0.1:$port/data/"; do sleep 0.05; done
  local base="$scheme://127.0.0.1:$port"
  local token
  token=$(curl -sk "$base/switchboard/oauth2/v2.0/token" -d grant_type=client_credentials -d client_id=switchboard-app \
    -d client_secret=switchboard-secret --data-urlencode "scope=$base/.default" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -sk -o /dev/null -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$base/data/CustomersV3" \
    -d '{"CustomerAccount":"BENCH-1","OrganizationName":"Bench","CustomerGroupId":"10","SalesCurrencyCode":"USD"}'
  cat > "$work/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
-- Each thread its own prefix (a table's address), so accounts never collide; at most 20 characters.
counter = 0
prefix = ""
init = function(args) prefix = string.sub(tostring({}), -6) end
request = function()
  counter = counter + 1
  local body = '{"CustomerAccount":"W' .. prefix .. counter .. '","OrganizationName":"Load","CustomerGroupId":"10","SalesCurrencyCode":"USD"}'
  return wrk.format(nil, nil, nil, body)
end
LUA
  local key="$base/data/CustomersV3(dataAreaId='usmf',CustomerAccount='BENCH-1')?\$select=OrganizationName"
  local filtered="$base/data/CustomersV3?\$filter=OrganizationName%20eq%20'*bench*'&\$top=1"
  for name in key filtered create; do
    case $name in
      key) url=$key; script=get.lua ;;
      filtered) url=$filtered; script=get.lua ;;
      create) url="$base/data/CustomersV3"; script=post.lua ;;
    esac
    # The filtered read scans every record; it runs before the creates add 100,000s of them.
    wrk -t2 -c64 -d"${seconds}s" -s "$work/$script" "$url" > "$work/wrk.txt"
    rate=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    failed=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt")
    [ -z "$failed" ] || { echo "  $scheme $name: $failed answers were not 2xx: wrong setup" >&2; exit 1; }
    printf '  %-6s %-9s %10s requests/s\n' "$scheme" "$name" "$rate"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

echo "switchboard emulate finance-operations --no-throttling, wrk -t2 -c64 -d${seconds}s:"
run_kind http 18444
run_kind https 18445 --self-signed "$work/tls"
