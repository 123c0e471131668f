// The shard's drain switch and the HAProxy agent check that reports it. The state file holds
// `ready` or `drain`; the agent answers each TCP connection on the agent port with one line that
// HAProxy's agent-check understands, combining that state with jicofo's health. Pure: no Pulumi.

import { PORTS } from "../ports";
import { SHARD_LOCAL_PORTS, SHARD_PATHS } from "./shard-values";

/**
 * One line per connection: `up ready` (healthy, takes new rooms), `up drain` (healthy, keeps its
 * rooms, no new ones) or `down` (jicofo unhealthy: HAProxy moves the rooms). Anything in the state
 * file other than `ready` counts as drain: when in doubt, take no new rooms but drop none.
 */
export function renderShardAgentScript(): string {
  return `#!/bin/bash
# HAProxy agent check of this Jitsi shard (systemd socket on TCP ${PORTS.shardAgentCheck.port}, one line per
# connection): "up ready", "up drain" or "down". The paths can be overridden for tests.
set -u
state_file=\${JITSI_SHARD_STATE_FILE:-${SHARD_PATHS.stateFile}}
health_url=\${JITSI_JICOFO_HEALTH_URL:-http://127.0.0.1:${SHARD_LOCAL_PORTS.jicofoRest}/about/health}

state=$(head -c 16 "$state_file" 2>/dev/null | tr -d '[:space:]')
if ! curl -fsS -o /dev/null --max-time 2 "$health_url" 2>/dev/null; then
  echo "down"
elif [ "$state" = "ready" ]; then
  echo "up ready"
else
  echo "up drain"
fi
`;
}

/** `jitsi-shard-drain drain|ready|status`: flips the switch atomically and says what HAProxy now reads. */
export function renderShardDrainScript(): string {
  return `#!/bin/bash
# Drain switch of this Jitsi shard. "drain": HAProxy sends no new rooms here and keeps the
# existing ones; "ready": new rooms again; "status": the current state and the agent's reply.
set -euo pipefail
state_file=\${JITSI_SHARD_STATE_FILE:-${SHARD_PATHS.stateFile}}
agent=\${JITSI_SHARD_AGENT:-${SHARD_PATHS.agentScript}}

case "\${1:-status}" in
  ready | drain)
    tmp=$(mktemp "\${state_file}.XXXXXX")
    printf '%s\\n' "$1" >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$state_file"
    echo "shard state: $1 (HAProxy reads: $("$agent"))"
    ;;
  status)
    echo "shard state: $(cat "$state_file" 2>/dev/null || echo missing) (HAProxy reads: $("$agent"))"
    ;;
  *)
    echo "usage: $(basename "$0") drain|ready|status" >&2
    exit 2
    ;;
esac
`;
}

/** systemd units: a socket on the agent port, one short-lived, unprivileged agent per connection. */
export function renderShardAgentUnits(): { socket: string; service: string } {
  return {
    socket: `[Unit]
Description=HAProxy agent check of the Jitsi shard

[Socket]
ListenStream=${PORTS.shardAgentCheck.port}
Accept=yes

[Install]
WantedBy=sockets.target
`,
    service: `[Unit]
Description=HAProxy agent check of the Jitsi shard (one connection)

[Service]
ExecStart=${SHARD_PATHS.agentScript}
StandardInput=socket
StandardOutput=socket
StandardError=journal
DynamicUser=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
NoNewPrivileges=yes
RuntimeMaxSec=10
`,
  };
}
