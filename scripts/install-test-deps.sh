#!/usr/bin/env bash
# Installs the Debian packages that the tests use, when missing: the daemons whose rendered
# configuration is checked and run for real on loopback (haproxy, nginx-light, prosody), the
# checkers (shellcheck, jq) and the load generator of the benchmarks (wrk). Runs as root or with
# sudo. The packages' own services are not started: tests start the daemons themselves.
set -euo pipefail

PACKAGES=(haproxy nginx-light prosody shellcheck jq wrk)
COMMANDS=(haproxy nginx prosodyctl shellcheck jq wrk)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  # Deny service starts during the install (a system nginx on port 80, a system prosody), unless
  # the machine already has a policy of its own.
  policy=/usr/sbin/policy-rc.d
  created_policy=no
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod +x "$policy"
    created_policy=yes
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$created_policy" = yes ]; then as_root rm -f "$policy"; fi
fi

for tool in "${COMMANDS[@]}"; do
  command -v "$tool" >/dev/null || { echo "install-test-deps: $tool is missing after the install" >&2; exit 1; }
done
echo "install-test-deps: ${PACKAGES[*]} present"
