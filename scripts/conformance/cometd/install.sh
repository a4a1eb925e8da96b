#!/usr/bin/env bash
# Installs the conformance server's npm packages (cometd-nodejs-server, pinned in
# package-lock.json) into node_modules/ beside this script.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
