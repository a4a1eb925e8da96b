#!/usr/bin/env bash
# jsforce and simple-salesforce, unmodified, against Tributary's Salesforce emulator.
#
#   bash bench/peers/run.sh
#
# Installs both clients (install.sh), builds `tributary-sandbox` (debug profile by default:
# after `cargo test --workspace` it is the quicker build; PEERS_PROFILE=release for an
# optimised one), starts it with 2,500 seeded Accounts on 127.0.0.1, runs
# jsforce_suite.cjs and simple_salesforce_suite.py against it, stops the server by its pid,
# prints one PASS/FAIL line per check and exits 1 if any check failed. Nothing leaves
# 127.0.0.1 after the install step.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seed=2500
start_s=$(date +%s)

bash "$here/install.sh"

profile="${PEERS_PROFILE:-debug}"
case "$profile" in
  release) cargo build --quiet --release -p sandbox --bin tributary-sandbox ;;
  debug) cargo build --quiet -p sandbox --bin tributary-sandbox ;;
  *) echo "PEERS_PROFILE must be debug or release" >&2; exit 2 ;;
esac
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/$profile/tributary-sandbox"

tmp="$(mktemp -d)"
mkfifo "$tmp/stdin"
"$bin" --salesforce --seed-accounts "$seed" <"$tmp/stdin" >"$tmp/out" 2>"$tmp/err" &
pid=$!
# The server stops when its stdin closes: fd 9 holds the write end for as long as we run.
exec 9>"$tmp/stdin"
cleanup() {
  exec 9>&- || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

for _ in $(seq 1 600); do
  grep -q '^READY$' "$tmp/out" && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "peers: tributary-sandbox exited before READY:" >&2
    cat "$tmp/err" >&2
    exit 1
  fi
  sleep 0.05
done
if ! grep -q '^READY$' "$tmp/out"; then
  echo "peers: tributary-sandbox not READY after 30 s" >&2
  exit 1
fi
sf_line="$(grep -m1 '"system":"salesforce"' "$tmp/out")"

status=0
node "$here/jsforce_suite.cjs" "$sf_line" || status=1
"$root/bench/.venv/bin/python" "$here/simple_salesforce_suite.py" "$sf_line" || status=1

if [ -s "$tmp/err" ]; then
  echo "peers: server stderr:" >&2
  cat "$tmp/err" >&2
fi
elapsed=$(($(date +%s) - start_s))
if [ "$status" -eq 0 ]; then
  echo "peers: all checks passed (${elapsed}s, $profile server)"
else
  echo "peers: FAILED (${elapsed}s, $profile server)"
fi
exit "$status"
