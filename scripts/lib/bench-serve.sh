# Sourced by scripts/bench.sh and scripts/bench-scale.sh: the gateway's own memory, measured on a separate
# `scim-gateway serve` against a demo's directory (the demo process also generated the sample data, which would
# count against it).
#   bench_serve_rss BIN WORK LDAP_PORT TOKEN IDS_FILE START SORTED_CONCURRENCY
# prints the serve's RSS in KB after 5 s of GETs by id at c=16 and 3 s of sorted windows at START. Its pid is in
# WORK/serve.pid while it runs (the caller's cleanup stops it if the run is interrupted).
bench_serve_rss() {
  local bin=$1 work=$2 ldap_port=$3 token=$4 ids=$5 start=$6 sorted_c=$7
  # Below Linux's ephemeral range (32768–60999, where client sockets could hold it) and the demos' (20000–29999).
  local serve_port=$((10000 + RANDOM % 10000))
  cat >"$work/serve.yaml" <<YAML
server: { host: 127.0.0.1, port: $serve_port }
ldap: { uris: ["ldap://127.0.0.1:$ldap_port"], suffix: "dc=example,dc=org", bindDN: "cn=scim-gateway,dc=example,dc=org",
        bindPasswordFile: "$work/service.pw", poolSize: 16 }
mapping: $PWD/Config/mapping/bundled.yaml
schemaDirectory: $PWD/schema
clients: [{ name: bench, tokenHash: "$(printf '%s' "$token" | "$bin/scim-gateway" hash-token)" }]
logLevel: warning
YAML
  "$bin/scim-gateway" serve --config "$work/serve.yaml" >"$work/serve.log" 2>&1 &
  local serve_pid=$!
  echo "$serve_pid" >"$work/serve.pid"
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$serve_port/readyz" >/dev/null && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.2
  done
  if ! curl -sf "http://127.0.0.1:$serve_port/readyz" >/dev/null; then
    echo "bench: the separate serve did not start on port $serve_port:" >&2; tail -5 "$work/serve.log" >&2
    kill -TERM "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; rm -f "$work/serve.pid"
    echo "?"; return 0
  fi
  IDS_FILE=$ids TOKEN=$token wrk -t2 -c16 -d5s -s scripts/bench/get-by-id.lua "http://127.0.0.1:$serve_port" >/dev/null 2>&1
  START=$start TOKEN=$token wrk -t"$((sorted_c < 2 ? 1 : 2))" -c"$sorted_c" -d3s --timeout 60s -s scripts/bench/sorted-page.lua \
    "http://127.0.0.1:$serve_port" >/dev/null 2>&1
  ps -o rss= -p "$serve_pid" | tr -d " "
  kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
  rm -f "$work/serve.pid"
}
