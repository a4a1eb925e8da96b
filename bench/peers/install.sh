#!/usr/bin/env bash
# Installs the third-party Salesforce clients, unmodified, from their registries:
#   jsforce (npm, pinned in package-lock.json) into bench/peers/node_modules/
#   simple-salesforce (PyPI, pinned in requirements.txt) into the venv bench/.venv/
# Idempotent: a second run only checks that both are present.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [ ! -f node_modules/jsforce/package.json ]; then
  npm ci --no-audit --no-fund
fi
venv="$here/../.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import simple_salesforce' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
fi
echo "peers: jsforce $(node -p "require('$here/node_modules/jsforce/package.json').version"), simple-salesforce $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("simple-salesforce"))')"
