// The haproxy.cfg of an edge node (HAPROXY_PATHS.config): every request of a room reaches one shard, the same shard
// through every edge node of every region. Pure: no Pulumi import.
//
// Layout of this file: the values the renderer chooses and checks (validation, defaults) come first; the template at
// the bottom only interpolates strings that were already checked.
//
// Routing (our own; meet.jit.si's jitsi/infra-configuration hcv-haproxy-configure template was the reference):
// - The room key (txn.jitsi_room) is `?room=` when present and not empty (BOSH, websocket, `config.js?room=`, ...),
//   otherwise the last path segment (the room page `/<room>`), url-decoded (so `/Caf%C3%A9`, `/a$b` and the client's
//   encodeURIComponent form agree) and lower-cased (ASCII, like the client's backend-safe room name). Paths that are
//   the web app's own carry no room: `/` and anything ending in `/`, the static trees (/libs/, /css/, /static/,
//   /images/, /fonts/, /lang/, /sounds/, /.well-known/) and /about/, files with a web extension (/config.js,
//   /external_api.js, /favicon.ico, ...), and /http-bind or /xmpp-websocket without `?room=`. Our shards serve
//   nothing under a room (nginx.ts: a room is a single path segment, no tenants), so `/<room>` is the only room path
//   a browser requests; a tenant-style `/<tenant>/<room>` would key on its room too.
// - Requests without a room are not pinned: `balance hash` falls back to round robin over the shards that take new
//   rooms when the key is missing, and the stick rules store nothing. The page of a room inlines /config.js
//   (nginx SSI), so a room's page always carries its own shard's config; a bare /config.js (external API users) or
//   /libs/... may come from any shard, which is fine while every shard runs the same jitsi-meet-web version.
// - `balance hash var(txn.jitsi_room)` with `hash-type consistent`: every edge node lists every shard, sorted by id,
//   with an explicit server `id` derived from the shard id (haproxyServerId). HAProxy places a server on its hash
//   ring at full_hash(id * 4096 + i), so the ring depends on the ids and weights only: every node agrees on a new
//   room's shard before any stick table sync, and adding or removing a shard moves no other shard's points.
//   No hash-balance-factor: bounded loads depend on each node's own connection counts, and nodes would disagree.
// - The room is pinned in `stick-table type string ... srvkey name peers ...` (`stick match` + `stick store-request`
//   on the key): the pin names the server (the shard id), not its position, and the peers section shares it with
//   every edge node of every region (and, on a reload, with the new process through the local peer).
//
// Health, drain and failover:
// - `option httpchk` GET /about/health with the site's Host (nginx passes jicofo's status through) plus the shard's
//   agent check (shard-agent.ts: `up ready`, `up drain`, `down`). A shard the check or the agent marks down loses
//   its rooms: a pin naming a down server is ignored, the room is hashed over the remaining ring, and the new shard
//   is stored in the pin. A request whose connection is refused before the check has noticed is retried after
//   HAProxy's 1 s turn-around and, with `option redispatch`, sent elsewhere as soon as the shard is marked down (or
//   on the last of 3 retries): served elsewhere within inter × fall + 1 s. Redispatching on every retry instead
//   would let a shard's brief nginx restart split its rooms between two shards.
// - The frontend's monitor URI (the NLB's health check) fails when no shard can take a new room, so that the load
//   balancer (and a Route 53 record that evaluates its health) avoids an edge node that reaches no shard.
// - A shard in state `drain` is rendered with `weight 0`. The configuration file has no keyword for the DRAIN
//   administrative state (only the runtime API, the agent and the server-state file set it), and `disabled` would be
//   maintenance, which moves the rooms. Weight 0 leaves the server out of the hash ring (no new room) while a pin
//   still reaches it as long as it is up. The agent's `up ready` cancels only the agent's own drain, never the
//   weight, so the stack's drain cannot be undone from the shard; the agent's `up drain` drains at run time.
// - A room of a healthy shard never moves: its pin keeps it there, and consistent hashing leaves the hash of every
//   other room alone when a shard leaves or joins the ring.
//
// HAProxy 2.6 facts this relies on (checked with the real binary in test/integration/haproxy-edge.test.ts):
// - `localpeer` in the global section names this node in the peers section, so no `-L` is needed; a peers section
//   without the local peer is dropped with a warning, which `haproxy -c -dW` turns into a failure.
// - The server-state file must exist and start with its version line: a missing or empty file is a warning. The
//   edge node writes `1` to it before the first start and dumps `show servers state` into it before each reload.
// - `option httplog` without a log target is a warning: logging is rendered only when HaproxyLocal.log is set.
// - On a reload (`-sf`), the old process hands its stick table to the new one through the local peer only if it
//   has run for more than 5 s (its own start-up resync wait); otherwise the new process learns the table from the
//   other edge nodes. Rapid successive reloads of a lone node lose its pins.
// - The server-state file does not undo a configuration change: a shard rendered with weight 0 stays at 0 although
//   the state dumped before the reload says 100. The runtime API shows it as UP with weight 0 (the agent's drain
//   shows as `DRAIN (agent)`).
// - `maxconn` needs about twice as many file descriptors: HAProxy started as root raises its own limit; started
//   unprivileged (tests) it refuses to start above the hard limit.

import { parseAddress } from "../ipv4";
import { PORTS } from "../ports";
import type { EdgeRenderValues, EdgeShard } from "./edge-values";

/** The request header set (replacing any the client sent) to the edge node's region. */
export const PROXY_REGION_HEADER = "X-Proxy-Region";
/** The load balancer's health check path, answered by HAProxy itself on the frontend port. */
export const EDGE_HEALTH_URI = "/haproxy-health";
/** The shard's health endpoint (nginx → jicofo). */
export const SHARD_HEALTH_URI = "/about/health";
/** The stats page's port on the node's private address. */
export const EDGE_STATS_PORT = 8404;
/** Section names; the stick table is the backend's, named after it. */
export const HAPROXY_NAMES = {
  frontend: "jitsi_edge",
  backend: "jitsi_shards",
  peers: "jitsi_edge_peers",
  stats: "stats",
  roomVariable: "txn.jitsi_room",
} as const;

/** Where things live on an edge node (Debian 12's haproxy package). */
export const HAPROXY_PATHS = {
  config: "/etc/haproxy/haproxy.cfg",
  runtimeSocket: "/run/haproxy/admin.sock",
  serverStateFile: "/var/lib/haproxy/server-state",
  chroot: "/var/lib/haproxy",
} as const;

/** Weight of a shard that takes new rooms: 100 × 16 = 1600 points on the hash ring, an even spread of rooms. */
export const READY_WEIGHT = 100;

/** The stick table: room names up to 128 bytes (longer ones share a pin by prefix, harmlessly). */
export const STICK_TABLE = {
  keyLength: 128,
  size: "1m",
  // Longer than any conference: a pin is refreshed by every request of its room, but a room whose participants all
  // hold websockets makes no request; an expired pin of a drained shard would send the next participant elsewhere.
  expire: "24h",
} as const;

/** Everything about the node's sockets, files and timings that a test must be able to point elsewhere. */
export interface HaproxyLocal {
  /** The frontend the load balancer forwards to: plain HTTP, TLS ends at the NLB's listener. */
  readonly frontend: { readonly address: string; readonly port: number };
  /** nginx on every shard's signalling node. */
  readonly shardPort: number;
  /**
   * TLS to the shard, `ssl verify none`: the shard's certificate is self-signed and the hop runs over VPC peering.
   * Tests turn it off for plain stand-ins.
   */
  readonly shardTls: boolean;
  /** The shard's agent check (shard-agent.ts). */
  readonly agentPort: number;
  /** Per shard id, ports replacing shardPort and agentPort (tests run every stand-in on one loopback address). */
  readonly shardPorts?: Readonly<Record<string, { readonly http: number; readonly agent: number }>>;
  /** HAProxy peers (the shared stick table). */
  readonly peersPort: number;
  /** Per peer name, a port replacing peersPort (tests run several peers on one loopback address). */
  readonly peerPorts?: Readonly<Record<string, number>>;
  /** The stats page; address undefined: the node's private address (values.nodeAddress), never the frontend's. */
  readonly stats: { readonly address?: string; readonly port: number };
  /** Health check (`inter`, `fall`, `rise`) and agent check interval. */
  readonly checks: {
    readonly interMs: number;
    readonly fall: number;
    readonly rise: number;
    readonly agentInterMs: number;
  };
  /** The runtime API (admin level, owner only): `show servers state` before a reload, `show table`. */
  readonly runtimeSocket: string;
  /** Server states (down, drain) carried over a reload. */
  readonly serverStateFile: string;
  /** User, group and chroot HAProxy switches to after binding; undefined: it keeps the user it was started as. */
  readonly privileges?: { readonly user: string; readonly group: string; readonly chroot: string };
  /** Syslog target (e.g. /dev/log); undefined: no logging. */
  readonly log?: string;
  /** Global and frontend connection limit (each websocket holds two). */
  readonly maxConnections: number;
}

/** Where things are on a real edge node, and the production timings. */
export function productionHaproxyLocal(): HaproxyLocal {
  return {
    frontend: { address: "0.0.0.0", port: PORTS.edgeHttp.port },
    shardPort: PORTS.shardHttps.port,
    shardTls: true,
    agentPort: PORTS.shardAgentCheck.port,
    peersPort: PORTS.haproxyPeers.port,
    stats: { port: EDGE_STATS_PORT },
    checks: { interMs: 2000, fall: 3, rise: 2, agentInterMs: 2000 },
    runtimeSocket: HAPROXY_PATHS.runtimeSocket,
    serverStateFile: HAPROXY_PATHS.serverStateFile,
    privileges: { user: "haproxy", group: "haproxy", chroot: HAPROXY_PATHS.chroot },
    log: "/dev/log",
    maxConnections: 100_000,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values: checks and choices

const ID = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const PATH = /^\/[A-Za-z0-9._/-]*$/;
const NAME = /^[a-z_][a-z0-9_-]*$/;

/** Largest server id: HAProxy computes ring points as id * 4096 + i in 32 bits, so ids must stay below 2^20. */
export const MAX_SERVER_ID = 2 ** 20 - 1;

function fail(what: string, value: unknown, rule: string): never {
  throw new Error(`haproxy config: ${what} ${JSON.stringify(value)} ${rule}`);
}

function checkId(what: string, value: string): string {
  if (typeof value !== "string" || !ID.test(value)) fail(what, value, `must match ${ID}`);
  return value;
}

function checkIpv4(what: string, value: string): string {
  if (typeof value !== "string" || parseAddress(value) === undefined) fail(what, value, "must be an IPv4 address");
  return value;
}

function checkPort(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) fail(what, value, "must be a port (1-65535)");
  return value;
}

function checkPath(what: string, value: string): string {
  if (typeof value !== "string" || !PATH.test(value) || value.split("/").includes(".."))
    fail(what, value, `must be an absolute path matching ${PATH}`);
  return value;
}

function checkCount(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) fail(what, value, `must be an integer in ${min}-${max}`);
  return value;
}

/** A duration in HAProxy's time format, in the largest unit that divides it. */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The server id of a shard: FNV-1a (32 bits) of the shard id, folded into 1..MAX_SERVER_ID. It depends on the shard
 * id alone, so a shard keeps its place on the hash ring whatever other shards come and go.
 */
export function haproxyServerId(shardId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(shardId, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return 1 + (hash % MAX_SERVER_ID);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface ServerValues {
  readonly name: string;
  readonly id: number;
  readonly endpoint: string;
  readonly agentPort: number;
  readonly weight: number;
  readonly state: EdgeShard["state"];
}

interface ConfigValues {
  readonly nodeName: string;
  readonly region: string;
  readonly domain: string;
  readonly frontend: string;
  readonly stats: string;
  readonly peers: readonly { readonly name: string; readonly endpoint: string }[];
  readonly servers: readonly ServerValues[];
  readonly tls: boolean;
  readonly agentPort: number;
  readonly inter: string;
  readonly fall: number;
  readonly rise: number;
  readonly agentInter: string;
  readonly runtimeSocket: string;
  readonly serverStateFile: string;
  readonly privileges?: { readonly user: string; readonly group: string; readonly chroot: string };
  readonly log?: string;
  readonly maxConnections: number;
}

function overrideKeys(what: string, overrides: object | undefined, known: readonly string[]): void {
  for (const key of Object.keys(overrides ?? {})) if (!known.includes(key)) fail(what, key, "names no such entry");
}

function configValues(values: EdgeRenderValues, local: HaproxyLocal): ConfigValues {
  const region = checkId("region", values.region);
  const nodeName = checkId("nodeName", values.nodeName);
  if (typeof values.domain !== "string" || !HOSTNAME.test(values.domain))
    fail("domain", values.domain, "must be a DNS hostname");

  const peerNames = values.peers.map((p) => checkId("peer name", p.name));
  if (new Set(peerNames).size !== peerNames.length) fail("peers", peerNames, "must have unique names");
  if (!peerNames.includes(nodeName)) fail("nodeName", nodeName, "must be one of the peers (HAProxy's localpeer)");
  overrideKeys("peerPorts", local.peerPorts, peerNames);
  const peers = [...values.peers]
    .sort((a, b) => byCodeUnits(a.name, b.name))
    .map((p) => ({
      name: p.name,
      endpoint: `${checkIpv4(`peer ${p.name} address`, p.address)}:${checkPort(
        `peer ${p.name} port`,
        local.peerPorts?.[p.name] ?? local.peersPort,
      )}`,
    }));
  if (new Set(peers.map((p) => p.endpoint)).size !== peers.length) fail("peers", peers, "must have unique endpoints");

  if (values.shards.length === 0) fail("shards", values.shards, "must not be empty: there is nothing to route to");
  const shardIds = values.shards.map((s) => checkId("shard id", s.id));
  if (new Set(shardIds).size !== shardIds.length) fail("shards", shardIds, "must have unique ids");
  overrideKeys("shardPorts", local.shardPorts, shardIds);
  const servers = [...values.shards]
    .sort((a, b) => byCodeUnits(a.id, b.id))
    .map((s): ServerValues => {
      if (s.state !== "ready" && s.state !== "drain") fail(`shard ${s.id} state`, s.state, "must be ready or drain");
      const ports = local.shardPorts?.[s.id];
      return {
        name: s.id,
        id: haproxyServerId(s.id),
        endpoint: `${checkIpv4(`shard ${s.id} address`, s.address)}:${checkPort(
          `shard ${s.id} port`,
          ports?.http ?? local.shardPort,
        )}`,
        agentPort: checkPort(`shard ${s.id} agent port`, ports?.agent ?? local.agentPort),
        weight: s.state === "ready" ? READY_WEIGHT : 0,
        state: s.state,
      };
    });
  if (new Set(servers.map((s) => s.endpoint)).size !== servers.length)
    fail(
      "shards",
      servers.map((s) => s.endpoint),
      "must have unique endpoints",
    );
  const byId = new Map<number, string>();
  for (const server of servers) {
    const other = byId.get(server.id);
    if (other !== undefined)
      fail("shard id", server.name, `has the same HAProxy server id (${server.id}) as ${other}: rename one of them`);
    byId.set(server.id, server.name);
  }

  const frontend = `${checkIpv4("frontend address", local.frontend.address)}:${checkPort("frontend port", local.frontend.port)}`;
  const stats = `${checkIpv4("stats address", local.stats.address ?? values.nodeAddress)}:${checkPort("stats port", local.stats.port)}`;
  if (stats === frontend) fail("stats", stats, "must not be the frontend's address and port");
  if (local.privileges) {
    if (!NAME.test(local.privileges.user)) fail("user", local.privileges.user, `must match ${NAME}`);
    if (!NAME.test(local.privileges.group)) fail("group", local.privileges.group, `must match ${NAME}`);
    checkPath("chroot", local.privileges.chroot);
  }
  return {
    nodeName,
    region,
    domain: values.domain.toLowerCase(),
    frontend,
    stats,
    peers,
    servers,
    tls: local.shardTls,
    agentPort: checkPort("agentPort", local.agentPort),
    inter: duration(checkCount("checks.interMs", local.checks.interMs, 10, 600_000)),
    fall: checkCount("checks.fall", local.checks.fall, 1, 100),
    rise: checkCount("checks.rise", local.checks.rise, 1, 100),
    agentInter: duration(checkCount("checks.agentInterMs", local.checks.agentInterMs, 10, 600_000)),
    runtimeSocket: checkPath("runtimeSocket", local.runtimeSocket),
    serverStateFile: checkPath("serverStateFile", local.serverStateFile),
    privileges: local.privileges,
    log: local.log === undefined ? undefined : checkPath("log", local.log),
    maxConnections: checkCount("maxConnections", local.maxConnections, 100, 10_000_000),
  };
}

/** haproxy.cfg of one edge node. */
export function renderHaproxyConfig(values: EdgeRenderValues, local?: HaproxyLocal): string {
  return configTemplate(configValues(values, local ?? productionHaproxyLocal()));
}

// ---------------------------------------------------------------------------------------------------------------
// Template: interpolation only

/** The web app's static trees (nginx.ts) and /about/: never a room. */
const APP_TREES = [
  "/libs/",
  "/css/",
  "/static/",
  "/images/",
  "/fonts/",
  "/lang/",
  "/sounds/",
  "/.well-known/",
  "/about/",
];
/** Extensions of the web app's files (/config.js, /favicon.ico, /manifest.json, ...): never a room. */
const APP_FILE_EXTENSIONS = [
  ...["js", "mjs", "map", "css", "html", "htm", "json", "webmanifest", "txt", "xml", "wasm", "tflite"],
  ...["ico", "png", "svg", "jpg", "jpeg", "gif", "webp", "woff", "woff2", "ttf", "otf", "eot"],
  ...["mp3", "ogg", "opus", "wav"],
].map((e) => `.${e}`);
/** Endpoints that carry their room in ?room=; without it they are not a room named after the endpoint. */
const ROOM_PARAM_ENDPOINTS = ["/http-bind", "/xmpp-websocket"];

const I = "    ";

function configTemplate(v: ConfigValues): string {
  const room = HAPROXY_NAMES.roomVariable;
  const logGlobal = v.log === undefined ? "" : `${I}log ${v.log} local0 info\n`;
  const logDefaults = v.log === undefined ? "" : `${I}log global\n`;
  const logFrontend = v.log === undefined ? "" : `${I}option httplog\n${I}option dontlognull\n`;
  const logStats = v.log === undefined ? "" : `${I}no log\n`;
  const privileges = v.privileges
    ? `${I}user ${v.privileges.user}\n${I}group ${v.privileges.group}\n${I}chroot ${v.privileges.chroot}\n`
    : "";
  const tls = v.tls ? ` ssl verify none sni str(${v.domain}) check-sni ${v.domain}` : "";
  const peerLines = v.peers.map((p) => `${I}peer ${p.name} ${p.endpoint}`).join("\n");
  const serverLines = v.servers
    .map((s) => {
      const agent = s.agentPort === v.agentPort ? "" : ` agent-port ${s.agentPort}`;
      const comment = s.state === "drain" ? "  # drain: no new rooms, keeps its pinned rooms" : "";
      return `${I}server ${s.name} ${s.endpoint} id ${s.id} weight ${s.weight}${agent}${comment}`;
    })
    .join("\n");
  return `# Rendered by the jitsi-multiregion-aws stack for edge node ${v.nodeName} (${v.region}); the next deployment
# overwrites it. See components/render/haproxy.ts. Check with \`haproxy -c -dW -f <file>\` before every reload.

global
${logGlobal}${privileges}${I}# This node's name in the peers section (no -L needed).
${I}localpeer ${v.nodeName}
${I}maxconn ${v.maxConnections}
${I}stats socket ${v.runtimeSocket} mode 600 level admin
${I}stats timeout 30s
${I}# Down and drained servers survive a reload: dump \`show servers state\` here first (the file must exist).
${I}server-state-file ${v.serverStateFile}
${I}ssl-default-server-options ssl-min-ver TLSv1.2

defaults
${I}mode http
${logDefaults}${I}timeout connect 10s
${I}timeout client 3m
${I}timeout server 3m
${I}# websockets (/xmpp-websocket) once upgraded
${I}timeout tunnel 1h
${I}# a connection one side has closed (a vanished websocket client) does not wait for the tunnel timeout
${I}timeout client-fin 30s
${I}timeout server-fin 30s
${I}timeout http-request 10s
${I}retries 3
${I}# A request whose shard refuses it goes to another shard on the last retry (at once if the shard is marked down).
${I}option redispatch
${I}load-server-state-from-file global

# The stick table of rooms, shared by every edge node of every region.
peers ${HAPROXY_NAMES.peers}
${peerLines}

frontend ${HAPROXY_NAMES.frontend}
${I}bind ${v.frontend}
${I}maxconn ${v.maxConnections}
${logFrontend}${I}# The load balancer's health check: unhealthy when no shard can take new rooms.
${I}monitor-uri ${EDGE_HEALTH_URI}
${I}monitor fail if { nbsrv(${HAPROXY_NAMES.backend}) lt 1 }

${I}# The user's region as prosody and jicofo see it; replaces any value the client sent.
${I}http-request set-header ${PROXY_REGION_HEADER} ${v.region}

${I}# The room (${room}): ?room= when present, else the last path segment unless the path is the app's own.
${I}acl jitsi_room_param url_param(room) -m len gt 0
${I}acl jitsi_app_path path_end /
${I}acl jitsi_app_path path_beg ${APP_TREES.join(" ")}
${I}acl jitsi_app_path path_end -i ${APP_FILE_EXTENSIONS.join(" ")}
${I}acl jitsi_app_path path_end ${ROOM_PARAM_ENDPOINTS.join(" ")}
${I}http-request set-var(${room}) url_param(room),url_dec,lower if jitsi_room_param
${I}http-request set-var(${room}) path,field(-1,/),url_dec,lower if !jitsi_room_param !jitsi_app_path
${I}default_backend ${HAPROXY_NAMES.backend}

backend ${HAPROXY_NAMES.backend}
${I}# New rooms: consistent hash of the room over the shards that take new rooms (weight > 0, up, not drained).
${I}# No room: round robin over the same shards, nothing pinned.
${I}balance hash var(${room})
${I}hash-type consistent sdbm avalanche
${I}# Pinned rooms: a pin naming a server that is up wins, drained or not; a pin naming a down server is ignored and
${I}# overwritten with the shard that serves the request.
${I}stick-table type string len ${STICK_TABLE.keyLength} size ${STICK_TABLE.size} expire ${STICK_TABLE.expire} srvkey name peers ${HAPROXY_NAMES.peers}
${I}stick match var(${room})
${I}stick store-request var(${room})
${I}option forwardfor
${I}option httpchk
${I}http-check send meth GET uri ${SHARD_HEALTH_URI} ver HTTP/1.1 hdr Host ${v.domain}
${I}http-check expect status 200
${I}default-server check inter ${v.inter} fall ${v.fall} rise ${v.rise} agent-check agent-inter ${v.agentInter} agent-port ${v.agentPort}${tls}
${I}# Every shard, sorted by id, with an id derived from its name: the same hash ring on every edge node.
${serverLines}

# Stats, on the node's private address only.
frontend ${HAPROXY_NAMES.stats}
${I}bind ${v.stats}
${logStats}${I}stats enable
${I}stats uri /
${I}stats refresh 10s
`;
}
