// The agents that run on every bridge, as bash scripts with their systemd units, rendered from the pool's values:
//   - the registry agent (timer, every minute): the bridge's XMPP connections follow the shard registry;
//   - the stress publisher (timer, every minute): the bridge's stress_level and participants into CloudWatch, the
//     metric the pool's target tracking follows;
//   - the termination watcher (long-running): when the autoscaling group terminates the instance, graceful shutdown,
//     lifecycle heartbeats while conferences remain, then complete-lifecycle-action.
// Every value spliced into a script is checked here (the render fails on anything that would need quoting); values
// that come from outside at run time (registry, metadata, REST answers) are checked by the scripts themselves.
// Endpoints can be overridden through environment variables (BRIDGE_AGENT_ENV) so that tests run the real scripts
// against stand-ins. Pure: no Pulumi import.

import { PORTS } from "../ports";
import { BRIDGE_METRICS } from "../scaling";
import { JVB_XMPP_USERNAME } from "./prosody";
import { REGISTRY_VERSION } from "./registry";
import { BRIDGE_PATHS, BRIDGE_REST_PORT, type BridgeRenderValues } from "./bridge-values";
import { JVB_REST_HOST } from "./jvb";

/** The environment variables that point the agents elsewhere (tests); production defaults are rendered in. */
export const BRIDGE_AGENT_ENV = {
  /** The AWS CLI to run (default `aws` on PATH). */
  aws: "JITSI_BRIDGE_AWS",
  /** Base URL of the instance metadata service (default http://169.254.169.254). */
  imdsUrl: "JITSI_BRIDGE_IMDS_URL",
  /** Base URL of the bridge's private REST API (default http://127.0.0.1:8080). */
  restUrl: "JITSI_BRIDGE_REST_URL",
  /** What the registry agent last applied (default BRIDGE_PATHS.agentState). */
  agentState: "JITSI_BRIDGE_AGENT_STATE",
  /** Seconds between the termination watcher's polls (default 5; fractions allowed). */
  pollSeconds: "JITSI_BRIDGE_POLL_SECONDS",
} as const;

/** systemd units of the agents (under BRIDGE_PATHS.systemdDir). */
export const BRIDGE_UNITS = {
  registryService: "jitsi-bridge-registry-agent.service",
  registryTimer: "jitsi-bridge-registry-agent.timer",
  stressService: "jitsi-bridge-stress-publisher.service",
  stressTimer: "jitsi-bridge-stress-publisher.timer",
  watcherService: "jitsi-bridge-termination-watcher.service",
} as const;

/** The package's unit (jitsi/jitsi-videobridge:debian/jitsi-videobridge2.service). */
export const JVB_SERVICE = "jitsi-videobridge2.service";

/** Where each shard's bridges meet jicofo: the same JID as render/jicofo.ts breweryJid(domain). */
export const BREWERY_JID_PREFIX = "JvbBrewery@internal.auth.";

const IMDS_DEFAULT = "http://169.254.169.254";
const REST_DEFAULT = `http://${JVB_REST_HOST}:${BRIDGE_REST_PORT}`;

const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

/** A value spliced into a script: only characters that need no quoting, or the render fails. */
export function shellWord(value: string): string {
  if (!SAFE_WORD.test(value)) throw new Error(`refusing to render ${JSON.stringify(value)} into a shell script`);
  return value;
}

function checked(what: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) {
    throw new Error(`bridge agents: ${what} ${JSON.stringify(value)} must match ${pattern}`);
  }
  return shellWord(value);
}

function seconds(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`bridge agents: ${what} must be a positive whole number of seconds, got ${value}`);
  }
  return value;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const AWS_NAME = /^[A-Za-z0-9._-]{1,255}$/;
const SSM_NAME = /^\/[A-Za-z0-9_./-]{1,1010}$/;
const SSM_PART = /^[A-Za-z0-9_./-]*$/;
const NAMESPACE = /^[A-Za-z0-9._/:-]{1,255}$/;
const METRIC = /^[A-Za-z0-9._-]{1,255}$/;

/** The pieces of `jvbPasswordParameterTemplate` around its single `{shard}`. */
export function passwordParameterParts(template: string): { prefix: string; suffix: string } {
  const parts = template.split("{shard}");
  if (parts.length !== 2 || !parts[0].startsWith("/") || !parts.every((p) => SSM_PART.test(p))) {
    throw new Error(
      `bridge agents: jvbPasswordParameterTemplate ${JSON.stringify(template)} must be an SSM path with exactly one {shard}`,
    );
  }
  return { prefix: shellWord(parts[0]), suffix: parts[1] === "" ? "" : shellWord(parts[1]) };
}

/** A jq program spliced into a script between single quotes. */
function jqProgram(program: string): string {
  if (program.includes("'")) throw new Error("a jq program in a script must not contain a single quote");
  return `'${program}'`;
}

// Shell that every agent shares: logging to the journal (stderr), IMDSv2 with a token per call.
function prelude(name: string): string {
  return `log() { printf '${name}: %s\\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

# Instance metadata through IMDSv2 only (the launch template refuses v1): a session token per call.
imds() {
  local token
  token=$(curl -fsS --max-time 5 -X PUT "$imds_url/latest/api/token" \\
    -H "X-aws-ec2-metadata-token-ttl-seconds: 60") || return 1
  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $token" "$imds_url/latest/meta-data/$1"
}`;
}

/** The overridable endpoints, production defaults rendered in; without IMDS for an agent that never calls it. */
function endpoints(withImds = true): string {
  return [
    `aws_cli=\${${BRIDGE_AGENT_ENV.aws}:-aws}`,
    ...(withImds ? [`imds_url=\${${BRIDGE_AGENT_ENV.imdsUrl}:-${IMDS_DEFAULT}}`] : []),
    `rest_url=\${${BRIDGE_AGENT_ENV.restUrl}:-${REST_DEFAULT}}`,
  ].join("\n");
}

// Shard fields the agent accepts (registry.ts RegistryEntry): the id names an SSM parameter and a connection, the
// address is the signalling node's private address (IPv4 or a host name), the domain a DNS name.
const SHARD_ID = "^[a-z0-9][a-z0-9-]{0,62}$";
const SHARD_ADDRESS = "^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$";
const SHARD_DOMAIN = "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$";

/** jq (slurping the parameter's text): the registry as {"<id>": {address, domain}}, or an error saying why not. */
const VALIDATE_REGISTRY = `def refuse($why): error("registry refused: " + $why);
if length != 1 then refuse("expected one JSON document, got \\(length)") else .[0] end
| if type != "object" then refuse("not a JSON object")
  elif .version != ${REGISTRY_VERSION} then refuse("version \\(.version | tojson), expected ${REGISTRY_VERSION}")
  elif (.shards | type) != "array" then refuse("shards is not a list")
  else .shards end
| map(
    if type != "object" then refuse("a shard is not an object")
    elif (.id | type) != "string" or (.id | test("${SHARD_ID}") | not)
    then refuse("shard id \\(.id | tojson) is missing or malformed")
    elif (.address | type) != "string" or (.address | test("${SHARD_ADDRESS}") | not)
    then refuse("shard \\(.id): address \\(.address | tojson) is missing or malformed")
    elif (.domain | type) != "string" or (.domain | test("${SHARD_DOMAIN}") | not)
    then refuse("shard \\(.id): domain \\(.domain | tojson) is missing or malformed")
    else {key: .id, value: {address, domain}} end)
| if (map(.key) | unique | length) != length then refuse("duplicate shard ids") else from_entries end`;

/** jq: the bridge's answer to GET /colibri/muc-client/list (a JSON array of ids), checked. */
const VALIDATE_LIST = `if type == "array" and all(.[]; type == "string" and test("^[A-Za-z0-9._:@-]{1,128}$"))
then . else error("not a list of connection ids") end`;

/**
 * jq: one line per call, "remove <id>" or "add <id>", in order. A listed connection that is no shard is removed;
 * a shard whose address or domain differs from what was applied (or is unknown) is removed then added; a shard
 * the bridge does not list is added. Nothing else: an unchanged list yields no line, hence no call.
 */
const PLAN = `($desired | to_entries) as $shards
| ($listed[] | select($desired[.] == null) | "remove \\(.)"),
  ($shards[] | select(.key | IN($listed[])) | select($applied[.key] != .value) | "remove \\(.key)", "add \\(.key)"),
  ($shards[] | select(.key | IN($listed[]) | not) | "add \\(.key)")`;

/**
 * jq (raw stdin = the password): the body of POST /colibri/muc-client/add. Every value is a JSON string: the bridge
 * keeps only string-valued properties (jitsi/jitsi-videobridge XmppConnection.kt addMucClient: "value is String"),
 * which are MucClientConfiguration's (jitsi/jicoco; names are case-insensitive). iq_handler_mode "sync" is what the
 * bridge sets for connections from its config file (XmppClientConnectionConfig.kt applyDefaultIqHandlerMode) but
 * not for REST-added ones.
 */
const ADD_BODY = `{id: $id, hostname: $hostname, port: "${PORTS.xmppClient.port}", domain: ("auth." + $domain),
  username: "${JVB_XMPP_USERNAME}", password: ., muc_jids: ("${BREWERY_JID_PREFIX}" + $domain),
  muc_nickname: $nickname, disable_certificate_verification: "true", iq_handler_mode: "sync"}`;

/**
 * The registry agent. Converges the bridge's XMPP connections (one per shard) on the registry parameter; a bad
 * registry changes nothing and exits 1 with the reason; an unchanged registry makes no call besides the list.
 */
export function renderRegistryAgentScript(values: BridgeRenderValues): string {
  const region = checked("region", values.region, REGION);
  const registry = checked("registryParameter", values.registryParameter, SSM_NAME);
  const password = passwordParameterParts(values.jvbPasswordParameterTemplate);
  return `#!/bin/bash
# Shard registry agent of this Jitsi bridge (pool ${checked("poolName", values.poolName, AWS_NAME)}, stack ${shellWord(values.stack)}).
# ${BRIDGE_UNITS.registryTimer} runs it every minute and the bootstrap once at first boot. It converges the
# bridge's XMPP connections (one per shard) on the shard registry:
#   fetch the registry (SSM) -> validate it (jq) -> compare with GET /colibri/muc-client/list and with what it
#   last applied (the state file) -> POST /colibri/muc-client/remove, then /colibri/muc-client/add.
# A registry that fails validation changes nothing (exit 1, the reason in the journal). Drained shards stay
# connected: their conferences still need bridges. A shard's password goes from the AWS CLI's output through
# stdin into the request body: never on a command line, never in the journal (no set -x).
set -euo pipefail
umask 077

REGION=${region}
REGISTRY_PARAMETER=${registry}
PASSWORD_PARAMETER_PREFIX=${password.prefix}
PASSWORD_PARAMETER_SUFFIX=${password.suffix}
${endpoints()}
state_file=\${${BRIDGE_AGENT_ENV.agentState}:-${BRIDGE_PATHS.agentState}}

${prelude("jitsi-bridge-registry-agent")}

# The connections' nickname in each brewery: unique per bridge (the instance id, also the relay id).
instance_id=$(imds instance-id) || fail "cannot read the instance id from the instance metadata"
[[ $instance_id =~ ^i-[0-9a-f]{8,32}$ ]] || fail "unexpected instance id from the instance metadata"

registry=$("$aws_cli" ssm get-parameter --region "$REGION" --name "$REGISTRY_PARAMETER" \\
  --query Parameter.Value --output text) || fail "cannot read $REGISTRY_PARAMETER: nothing changed"
if ! desired=$(jq -cs ${jqProgram(VALIDATE_REGISTRY)} <<<"$registry" 2>&1); then
  fail "$REGISTRY_PARAMETER refused, nothing changed: $desired"
fi

listed=$(curl -fsS --max-time 10 "$rest_url/colibri/muc-client/list") ||
  fail "the bridge's REST API does not answer at $rest_url: nothing changed"
if ! listed=$(jq -c ${jqProgram(VALIDATE_LIST)} <<<"$listed" 2>&1); then
  fail "unexpected answer from $rest_url/colibri/muc-client/list, nothing changed: $listed"
fi

# What this agent last applied, per shard id, kept only for connections the bridge still lists (a restarted
# bridge lists none, and every shard is added again).
applied='{}'
if [[ -s $state_file ]] && ! applied=$(jq -c 'if type == "object" then . else error("not an object") end' \\
  "$state_file" 2>&1); then
  log "ignoring the unreadable $state_file ($applied): every listed shard is applied again"
  applied='{}'
fi
applied=$(jq -c --argjson listed "$listed" 'with_entries(select(.key | IN($listed[])))' <<<"$applied")

write_state() {
  local tmp
  mkdir -p "$(dirname "$state_file")"
  tmp=$(mktemp "$state_file.XXXXXX")
  printf '%s\\n' "$applied" >"$tmp"
  mv -f "$tmp" "$state_file"
}

plan=$(jq -rn --argjson desired "$desired" --argjson listed "$listed" --argjson applied "$applied" \\
  ${jqProgram(PLAN)})
if [[ -z $plan ]]; then
  # Unchanged: no call to the bridge besides the list.
  [[ -s $state_file && $(jq -c . "$state_file" 2>/dev/null) == "$applied" ]] || write_state
  exit 0
fi

post() {
  curl -fsS --max-time 10 -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @- \\
    "$rest_url/colibri/muc-client/$1"
}

# The plan comes in on fd 3, so that nothing in the loop can read its lines from stdin.
failures=0
while read -r action id <&3; do
  case $action in
    remove)
      if jq -cn --arg id "$id" '{id: $id}' | post remove; then
        applied=$(jq -c --arg id "$id" 'del(.[$id])' <<<"$applied")
        write_state
        log "removed the connection $id"
      else
        log "could not remove the connection $id"
        failures=$((failures + 1))
      fi
      ;;
    add)
      shard=$(jq -c --arg id "$id" '.[$id]' <<<"$desired")
      address=$(jq -r '.address' <<<"$shard")
      domain=$(jq -r '.domain' <<<"$shard")
      if ! password=$("$aws_cli" ssm get-parameter --region "$REGION" --with-decryption \\
        --name "$PASSWORD_PARAMETER_PREFIX$id$PASSWORD_PARAMETER_SUFFIX" --query Parameter.Value --output text); then
        log "cannot read the bridge password of shard $id: not connected, retried next run"
        failures=$((failures + 1))
        continue
      fi
      if printf '%s' "$password" | jq -Rsc --arg id "$id" --arg hostname "$address" --arg domain "$domain" \\
        --arg nickname "$instance_id" ${jqProgram(ADD_BODY)} | post add; then
        applied=$(jq -c --arg id "$id" --argjson shard "$shard" '.[$id] = $shard' <<<"$applied")
        write_state
        log "connected to shard $id ($address, auth.$domain)"
      else
        log "could not add the connection to shard $id ($address, auth.$domain)"
        failures=$((failures + 1))
      fi
      unset password
      ;;
  esac
done 3<<<"$plan"

((failures == 0)) || fail "$failures change(s) failed; the next run tries again"
`;
}

/** jq: put-metric-data's --metric-data (JSON) from /colibri/stats, or "shutting-down". */
const METRIC_DATA = `def number($key):
  .[$key] | if type == "number" then . elif type == "string" then tonumber
  else error("\\($key) is missing from /colibri/stats") end;
if .graceful_shutdown == true or .shutting_down == true then "shutting-down"
else [
  {MetricName: $stress, Dimensions: [{Name: "${BRIDGE_METRICS.dimension}", Value: $pool}],
   Value: number("stress_level"), Unit: "None"},
  {MetricName: $participants, Dimensions: [{Name: "${BRIDGE_METRICS.dimension}", Value: $pool}],
   Value: (if has("local_endpoints") then number("local_endpoints") else number("participants") end), Unit: "Count"}
] end`;

/**
 * The stress publisher: GET /colibri/stats, then `stress_level` and the participants on this bridge into CloudWatch
 * with the dimension Pool=<poolName> only (the same on every bridge of the pool, so the scaler averages over them).
 * Field names from jitsi/jitsi-videobridge doc/statistics.md: `stress_level` (0 idle, 1 full), `local_endpoints`
 * (this bridge's own endpoints; `participants` is deprecated and also counts relayed ones, used only as fallback).
 */
export function renderStressPublisherScript(values: BridgeRenderValues): string {
  return `#!/bin/bash
# Stress publisher of this Jitsi bridge: every minute (${BRIDGE_UNITS.stressTimer}) it reads stress_level and the
# participants from GET /colibri/stats and puts them into CloudWatch, dimension ${BRIDGE_METRICS.dimension}=<pool> only, so
# that the pool's target tracking follows the average over its bridges. A bridge in graceful shutdown publishes
# nothing: it takes no new conferences, and its falling load must not pull the pool's average down.
set -euo pipefail

REGION=${checked("region", values.region, REGION)}
NAMESPACE=${checked("metrics.namespace", values.metrics.namespace, NAMESPACE)}
POOL=${checked("poolName", values.poolName, AWS_NAME)}
STRESS_METRIC=${checked("metrics.stress", values.metrics.stress, METRIC)}
PARTICIPANTS_METRIC=${checked("metrics.participants", values.metrics.participants, METRIC)}
${endpoints(false)}

log() { printf 'jitsi-bridge-stress-publisher: %s\\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

stats=$(curl -fsS --max-time 10 "$rest_url/colibri/stats") ||
  fail "the bridge's REST API does not answer at $rest_url/colibri/stats: nothing published"
if ! metric_data=$(jq -rc --arg pool "$POOL" --arg stress "$STRESS_METRIC" --arg participants "$PARTICIPANTS_METRIC" \\
  ${jqProgram(METRIC_DATA)} <<<"$stats" 2>&1); then
  fail "unexpected /colibri/stats, nothing published: $metric_data"
fi
if [[ $metric_data == shutting-down ]]; then
  log "graceful shutdown in progress: not publishing"
  exit 0
fi
"$aws_cli" cloudwatch put-metric-data --region "$REGION" --namespace "$NAMESPACE" --metric-data "$metric_data" ||
  fail "put-metric-data into $NAMESPACE failed"
`;
}

/**
 * The termination watcher: polls IMDSv2 `autoscaling/target-lifecycle-state`; on `Terminated` asks the bridge for a
 * graceful shutdown, sends lifecycle heartbeats while participants remain and the cap has not passed, then completes
 * the lifecycle action with CONTINUE. A bridge whose REST API no longer answers has no participants left.
 */
export function renderTerminationWatcherScript(values: BridgeRenderValues): string {
  return `#!/bin/bash
# Termination watcher of this Jitsi bridge (${BRIDGE_UNITS.watcherService}). When the autoscaling group starts to
# terminate this instance (instance metadata autoscaling/target-lifecycle-state = Terminated, held by the lifecycle
# hook), it asks the bridge for a graceful shutdown (no new conferences), keeps the hook alive with heartbeats while
# participants remain and the cap has not passed, then completes the lifecycle action (CONTINUE).
# set -u and pipefail but not -e: the loops must outlive a failed metadata, REST or AWS call.
set -uo pipefail

REGION=${checked("region", values.region, REGION)}
AUTO_SCALING_GROUP=${checked("autoScalingGroupName", values.autoScalingGroupName, AWS_NAME)}
LIFECYCLE_HOOK=${checked("lifecycleHookName", values.lifecycleHookName, AWS_NAME)}
CAP_SECONDS=${seconds("gracefulShutdownSeconds", values.gracefulShutdownSeconds)}
HEARTBEAT_SECONDS=${seconds("heartbeatIntervalSeconds", values.heartbeatIntervalSeconds)}
${endpoints()}
poll=\${${BRIDGE_AGENT_ENV.pollSeconds}:-5}

${prelude("jitsi-bridge-termination-watcher")}

[[ $poll =~ ^[0-9]+([.][0-9]+)?$ ]] || fail "${BRIDGE_AGENT_ENV.pollSeconds} must be a number of seconds"

# Participants still on this bridge (its own endpoints: what its ShutdownManager waits for), "unknown" when the
# answer makes no sense, 0 when the REST API no longer answers (the bridge has shut down).
participants() {
  local stats
  if ! stats=$(curl -fsS --max-time 5 "$rest_url/colibri/stats" 2>/dev/null); then
    echo 0
    return
  fi
  jq -r '(.local_endpoints // .participants) | if type == "number" then floor else error("no count") end' \\
    <<<"$stats" 2>/dev/null || echo unknown
}

aws_lifecycle() {
  "$aws_cli" autoscaling "$@" --region "$REGION" --auto-scaling-group-name "$AUTO_SCALING_GROUP" \\
    --lifecycle-hook-name "$LIFECYCLE_HOOK" --instance-id "$instance_id" >/dev/null
}

until instance_id=$(imds instance-id 2>/dev/null) && [[ $instance_id =~ ^i-[0-9a-f]{8,32}$ ]]; do
  log "waiting for the instance id from the instance metadata"
  sleep "$poll"
done
log "watching the target lifecycle state of $instance_id"

# Absent until the group has an opinion (404), InService while in service.
until [[ $(imds autoscaling/target-lifecycle-state 2>/dev/null) == Terminated ]]; do
  sleep "$poll"
done

log "target lifecycle state Terminated: graceful shutdown (at most \${CAP_SECONDS}s)"
# Time in microseconds (bash 5's EPOCHREALTIME; $SECONDS would be up to a second off).
now() { printf '%s' "\${EPOCHREALTIME//[.,]/}"; }
started=$(now)
curl -fsS --max-time 10 -o /dev/null -X POST -H 'Content-Type: application/json' \\
  --data '{"graceful-shutdown": true}' "$rest_url/colibri/shutdown" ||
  log "the bridge did not accept the graceful shutdown (it may be gone already)"

last_heartbeat=
while :; do
  count=$(participants)
  elapsed_us=$(($(now) - started))
  elapsed=$((elapsed_us / 1000000))
  if [[ $count == 0 ]]; then
    log "no participants left after \${elapsed}s"
    break
  fi
  if ((elapsed_us >= CAP_SECONDS * 1000000)); then
    log "cap of \${CAP_SECONDS}s reached with $count participant(s) left"
    break
  fi
  if [[ -z $last_heartbeat ]] || (($(now) - last_heartbeat >= HEARTBEAT_SECONDS * 1000000)); then
    if aws_lifecycle record-lifecycle-action-heartbeat; then
      last_heartbeat=$(now)
      log "heartbeat: $count participant(s) after \${elapsed}s"
    else
      log "record-lifecycle-action-heartbeat failed; trying again"
    fi
  fi
  sleep "$poll"
done

for attempt in 1 2 3 4 5; do
  if aws_lifecycle complete-lifecycle-action --lifecycle-action-result CONTINUE; then
    log "lifecycle action completed: the instance may go"
    exit 0
  fi
  log "complete-lifecycle-action failed (attempt $attempt)"
  sleep "$poll"
done
fail "could not complete the lifecycle action; the hook's default result applies at its timeout"
`;
}

export interface BridgeAgentUnits {
  readonly registryService: string;
  readonly registryTimer: string;
  readonly stressService: string;
  readonly stressTimer: string;
  readonly watcherService: string;
}

// Hardening shared by the agents: they read the metadata, call AWS and the loopback REST API, write only their state.
const HARDENING = `NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only`;

/** systemd units: two oneshot services with their minute timers, and the long-running watcher. */
export function renderBridgeAgentUnits(): BridgeAgentUnits {
  const p = BRIDGE_PATHS;
  const stateDir = p.agentState.replace(/^\/var\/lib\//, "").replace(/\/[^/]+$/, "");
  const timer = (what: string) => `[Unit]
Description=Jitsi bridge: ${what} every minute

[Timer]
OnBootSec=30s
OnUnitActiveSec=60s
AccuracySec=5s

[Install]
WantedBy=timers.target
`;
  return {
    registryService: `[Unit]
Description=Jitsi bridge: follow the shard registry (one XMPP connection per shard)
Wants=network-online.target
After=network-online.target ${JVB_SERVICE}

[Service]
Type=oneshot
ExecStart=${p.registryAgent}
StateDirectory=${stateDir}
StateDirectoryMode=0700
TimeoutStartSec=300
${HARDENING}
`,
    registryTimer: timer("follow the shard registry"),
    stressService: `[Unit]
Description=Jitsi bridge: publish stress_level and participants to CloudWatch
Wants=network-online.target
After=network-online.target ${JVB_SERVICE}

[Service]
Type=oneshot
ExecStart=${p.stressPublisher}
TimeoutStartSec=50
${HARDENING}
`,
    stressTimer: timer("publish the stress metric"),
    watcherService: `[Unit]
Description=Jitsi bridge: graceful shutdown when the autoscaling group terminates this instance
Wants=network-online.target
After=network-online.target ${JVB_SERVICE}

[Service]
ExecStart=${p.terminationWatcher}
Restart=on-failure
RestartSec=10
${HARDENING}

[Install]
WantedBy=multi-user.target
`,
  };
}
