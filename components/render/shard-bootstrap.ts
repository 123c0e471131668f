// The first-boot script of a signalling node: Jitsi's packages, the shard's secrets from SSM, and
// the rendered configuration put in place. cloud-init writes the rendered files before it runs.
// Pure: no Pulumi import.

import { aptGetFunction, imdsFunction, jitsiAptRepository, ssmAgentInstall } from "./debian";
import { SHARD_PATHS, type ShardRenderValues } from "./shard-values";

/** Packages of a signalling node: the web, prosody with Jitsi's plugins, jicofo; no local bridge. */
export const SHARD_PACKAGES = [
  "nginx",
  "prosody",
  "jicofo",
  "jitsi-meet-web",
  "jitsi-meet-web-config",
  "jitsi-meet-prosody",
] as const;

export interface ShardBootstrapParts {
  /**
   * prosodyctl invocations that register the shard's accounts; "$JVB_PASSWORD" and
   * "$JICOFO_PASSWORD" elements stand for the secrets fetched at boot (from render/prosody.ts).
   */
  readonly prosodyRegister: readonly (readonly string[])[];
}

const PLACEHOLDERS = new Set(["$JVB_PASSWORD", "$JICOFO_PASSWORD"]);
const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

/** A value spliced into the script: only characters that need no quoting, or the render fails. */
function word(value: string): string {
  if (!SAFE_WORD.test(value)) throw new Error(`refusing to render ${JSON.stringify(value)} into a shell script`);
  return value;
}

/** One argv as a command line: placeholders expand (double-quoted), everything else is literal. */
function commandLine(argv: readonly string[]): string {
  return argv.map((arg) => (PLACEHOLDERS.has(arg) ? `"${arg}"` : word(arg))).join(" ");
}

export function renderShardBootstrap(values: ShardRenderValues, parts: ShardBootstrapParts): string {
  const p = SHARD_PATHS;
  const lines = [
    "#!/bin/bash",
    `# First boot of the Jitsi signalling node of shard ${word(values.shardId)} (stack ${word(values.stack)}).`,
    "# Installs Jitsi's packages unattended, fetches the shard's passwords from SSM Parameter Store with",
    "# the instance role, and puts the configuration that cloud-init wrote into service. Running it",
    "# again converges to the same state. Secrets are never echoed, traced or written to this log.",
    "set -euo pipefail",
    "umask 022",
    `exec >>${p.bootstrapLog} 2>&1`,
    'echo "jitsi-shard-bootstrap: start $(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    "",
    `DOMAIN=${word(values.domain)}`,
    `REGION=${word(values.region)}`,
    `JVB_PASSWORD_PARAMETER=${word(values.parameters.jvbPassword)}`,
    `JICOFO_PASSWORD_PARAMETER=${word(values.parameters.jicofoPassword)}`,
    "export DEBIAN_FRONTEND=noninteractive",
    "",
    ...imdsFunction(),
    'echo "jitsi-shard-bootstrap: instance $(imds instance-id) in $(imds placement/region)"',
    "",
    ...aptGetFunction("jitsi-shard-bootstrap"),
    "",
    "apt_get update",
    "apt_get install -y --no-install-recommends ca-certificates curl gnupg jq awscli debconf-utils",
    ...ssmAgentInstall("jitsi-shard-bootstrap"),
    "",
    ...jitsiAptRepository(),
    "",
    "# Answers to the packages' questions: the domain, a self-signed certificate (users' TLS ends at",
    "# the load balancer; HAProxy reaches nginx over the private network), no local bridge.",
    "debconf-set-selections <<SELECTIONS",
    "jitsi-videobridge jitsi-videobridge/jvb-hostname string $DOMAIN",
    "jitsi-meet-web-config jitsi-meet/cert-choice select Generate a new self-signed certificate",
    "jitsi-meet-web-config jitsi-meet/jvb-serve boolean false",
    "SELECTIONS",
    "apt_get update",
    `apt_get install -y ${SHARD_PACKAGES.join(" ")}`,
    "",
    "parameter() {",
    '  aws ssm get-parameter --region "$REGION" --with-decryption --name "$1" \\',
    "    --query Parameter.Value --output text",
    "}",
    'JVB_PASSWORD=$(parameter "$JVB_PASSWORD_PARAMETER")',
    'JICOFO_PASSWORD=$(parameter "$JICOFO_PASSWORD_PARAMETER")',
    "",
    "# prosody: the accounts of the bridges (of every region) and of jicofo, with the stack's passwords.",
    ...parts.prosodyRegister.map(commandLine),
    "",
    "unset JVB_PASSWORD JICOFO_PASSWORD",
    "",
    "# The settings that follow the stack (jicofo's configuration, nginx's region map), from SSM; the",
    "# timer keeps following them. The daemons restart below, so the agent need not restart them now.",
    `JITSI_NGINX_RELOAD=true JITSI_JICOFO_RESTART=true ${p.settingsAgent}`,
    "",
    "# nginx: this shard's site instead of the package's default and generated ones.",
    'rm -f /etc/nginx/sites-enabled/default "/etc/nginx/sites-enabled/$DOMAIN.conf"',
    `ln -sf ${p.nginxSite} /etc/nginx/sites-enabled/jitsi-shard.conf`,
    "nginx -t",
    "",
    '# The drain switch starts "ready" unless an operator already set it.',
    `[ -s ${p.stateFile} ] || echo ready >${p.stateFile}`,
    `chmod 0644 ${p.stateFile}`,
    "",
    "systemctl daemon-reload",
    "systemctl enable --now jitsi-shard-agent.socket",
    "systemctl enable --now jitsi-shard-settings-agent.timer",
    "systemctl enable prosody jicofo nginx",
    "systemctl restart prosody",
    "systemctl restart jicofo nginx",
    'echo "jitsi-shard-bootstrap: done $(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    "",
  ];
  return lines.join("\n");
}
