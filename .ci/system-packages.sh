#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: chromium (hosted-page
# browser tests), postgresql (the PostgreSQL run of the suite), curl and python3-requests (the
# docs' curl and Python samples are run by test/docs/code-samples.test.ts with /usr/bin/python3). Needs root for apt-get; prints
# what to install otherwise. Runs before `npm test` (pretest) and in .ci/run.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql)
command -v curl >/dev/null || missing+=(curl)
/usr/bin/python3 -c 'import requests' 2>/dev/null || missing+=(python3-requests)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
