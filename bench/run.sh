#!/usr/bin/env bash
# Side-by-side benchmarks: Tributary against jsforce, simple-salesforce and raw baselines,
# all on 127.0.0.1, written to bench/RESULTS.md. See bench/README.md.
#
#   bench/run.sh            # full: 100k SOQL records, 100k and 1M bulk rows, 100k OData rows,
#                           # 5 runs each, criterion 10 samples (about 6-8 minutes on 2 cores once built)
#   bench/run.sh --quick    # 20k / 20k+100k / 20k, 3 runs: under two minutes once installed and built
#
# The two-minute budget of --quick excludes what only the first run does: installing the peers
# (npm ci of jsforce, a Python venv with simple-salesforce), `npm ci` of the CAP service in
# bench/odata (better-sqlite3 builds from source, a few minutes) and the release build of the
# binaries. Later runs find them in place and go straight to measuring.
#
# Needs: a Rust toolchain, Node 20+ with npm, python3 (3.9+) with venv, network access to npm
# and PyPI on the first run. Cargo builds into $CARGO_TARGET_DIR (default: target/).
# Not part of .ci/run: it takes too long and its figures depend on the machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

quick=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

echo "== peers (jsforce, simple-salesforce)" >&2
bash "$here/peers/install.sh" >&2

echo "== CAP service (bench/odata)" >&2
if [ ! -d "$here/odata/node_modules/@sap/cds" ] || [ ! -d "$here/odata/node_modules/better-sqlite3/build" ]; then
  (cd "$here/odata" && npm ci --no-audit --no-fund) >&2
fi

echo "== release build" >&2
# page-server, soql-read, bulk-ingest, odata-read and the emulator (tributary-sandbox).
cargo build --release -p tributary-bench -p sandbox --bins >&2
cargo bench -p tributary-bench --bench mapping_path --no-run >&2

echo "== measuring" >&2
start=$(date +%s)
python3 "$here/driver.py" "${quick[@]}"
echo "measured in $(( $(date +%s) - start )) s; results in bench/RESULTS.md" >&2
