# Shared by the process benchmarks (processes.sh, nodes.sh): the target, the integration and the
# load they use. Source it with the work folder in $work.

# nginx answering 200 to everything on 127.0.0.1:19090; start it with `nginx -c "$work/nginx.conf"`.
write_target() {
  mkdir -p "$work/logs" "$work/body"
  cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body;
  server { listen 127.0.0.1:19090; location / { client_max_body_size 1m; return 200 '{"ok":true}'; } }
}
NGINX
}

# The integration: webhook orders mapped and posted to the target, 64 in flight.
write_integration() {
  mkdir -p "$work/ws/integrations"
  cat > "$work/ws/integrations/orders.yaml" <<YAML
id: orders
title: Orders
source: { system: shop, webhook: { path: /hooks/orders, auth: { kind: none } } }
steps:
  - map: { order: \$.n, customer: { upper: \$.customer }, lines: \$.lines }
target: { system: erp, http: { method: POST, path: "/orders/{\$.order}" } }
delivery: { concurrency: 64 }
YAML
}

# wrk's script: a typical order of about 200 bytes, posted as JSON.
write_load() {
  cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"n": 17, "customer": "c17", "lines": [{"sku": "SKU-1", "quantity": 2, "price": 19.95}, {"sku": "SKU-2", "quantity": 1, "price": 5.5}], "note": "benchmark order with a realistic payload size"}'
LUA
}
