// The read-only shell scripts the smoke check runs on the nodes through SSM Run Command (AWS-RunShellScript).
// Pure: text only. Both print sections headed `### <name>` (smoke-parse.ts splits them) and always exit 0, so that
// whatever they could not read shows up in the report instead of as a failed command.
//
// The agent joins the command lines into one script and runs it with /bin/sh (dash on Debian): POSIX sh only.
// GetCommandInvocation returns at most 24,000 characters of standard output, so both scripts trim what they print:
// jicofo's /debug is cut down to the bridge fields the check reads, HAProxy's answer to one backend's servers.

import { PORTS } from "../../components/ports";
import { EDGE_HEALTH_URI, HAPROXY_NAMES, HAPROXY_PATHS } from "../../components/render/haproxy";
import { SHARD_LOCAL_PORTS, SHARD_PATHS } from "../../components/render/shard-values";

/** Section names, in the order the scripts print them. */
export const SECTIONS = {
  jicofoHealth: "jicofo-health",
  shardStatus: "shard-status",
  jicofoDebugStatus: "jicofo-debug-status",
  jicofoBridges: "jicofo-bridges",
  haproxyHealth: "haproxy-health",
  haproxyServers: "haproxy-servers-state",
} as const;

/** What `cat` prints in place of the drain switch's state when the file does not exist. */
export const MISSING_STATE = "(missing)";

/**
 * jq program applied to jicofo's `GET /debug`: keeps only `bridge_selector` and, per bridge, the fields the check
 * reads, in jicofo's own shape (so smoke-parse.ts reads the full answer and the trimmed one alike). Fields: see
 * Bridge.debugState in jitsi/jicofo jicofo-selector/src/main/kotlin/org/jitsi/jicofo/bridge/Bridge.kt.
 */
export const JICOFO_BRIDGES_JQ =
  "{bridge_selector: {strategy: .bridge_selector.strategy, bridge: ((.bridge_selector.bridge // {}) | map_values(" +
  '{region, operational, healthy, drain, "graceful-shutdown": .["graceful-shutdown"], ' +
  '"shutting-down": .["shutting-down"]}))}}';

export interface ShardScriptOptions {
  /** jicofo's REST API (jicofo.rest.host/port in jicofo.conf). */
  readonly jicofoUrl: string;
  /** The drain switch's state file (shard-agent.ts). */
  readonly stateFile: string;
}

export function productionShardScriptOptions(): ShardScriptOptions {
  return { jicofoUrl: `http://127.0.0.1:${SHARD_LOCAL_PORTS.jicofoRest}`, stateFile: SHARD_PATHS.stateFile };
}

const SAFE = /^[A-Za-z0-9@%+=:,./_-]+$/;

function word(value: string): string {
  if (!SAFE.test(value)) throw new Error(`smoke: refusing to put ${JSON.stringify(value)} into a shell script`);
  return value;
}

/**
 * On a shard's signalling node: jicofo's health (`/about/health`, status code only), the drain switch's state, and
 * the bridges jicofo knows (`/debug`, jicofo.rest.debug.enabled defaults to true). Needs curl and jq, which the shard
 * bootstrap installs.
 */
export function shardCheckScript(options: ShardScriptOptions = productionShardScriptOptions()): string {
  const url = word(options.jicofoUrl);
  return `#!/bin/sh
# Jitsi smoke check on a signalling node: reads only.
echo "### ${SECTIONS.jicofoHealth}"
curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 5 ${url}/about/health
echo
echo "### ${SECTIONS.shardStatus}"
cat ${word(options.stateFile)} 2>/dev/null || echo "${MISSING_STATE}"
echo "### ${SECTIONS.jicofoDebugStatus}"
debug=$(mktemp)
curl -s --noproxy '*' -o "$debug" -w '%{http_code}' --max-time 10 ${url}/debug
echo
echo "### ${SECTIONS.jicofoBridges}"
if command -v jq >/dev/null 2>&1; then
  jq -c '${JICOFO_BRIDGES_JQ}' "$debug" 2>&1
else
  cat "$debug"
  echo
fi
rm -f "$debug"
exit 0
`;
}

export interface EdgeScriptOptions {
  /** HAProxy's monitor URI on the frontend. */
  readonly healthUrl: string;
  /** HAProxy's runtime API (stats socket, admin level). */
  readonly runtimeSocket: string;
  /** The backend listing every shard. */
  readonly backend: string;
}

export function productionEdgeScriptOptions(): EdgeScriptOptions {
  return {
    healthUrl: `http://127.0.0.1:${PORTS.edgeHttp.port}${EDGE_HEALTH_URI}`,
    runtimeSocket: HAPROXY_PATHS.runtimeSocket,
    backend: HAPROXY_NAMES.backend,
  };
}

/**
 * On an edge node: HAProxy's own health (the monitor URI the load balancer checks) and `show servers state <backend>`
 * from the runtime API. Both go through python3, which every edge node has (Debian's awscli, which the edge bootstrap
 * installs, and cloud-init run on it), so the check needs neither curl (not installed there) nor socat. The python
 * code sits in single quotes: it must not contain one.
 */
export function edgeCheckScript(options: EdgeScriptOptions = productionEdgeScriptOptions()): string {
  return `#!/bin/sh
# Jitsi smoke check on an edge node: reads only.
echo "### ${SECTIONS.haproxyHealth}"
python3 -c '
import sys, urllib.error, urllib.request
try:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    code = opener.open(sys.argv[1], timeout=5).status
except urllib.error.HTTPError as err:
    code = err.code
except Exception:
    code = "000"
print(code)
' ${word(options.healthUrl)} 2>&1
echo "### ${SECTIONS.haproxyServers}"
python3 -c '
import socket, sys
try:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(sys.argv[1])
    sock.sendall(sys.argv[2].encode() + b"\\n")
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sys.stdout.write(data.decode("utf-8", "replace"))
except Exception as err:
    print("cannot query %s: %s" % (sys.argv[1], err))
' ${word(options.runtimeSocket)} "show servers state ${word(options.backend)}" 2>&1
exit 0
`;
}

/** The `commands` parameter of AWS-RunShellScript: one element per line (the agent joins them with newlines). */
export function runShellScriptCommands(script: string): string[] {
  return script.replace(/\n$/, "").split("\n");
}
