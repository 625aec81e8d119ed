#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: chromium (hosted-page
# browser tests), postgresql (the PostgreSQL run of the suite) and curl (the docs' curl samples are
# run by test/docs/code-samples.test.ts). Needs root for apt-get; prints
# what to install otherwise. Runs before `npm test` (pretest) and in .ci/run.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql)
command -v curl >/dev/null || missing+=(curl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
