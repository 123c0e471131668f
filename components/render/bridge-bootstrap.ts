// The first-boot script of a bridge: jitsi-videobridge2 from Jitsi's repository, the package's defaults that a
// remote bridge must not keep undone, jvb.conf with this instance's relay id, then the agents. cloud-init writes the
// rendered files before it runs. Pure: no Pulumi import.

import { aptGetFunction, imdsFunction, jitsiAptRepository, ssmAgentInstall } from "./debian";
import { BRIDGE_UNITS, JVB_SERVICE, shellWord } from "./bridge-agents";
import { BRIDGE_PATHS, BRIDGE_REST_PORT, type BridgeRenderValues } from "./bridge-values";
import { JVB_REST_HOST, JVB_RELAY_ID_JQ_FILTER } from "./jvb";

/** Packages of a bridge: the bridge itself (the agents' jq, curl and awscli come first). */
export const BRIDGE_PACKAGES = ["jitsi-videobridge2"] as const;

/** The debconf answer the package asks for; its value only names the default connection, which is removed. */
export const JVB_HOSTNAME_PRESEED = "jitsi-videobridge2 jitsi-videobridge/jvb-hostname string localhost";

function jqFilter(filter: string): string {
  if (!/^[.A-Za-z0-9_"[\]-]+ = \$[a-z_]+$/.test(filter)) {
    throw new Error(`refusing to render the jq filter ${JSON.stringify(filter)} into a shell script`);
  }
  return `'${filter}'`;
}

export function renderBridgeBootstrap(values: BridgeRenderValues): string {
  const p = BRIDGE_PATHS;
  const rest = `http://${JVB_REST_HOST}:${BRIDGE_REST_PORT}`;
  const lines = [
    "#!/bin/bash",
    `# First boot of a Jitsi bridge of pool ${shellWord(values.poolName)} (stack ${shellWord(values.stack)}).`,
    "# Installs jitsi-videobridge2 unattended, undoes the package defaults meant for a bridge on the signalling",
    "# node (REST API off, one XMPP connection to localhost), writes jvb.conf with this instance's relay id, starts",
    "# the bridge, connects it to the shards once, then enables the agents. Running it again converges to the same",
    "# state (the bridge restarts only when its configuration changed). Nothing secret passes through this script.",
    "set -euo pipefail",
    "umask 022",
    `exec >>${p.bootstrapLog} 2>&1`,
    'echo "jitsi-bridge-bootstrap: start $(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    "",
    `REGION=${shellWord(values.region)}`,
    "export DEBIAN_FRONTEND=noninteractive",
    "",
    ...imdsFunction(),
    "INSTANCE_ID=$(imds instance-id)",
    "if ! [[ $INSTANCE_ID =~ ^i-[0-9a-f]{8,32}$ ]]; then",
    '  echo "jitsi-bridge-bootstrap: unexpected instance id from the instance metadata"',
    "  exit 1",
    "fi",
    'echo "jitsi-bridge-bootstrap: instance $INSTANCE_ID in $(imds placement/region) (pool region $REGION)"',
    "",
    ...aptGetFunction("jitsi-bridge-bootstrap"),
    "",
    "apt_get update",
    "apt_get install -y --no-install-recommends ca-certificates curl gnupg jq awscli debconf-utils",
    ...ssmAgentInstall("jitsi-bridge-bootstrap"),
    "",
    ...jitsiAptRepository(),
    "",
    "# The package's only question (jitsi/jitsi-videobridge debian/templates). Its answer names the XMPP domain of the",
    "# default connection to localhost, which is switched off below: this bridge's connections come from the registry.",
    "debconf-set-selections <<'SELECTIONS'",
    JVB_HOSTNAME_PRESEED,
    "SELECTIONS",
    "apt_get update",
    `apt_get install -y ${BRIDGE_PACKAGES.join(" ")}`,
    "",
    `before=$(cat ${p.jvbDefaults} ${p.jvbLegacyProperties} ${p.jvbConf} 2>/dev/null | sha256sum)`,
    "",
    "# REST API: the package's postinst puts --apis=, into JVB_OPTS, and the bridge's Main.kt turns --apis into the",
    "# property that RestConfig.kt reads before videobridge.apis.rest.enabled. --apis=rest keeps it on, and postinst",
    "# leaves an --apis value without xmpp alone on upgrades.",
    `sed -i -E '/^[[:space:]]*#/! s/--apis=[^"[:space:]]*/--apis=rest/g' ${p.jvbDefaults}`,
    `apis=$(grep -v '^[[:space:]]*#' ${p.jvbDefaults} | grep -o -- '--apis=[^"[:space:]]*' || true)`,
    'if [[ -n $apis && $apis != "--apis=rest" ]]; then',
    `  echo "jitsi-bridge-bootstrap: ${p.jvbDefaults} still turns the REST API off: $apis"`,
    "  exit 1",
    "fi",
    "",
    "# The package's default XMPP connection (org.jitsi.videobridge.xmpp.user.shard.*, to localhost) lives in the",
    "# legacy properties, which the bridge reads before jvb.conf's xmpp-client configs. Commented out, not deleted:",
    "# postinst adds the block again on upgrades unless it finds its MUC_JIDS line. Its password line goes.",
    `sed -i -E -e '/^[[:space:]]*org[.]jitsi[.]videobridge[.]xmpp[.]user[.][^=]*[.]PASSWORD=/d' \\`,
    "  -e 's/^[[:space:]]*(org[.]jitsi[.]videobridge[.]xmpp[.]user[.])/# off (connections come from the shard registry): \\1/' \\",
    `  ${p.jvbLegacyProperties}`,
    "",
    "# jvb.conf: the rendered settings plus this instance's relay id, readable by the bridge (group jitsi).",
    `tmp=$(mktemp ${p.jvbConf}.XXXXXX)`,
    `jq --arg relay_id "$INSTANCE_ID" ${jqFilter(JVB_RELAY_ID_JQ_FILTER)} ${p.jvbConfTemplate} >"$tmp"`,
    'chown root:jitsi "$tmp"',
    'chmod 0640 "$tmp"',
    `mv -f "$tmp" ${p.jvbConf}`,
    "",
    `after=$(cat ${p.jvbDefaults} ${p.jvbLegacyProperties} ${p.jvbConf} 2>/dev/null | sha256sum)`,
    "systemctl daemon-reload",
    `systemctl enable ${JVB_SERVICE}`,
    `if [[ $before != "$after" ]] || ! systemctl is-active --quiet ${JVB_SERVICE}; then`,
    `  systemctl restart ${JVB_SERVICE}`,
    "fi",
    "",
    "# The REST API answers once the bridge is up; the registry agent needs it.",
    "for attempt in $(seq 1 60); do",
    `  if curl -fsS -o /dev/null --max-time 5 ${rest}/colibri/muc-client/list; then break; fi`,
    "  if ((attempt == 60)); then",
    '    echo "jitsi-bridge-bootstrap: the bridge\'s REST API did not come up"',
    "    exit 1",
    "  fi",
    "  sleep 5",
    "done",
    "",
    "# Connect to the shards now rather than at the timer's first run; a failure here is retried every minute.",
    `install -d -m 0700 ${p.agentState.replace(/\/[^/]+$/, "")}`,
    `if ! ${p.registryAgent}; then`,
    '  echo "jitsi-bridge-bootstrap: the registry agent failed; its timer tries again every minute"',
    "fi",
    "",
    `systemctl enable --now ${BRIDGE_UNITS.registryTimer} ${BRIDGE_UNITS.stressTimer} ${BRIDGE_UNITS.watcherService}`,
    'echo "jitsi-bridge-bootstrap: done $(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    "",
  ];
  return lines.join("\n");
}
