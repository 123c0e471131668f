// An HAProxy (edge) node's own files: the first-boot script and the config agent that keeps
// /etc/haproxy/haproxy.cfg equal to the node's SSM parameter (rendered by the stack from the shard
// registry), validating with `haproxy -c` before a seamless reload. The configuration itself is
// rendered by render/haproxy.ts and never travels in user-data, so a shard change never replaces
// an edge node. Pure: no Pulumi import.

import { renderCloudConfig, type NodeFile } from "./cloud-config";
import { aptGetFunction, ssmAgentInstall } from "./debian";

export interface EdgeNodeValues {
  readonly region: string;
  readonly stack: string;
  /** This node's peer name (`<region>-edge-<n>`). */
  readonly nodeName: string;
  /** The SSM parameter (plain String) holding this node's haproxy.cfg. */
  readonly configParameter: string;
}

export const EDGE_PATHS = {
  haproxyConfig: "/etc/haproxy/haproxy.cfg",
  bootstrapScript: "/usr/local/sbin/jitsi-edge-bootstrap",
  configAgent: "/usr/local/sbin/jitsi-edge-config-agent",
  bootstrapLog: "/var/log/jitsi-edge-bootstrap.log",
  systemdDir: "/etc/systemd/system",
} as const;

const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

function word(value: string): string {
  if (!SAFE_WORD.test(value)) throw new Error(`refusing to render ${JSON.stringify(value)} into a shell script`);
  return value;
}

/**
 * Fetch → compare → validate → apply. Exit status 0 when the node runs the parameter's
 * configuration (changed or not), non-zero when it could not fetch or the new text fails
 * `haproxy -c` (the running configuration stays). Overridable for tests: the `aws` command, the
 * haproxy binary, the config path and the reload command.
 */
export function renderEdgeConfigAgent(values: EdgeNodeValues): string {
  return `#!/bin/bash
# Keeps ${EDGE_PATHS.haproxyConfig} equal to SSM parameter ${word(values.configParameter)}.
set -euo pipefail
aws_cli=\${JITSI_AWS_CLI:-aws}
haproxy_bin=\${JITSI_HAPROXY_BIN:-haproxy}
config=\${JITSI_HAPROXY_CONFIG:-${EDGE_PATHS.haproxyConfig}}
read -r -a reload <<<"\${JITSI_HAPROXY_RELOAD:-systemctl reload haproxy}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "$aws_cli" ssm get-parameter --region ${word(values.region)} --name ${word(values.configParameter)} \\
  --query Parameter.Value --output text >"$work/haproxy.cfg"; then
  echo "jitsi-edge-config-agent: could not read ${word(values.configParameter)}; keeping the running configuration" >&2
  exit 1
fi
if [ -f "$config" ] && cmp -s "$work/haproxy.cfg" "$config"; then
  exit 0
fi
if ! "$haproxy_bin" -c -f "$work/haproxy.cfg" >"$work/check.log" 2>&1; then
  echo "jitsi-edge-config-agent: the new configuration fails haproxy -c; keeping the running one:" >&2
  cat "$work/check.log" >&2
  exit 1
fi
install -m 0644 "$work/haproxy.cfg" "$config.new"
mv -f "$config.new" "$config"
# Servers marked down or drained at run time stay so across the reload (load-server-state-from-file).
state_file=\${JITSI_HAPROXY_STATE_FILE:-/var/lib/haproxy/server-state}
socket=\${JITSI_HAPROXY_SOCKET:-/run/haproxy/admin.sock}
if [ -S "$socket" ] && command -v socat >/dev/null; then
  echo "show servers state" | socat stdio "unix-connect:$socket" >"$state_file.new" && mv -f "$state_file.new" "$state_file"
fi
# Debian's haproxy runs master-worker: a reload starts new workers and hands the stick table over
# through the local peer, so connections and room pinning survive.
"\${reload[@]}"
echo "jitsi-edge-config-agent: applied a new configuration"
`;
}

export function renderEdgeAgentUnits(): { service: string; timer: string } {
  return {
    service: `[Unit]
Description=Apply this edge node's HAProxy configuration from SSM
After=network-online.target haproxy.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=${EDGE_PATHS.configAgent}
`,
    timer: `[Unit]
Description=Follow this edge node's HAProxy configuration in SSM

[Timer]
OnBootSec=30s
OnUnitActiveSec=30s
AccuracySec=5s

[Install]
WantedBy=timers.target
`,
  };
}

export function renderEdgeBootstrap(values: EdgeNodeValues): string {
  return [
    "#!/bin/bash",
    `# First boot of HAProxy node ${word(values.nodeName)} (stack ${word(values.stack)}, ${word(values.region)}).`,
    "# Installs Debian's haproxy and the AWS CLI, applies the node's configuration from SSM once,",
    "# and starts following it. Running it again converges to the same state.",
    "set -euo pipefail",
    `exec >>${EDGE_PATHS.bootstrapLog} 2>&1`,
    'echo "jitsi-edge-bootstrap: start $(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    "export DEBIAN_FRONTEND=noninteractive",
    `REGION=${word(values.region)}`,
    ...aptGetFunction("jitsi-edge-bootstrap"),
    "apt_get update",
    "apt_get install -y --no-install-recommends haproxy socat awscli ca-certificates curl",
    ...ssmAgentInstall("jitsi-edge-bootstrap"),
    "# haproxy.cfg loads the servers' state from here after a reload; it must exist",
    "install -d -o haproxy -g haproxy /var/lib/haproxy",
    "# (a missing or empty file is a warning; the version line alone is an empty state)",
    "[ -s /var/lib/haproxy/server-state ] || echo 1 >/var/lib/haproxy/server-state",
    "systemctl daemon-reload",
    "systemctl enable haproxy",
    "# The configuration may not exist yet while the stack is being created: retry for a while.",
    "for attempt in $(seq 1 40); do",
    `  if ${EDGE_PATHS.configAgent}; then break; fi`,
    '  echo "jitsi-edge-bootstrap: configuration not applied yet (attempt $attempt)"',
    "  sleep 15",
    "done",
    "systemctl restart haproxy",
    "systemctl enable --now jitsi-edge-config-agent.timer",
    'echo "jitsi-edge-bootstrap: done $(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    "",
  ].join("\n");
}

export function renderEdgeFiles(values: EdgeNodeValues): NodeFile[] {
  const units = renderEdgeAgentUnits();
  return [
    { path: EDGE_PATHS.configAgent, content: renderEdgeConfigAgent(values), permissions: "0755" },
    { path: `${EDGE_PATHS.systemdDir}/jitsi-edge-config-agent.service`, content: units.service, permissions: "0644" },
    { path: `${EDGE_PATHS.systemdDir}/jitsi-edge-config-agent.timer`, content: units.timer, permissions: "0644" },
    { path: EDGE_PATHS.bootstrapScript, content: renderEdgeBootstrap(values), permissions: "0755" },
  ];
}

export function renderEdgeUserData(values: EdgeNodeValues): string {
  return renderCloudConfig(renderEdgeFiles(values), [[EDGE_PATHS.bootstrapScript]]);
}
