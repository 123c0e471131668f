// The edge node's haproxy.cfg, checked and run by the real HAProxy (Debian's haproxy 2.6, /usr/sbin/haproxy) on
// loopback: routing by room, stickiness shared between peers, drain (agent and configuration), failover.
//
// The shards' signalling nodes cannot run here; small node servers stand in for the parts of them HAProxy talks to:
// - nginx on 443 (StandInShard): answers any page with its own name (header X-Shard and the body), as nginx answers
//   a room page or a static file; answers GET /about/health with the status the test sets (nginx passes jicofo's
//   200 or 500 through); accepts the websocket upgrade on /xmpp-websocket (101 with a valid Sec-WebSocket-Accept,
//   as nginx does by passing it to prosody); and records the X-Proxy-Region of every request, which is what nginx
//   reads. They speak plain HTTP: HAProxy's `ssl verify none` towards the shard is a transport option of the server
//   line, not part of routing, so the tests switch it off (HaproxyLocal.shardTls) and one test runs it over TLS.
// - the agent check on 6060 (StandInAgent): a TCP server that answers every connection with one line and closes,
//   like the systemd socket that runs shard-agent.ts's script: `up ready` or `up drain` as the test sets.
// Each stand-in has its own port on 127.0.0.1 (HaproxyLocal.shardPorts); HAProxy runs as `nobody` when the test runs
// as root. If haproxy or openssl is missing, every test here fails (never skips): scripts/install-test-deps.sh
// installs them.

import { chownTree, freePort, listen, requireBinary, selfSignedCertificate, unprivilegedIds } from "../daemons";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EdgePeer, EdgeRenderValues, EdgeShard } from "../../components/render/edge-values";
import {
  EDGE_HEALTH_URI,
  HAPROXY_NAMES,
  haproxyServerId,
  productionHaproxyLocal,
  renderHaproxyConfig,
  type HaproxyLocal,
} from "../../components/render/haproxy";

const HAPROXY = "/usr/sbin/haproxy";
const DOMAIN = "meet.test.example";
const REGION = "eu-west-1";
const LOOPBACK = "127.0.0.1";
const REQUEST_TIMEOUT_MS = 5000;
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Short check timings (production: inter 2 s, fall 3, rise 2, agent-inter 2 s). */
const CHECKS = { interMs: 200, fall: 2, rise: 1, agentInterMs: 200 } as const;
/** The failover bound: the health check's detection time plus HAProxy's one-second retry turn-around. */
const FAILOVER_BOUND_MS = CHECKS.interMs * CHECKS.fall + 1000;
/**
 * HAProxy 2.6 hands its stick table to the new process on a reload only once its own start-up resync wait (5 s,
 * PEER_RESYNC_TIMEOUT) is over: a process reloaded sooner exits without teaching the new one (seen with this
 * HAProxy; on a real node the other edge nodes then teach the new process the whole table). The reload test waits that long.
 */
const RELOAD_AFTER_MS = 5500;
const SHARD_IDS = ["eu-west-1-a", "eu-west-1-b", "us-east-1-a"] as const;
const BACKEND = HAPROXY_NAMES.backend;

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value (bounded); throws with `what` and the last value seen otherwise. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${String(last)})`);
    await sleep(25);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Stand-ins

interface Answer {
  readonly status: number;
  /** The shard that answered (X-Shard header; checked equal to the body when there is one). */
  readonly shard: string | undefined;
  readonly body: string;
}

/** Stand-in for a signalling node's nginx (see the top of the file). */
class StandInShard {
  health = 200;
  /** X-Proxy-Region of every request other than health checks, as received (repeated headers joined). */
  readonly regions: (string | undefined)[] = [];
  port = 0;
  private server: http.Server | https.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly name: string,
    tls?: { key: string; cert: string },
  ) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      req.resume();
      if (req.url === "/about/health") {
        res.writeHead(this.health, { "content-type": "application/json" });
        res.end(this.health === 200 ? "{}" : '{"error":"stand-in says unhealthy"}');
        return;
      }
      this.record(req);
      res.writeHead(200, { "content-type": "text/plain", "x-shard": this.name });
      res.end(this.name);
    };
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.server.on("connection", (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket) => {
      socket.on("error", () => undefined);
      // Like prosody: the websocket ends when the client's side ends (node keeps upgraded sockets half-open).
      socket.on("end", () => socket.end());
      this.record(req);
      if (!req.url?.startsWith("/xmpp-websocket")) {
        socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const accept = createHash("sha1")
        .update(String(req.headers["sec-websocket-key"]) + WS_GUID)
        .digest("base64");
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: xmpp\r\nX-Shard: ${this.name}\r\n\r\n`,
      );
    });
  }

  private record(req: http.IncomingMessage): void {
    const region = req.headersDistinct["x-proxy-region"];
    this.regions.push(region === undefined ? undefined : region.join(", "));
  }

  async start(port = 0): Promise<number> {
    this.port = await listen(this.server, port);
    return this.port;
  }

  /** Closes the listener and every open connection (the shard's nginx dies). */
  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Stand-in for the shard's agent check socket: one line per connection, then close. */
class StandInAgent {
  reply = "up ready";
  port = 0;
  private readonly server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.end(`${this.reply}\n`);
  });

  async start(): Promise<number> {
    this.port = await listen(this.server);
    return this.port;
  }

  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Clients

function get(
  port: number,
  path: string,
  headers: http.OutgoingHttpHeaders = {},
  agent?: http.Agent,
  method = "GET",
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: LOOPBACK,
        port,
        path,
        method,
        headers: { host: DOMAIN, ...headers },
        agent: agent ?? false,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const shard = res.headers["x-shard"] as string | undefined;
          if (shard !== undefined && body !== shard) reject(new Error(`${path}: X-Shard ${shard} but body ${body}`));
          else resolve({ status: res.statusCode ?? 0, shard, body });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** A websocket opening handshake; the answer's shard comes from the 101's X-Shard header. */
function upgrade(port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  const key = randomBytes(16).toString("base64");
  const expected = createHash("sha1")
    .update(key + WS_GUID)
    .digest("base64");
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: LOOPBACK,
      port,
      path,
      headers: {
        host: DOMAIN,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": key,
        "sec-websocket-protocol": "xmpp",
        ...headers,
      },
      agent: false,
      timeout: REQUEST_TIMEOUT_MS,
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      if (res.headers["sec-websocket-accept"] !== expected) reject(new Error(`${path}: wrong Sec-WebSocket-Accept`));
      else resolve({ status: res.statusCode ?? 0, shard: res.headers["x-shard"] as string | undefined, body: "" });
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, shard: undefined, body: "" });
    });
    req.on("timeout", () => req.destroy(new Error(`upgrade ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** One command on HAProxy's runtime API (unix socket). */
function runtime(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let out = "";
    const timer = setTimeout(() => socket.destroy(new Error(`runtime ${command}: no answer within 2 s`)), 2000);
    socket.on("connect", () => socket.end(`${command}\n`));
    socket.on("data", (d: Buffer) => (out += d.toString()));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

interface ServerStat {
  readonly status: string;
  readonly weight: number;
  readonly checkStatus: string;
  readonly agentStatus: string;
}

/** `show stat` of the shards backend, by server name. */
async function serverStats(socketPath: string): Promise<Map<string, ServerStat>> {
  const lines = (await runtime(socketPath, "show stat")).trim().split("\n");
  const header = lines[0].replace(/^# /, "").split(",");
  const col = (name: string) => header.indexOf(name);
  const stats = new Map<string, ServerStat>();
  for (const line of lines.slice(1)) {
    const f = line.split(",");
    if (f[col("pxname")] !== BACKEND || f[col("svname")] === "BACKEND") continue;
    stats.set(f[col("svname")], {
      status: f[col("status")],
      weight: Number(f[col("weight")]),
      checkStatus: f[col("check_status")],
      agentStatus: f[col("agent_status")],
    });
  }
  return stats;
}

/** The stick table: room key → server name. */
async function stickTable(socketPath: string): Promise<Map<string, string>> {
  const table = new Map<string, string>();
  for (const line of (await runtime(socketPath, `show table ${BACKEND}`)).split("\n")) {
    const m = /\bkey=(\S+) .*\bserver_key=(\S+)/.exec(line);
    if (m) table.set(m[1], m[2]);
  }
  return table;
}

// ---------------------------------------------------------------------------------------------------------------
// HAProxy processes

const ids = unprivilegedIds("haproxy");
const work = mkdtempSync(join(tmpdir(), "haproxy-edge-"));

/** `haproxy -c -dW -f cfg` (warnings are failures), as the user HAProxy runs as. */
function haproxyCheck(cfg: string): { status: number | null; output: string } {
  // cwd: the test's own folder: an unprivileged HAProxy must be able to return to where it started
  const check = spawnSync(HAPROXY, ["-c", "-dW", "-f", cfg], {
    encoding: "utf8",
    timeout: 10_000,
    cwd: work,
    ...(ids ?? {}),
  });
  return { status: check.status, output: `${check.stdout}${check.stderr}` };
}

class Haproxy {
  child: ChildProcess | undefined;
  output = "";
  startedAt = 0;

  constructor(
    readonly label: string,
    readonly cfg: string,
    readonly local: HaproxyLocal,
  ) {}

  get socket(): string {
    return this.local.runtimeSocket;
  }

  get port(): number {
    return this.local.frontend.port;
  }

  /** Starts HAProxy in the foreground; resolves once every shard server has passed its checks. */
  async start(extraArgs: string[] = [], expectUp: readonly string[] = SHARD_IDS): Promise<void> {
    const child = spawn(HAPROXY, ["-db", "-f", this.cfg, ...extraArgs], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: work,
      ...(ids ?? {}),
    });
    this.child = child;
    this.startedAt = Date.now();
    child.stdout?.on("data", (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.output += d.toString()));
    let exited = false;
    child.once("exit", () => (exited = true));
    await waitFor(
      `${this.label}: HAProxy up with ${expectUp.join(", ")} passing checks`,
      async () => {
        if (exited) throw new Error(`${this.label}: haproxy exited:\n${this.output}`);
        const stats = await serverStats(this.socket);
        return expectUp.every((s) => stats.get(s)?.checkStatus === "L7OK" && /^(UP|DRAIN)/.test(stats.get(s)!.status))
          ? true
          : undefined;
      },
      5000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.output}`);
    });
  }

  /** Stops this process by its own pid (SIGTERM, SIGKILL after 3 s). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }

  /** Resolves when the process has exited by itself (bounded). */
  exited(timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.label} did not exit within ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** Every region of the largest test config: 20 regions, 2 shards each; 4 of them hold 2 edge nodes each. */
function largestConfig(): { shards: EdgeShard[]; peers: EdgePeer[]; regions: string[] } {
  const regions = [
    ...["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1", "eu-west-2"],
    ...["eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2"],
    ...["ap-southeast-1", "ap-southeast-2", "ap-east-1", "me-south-1", "af-south-1"],
  ];
  const shards = regions
    .flatMap((region, i) =>
      ["s01", "s02"].map((name, j) => ({
        id: `${region}-${name}`,
        address: `10.${i}.${16 + j}.10`,
        state: (i + j) % 9 === 0 ? ("drain" as const) : ("ready" as const),
      })),
    )
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const peers = regions
    .flatMap((region, i) =>
      i % 5 === 0 ? [0, 1].map((n) => ({ name: `${region}-edge-${n}`, address: `10.${i}.32.${10 + n}` })) : [],
    )
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { shards, peers, regions };
}

// ---------------------------------------------------------------------------------------------------------------

describe("edge haproxy.cfg", () => {
  beforeAll(() => {
    requireBinary(HAPROXY, "haproxy (Debian's haproxy 2.6)");
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  describe("rendered for the largest test config (40 shards, 8 edge nodes in 4 regions)", () => {
    const { shards, peers } = largestConfig();
    const stateFile = join(work, "largest-server-state");
    const render = (peer: EdgePeer) =>
      renderHaproxyConfig(
        {
          domain: DOMAIN,
          region: peer.name.replace(/-edge-\d+$/, ""),
          nodeName: peer.name,
          nodeAddress: peer.address,
          peers,
          shards,
        },
        // Production settings; only the server-state file is one this machine has (the edge node seeds its own).
        { ...productionHaproxyLocal(), serverStateFile: stateFile },
      );

    it("has 40 shards, 8 peers in 4 regions and passes `haproxy -c -dW` on every node", () => {
      expect(shards).toHaveLength(40);
      expect(peers).toHaveLength(8);
      expect(new Set(peers.map((p) => p.name.replace(/-edge-\d+$/, ""))).size).toBe(4);
      writeFileSync(stateFile, "1\n");
      if (ids) chownTree(work, ids);
      for (const peer of peers) {
        const cfg = join(work, `${peer.name}.cfg`);
        writeFileSync(cfg, render(peer));
        if (ids) chownTree(work, ids);
        const check = haproxyCheck(cfg);
        expect({ node: peer.name, output: check.output }).toEqual({
          node: peer.name,
          output: expect.stringContaining("Configuration file is valid"),
        });
        expect(check.status).toBe(0);
      }
    });

    it("lists the same servers (name, id, weight) in the same order on every node, and its own stats address", () => {
      const serverLines = (cfg: string) => cfg.split("\n").filter((l) => /^\s+server /.test(l));
      const first = serverLines(render(peers[0]));
      expect(first).toHaveLength(40);
      for (const peer of peers) {
        const cfg = render(peer);
        expect(serverLines(cfg)).toEqual(first);
        expect(cfg).toContain(`\n    localpeer ${peer.name}\n`);
        const statsBind = /^frontend stats\n\s+bind (\S+)/m.exec(cfg)?.[1];
        expect(statsBind).toBe(`${peer.address}:8404`);
        expect(cfg).toMatch(/^frontend jitsi_edge\n\s+bind 0\.0\.0\.0:80\n/m);
        expect(cfg.match(/^\s+stats enable$/gm)).toHaveLength(1);
      }
      for (const shard of shards) {
        const line = first.find((l) => l.includes(` ${shard.id} `));
        expect(line).toContain(`${shard.address}:443 id ${haproxyServerId(shard.id)} `);
        expect(line).toContain(shard.state === "drain" ? "weight 0" : "weight 100");
      }
      expect(first.join("\n")).not.toContain("agent-port"); // production: the default-server's 6060
    });

    it("fails with a clear error when the node is not one of the peers, or ids repeat", () => {
      const values: EdgeRenderValues = {
        domain: DOMAIN,
        region: "us-east-1",
        nodeName: "us-east-1-edge-9",
        nodeAddress: "10.0.32.10",
        peers,
        shards,
      };
      expect(() => renderHaproxyConfig(values)).toThrow(/nodeName "us-east-1-edge-9" must be one of the peers/);
      expect(() => renderHaproxyConfig({ ...values, nodeName: peers[0].name, shards: [...shards, shards[0]] })).toThrow(
        /must have unique ids/,
      );
    });
  });

  describe("live on loopback with 3 stand-in shards", () => {
    const shards = new Map<string, StandInShard>();
    const agents = new Map<string, StandInAgent>();
    const processes: Haproxy[] = [];
    /** Room (lower-case) → shard, as the routing test found it through the main node. */
    const placement = new Map<string, string>();
    let main: Haproxy;
    let reloadBefore: Haproxy;
    let nameCounter = 0;

    /** Distinct, mixed-case room names that no earlier test used. */
    const freshRooms = (prefix: string, count: number) =>
      Array.from({ length: count }, () => `${prefix}-Room-${String(nameCounter++).padStart(5, "0")}-Xy`);

    const values = (nodeName: string, peers: readonly string[], drained: readonly string[] = []): EdgeRenderValues => ({
      domain: DOMAIN,
      region: REGION,
      nodeName,
      nodeAddress: LOOPBACK,
      peers: peers.map((name) => ({ name, address: LOOPBACK })),
      shards: SHARD_IDS.map((id): EdgeShard => ({
        id,
        address: LOOPBACK,
        state: drained.includes(id) ? "drain" : "ready",
      })),
    });

    async function localFor(label: string, peerPorts: Record<string, number>): Promise<HaproxyLocal> {
      const stateFile = join(work, `${label}.state`);
      if (!existsSync(stateFile)) writeFileSync(stateFile, "1\n");
      return {
        ...productionHaproxyLocal(),
        frontend: { address: LOOPBACK, port: await freePort() },
        // Plain HTTP to the stand-ins: TLS is the server line's transport option, not routing (one test runs it).
        shardTls: false,
        shardPorts: Object.fromEntries(
          SHARD_IDS.map((id) => [id, { http: shards.get(id)!.port, agent: agents.get(id)!.port }]),
        ),
        peerPorts,
        stats: { address: LOOPBACK, port: await freePort() },
        checks: CHECKS,
        runtimeSocket: join(work, `${label}.sock`),
        serverStateFile: stateFile,
        privileges: undefined,
        log: undefined,
        maxConnections: 2000,
      };
    }

    /** Renders, checks (`haproxy -c -dW`) and returns a process ready to start. */
    function prepare(label: string, v: EdgeRenderValues, local: HaproxyLocal): Haproxy {
      const cfg = join(work, `${label}.cfg`);
      writeFileSync(cfg, renderHaproxyConfig(v, local));
      if (ids) chownTree(work, ids);
      const check = haproxyCheck(cfg);
      if (check.status !== 0) throw new Error(`haproxy -c -dW ${label} failed:\n${check.output}`);
      const proc = new Haproxy(label, cfg, local);
      processes.push(proc);
      return proc;
    }

    const lower = (room: string) => room.toLowerCase();
    const page = (port: number, room: string, headers?: http.OutgoingHttpHeaders) => get(port, `/${room}`, headers);
    const bosh = (port: number, room: string, headers?: http.OutgoingHttpHeaders) =>
      get(port, `/http-bind?room=${lower(room)}`, headers, undefined, "POST");
    const websocket = (port: number, room: string, headers?: http.OutgoingHttpHeaders) =>
      upgrade(port, `/xmpp-websocket?room=${room.toUpperCase()}`, headers);

    /** The shard of a room through the page, BOSH and websocket; throws unless all three agree and succeed. */
    async function shardOf(port: number, room: string, headers?: http.OutgoingHttpHeaders): Promise<string> {
      const answers = [
        await page(port, room, headers),
        await bosh(port, room, headers),
        await websocket(port, room, headers),
      ];
      const expected = [200, 200, 101];
      answers.forEach((a, i) => {
        if (a.status !== expected[i] || a.shard === undefined)
          throw new Error(`room ${room}: answer ${i} is ${a.status} from ${a.shard}`);
      });
      const found = new Set(answers.map((a) => a.shard));
      if (found.size !== 1) throw new Error(`room ${room} reached ${[...found].join(" and ")}`);
      return answers[0].shard!;
    }

    const count = (placed: readonly string[]) => {
      const counts = Object.fromEntries(SHARD_IDS.map((id) => [id, 0])) as Record<string, number>;
      for (const s of placed) counts[s]++;
      return counts;
    };

    beforeAll(async () => {
      for (const id of SHARD_IDS) {
        const shard = new StandInShard(id);
        const agent = new StandInAgent();
        shards.set(id, shard);
        agents.set(id, agent);
        await Promise.all([shard.start(), agent.start()]);
      }
      const peerPort = await freePort();
      main = prepare("edge-0", values("edge-0", ["edge-0"]), await localFor("edge-0", { "edge-0": peerPort }));
      // The node the reload test reloads starts now: see RELOAD_AFTER_MS.
      const reloadLocal = await localFor("reload", { "edge-reload": await freePort() });
      reloadBefore = prepare("reload-1", values("edge-reload", ["edge-reload"]), reloadLocal);
      await Promise.all([main.start(), reloadBefore.start()]);
    }, 20_000);

    afterAll(async () => {
      for (const proc of processes) await proc.stop();
      await Promise.all([...shards.values(), ...agents.values()].map((s) => s.stop()));
    }, 20_000);

    it("routes 1,000 rooms: page, BOSH and websocket of a room reach one shard; rooms spread; region is set", async () => {
      const rooms = freshRooms("Routing", 1000);
      const before = new Map([...shards].map(([id, s]) => [id, s.regions.length]));
      // Half of the requests carry a client-sent X-Proxy-Region (one or two of them): HAProxy must replace it.
      const placed = await mapLimit(rooms, 24, async (room) => {
        const i = Number(/-(\d+)-Xy$/.exec(room)![1]);
        const spoof =
          i % 4 === 0
            ? { "x-proxy-region": "us-east-1" }
            : i % 4 === 1
              ? { "x-proxy-region": ["mars-1", "us-east-1"] }
              : {};
        const shard = await shardOf(main.port, room, spoof);
        placement.set(lower(room), shard);
        return shard;
      });
      // Bound: consistent hashing gives each shard 1600 points on the ring (weight 100 × 16), so its share of the
      // ring is close to a third but never exactly (a few percent either way), and 1,000 rooms add sampling noise
      // (one standard deviation is about 1.5 points). Between 20% and 47% per shard tolerates any such split while
      // catching a broken key (every room on one shard) or a shard left out of the ring.
      const counts = count(placed);
      for (const id of SHARD_IDS) {
        expect(counts[id]).toBeGreaterThanOrEqual(200);
        expect(counts[id]).toBeLessThanOrEqual(470);
      }
      console.info(`rooms per shard (1,000 rooms): ${JSON.stringify(counts)}`);

      // Every request the shards saw in this test (3,000) carried exactly this node's region.
      let seen = 0;
      for (const [id, shard] of shards) {
        const regions = shard.regions.slice(before.get(id));
        seen += regions.length;
        expect(regions.filter((r) => r !== REGION)).toEqual([]);
      }
      expect(seen).toBe(3000);

      // The stick table holds exactly the rooms, lower-cased, each pinned to the shard that served it.
      const table = await stickTable(main.socket);
      expect(table.size).toBe(1000);
      for (const [room, shard] of placement) expect(table.get(room)).toBe(shard);
    }, 40_000);

    it("keeps routing a room to its shard on later requests, in any case, over one keep-alive connection", async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const sample = [...placement].slice(0, 60);
        for (const [room, shard] of sample) {
          const upper = await get(main.port, `/${room.toUpperCase()}`, {}, agent);
          const config = await get(main.port, `/config.js?room=${room}`, {}, agent);
          expect([upper.shard, config.shard]).toEqual([shard, shard]);
        }
      } finally {
        agent.destroy();
      }
    });

    it("balances requests without a room (/, /config.js, /libs/...) over the shards without pinning them", async () => {
      // Sequential requests: without a key HAProxy walks its hash ring (round robin over consistent hashing).
      const paths = ["/", "/config.js", "/libs/app.bundle.min.js", "/http-bind", "/images/x.png", "/Room/"];
      for (const path of paths) {
        const got: Answer[] = [];
        for (let i = 0; i < 30; i++) got.push(await get(main.port, path));
        expect({ path, statuses: got.map((a) => a.status) }).toEqual({ path, statuses: Array(30).fill(200) });
        expect({ path, shards: new Set(got.map((a) => a.shard)).size }).toEqual({ path, shards: 3 });
      }
      const table = await stickTable(main.socket);
      expect([...table.keys()].filter((k) => !placement.has(k))).toEqual([]);
    });

    it("answers the load balancer's health URI itself and serves stats only on the private address", async () => {
      const health = await get(main.port, EDGE_HEALTH_URI);
      expect(health.status).toBe(200);
      expect(health.shard).toBeUndefined();
      // The public frontend has no stats page: these paths are rooms or app paths like any other.
      for (const path of ["/haproxy?stats", "/stats"]) {
        const reply = await get(main.port, path);
        expect(SHARD_IDS).toContain(reply.shard);
      }
      const stats = await get(main.local.stats.port, "/");
      expect(stats.status).toBe(200);
      expect(stats.body).toContain("Statistics Report");
    });

    it("drains a shard whose agent answers `up drain`: its rooms stay, no new room goes there", async () => {
      const drained = SHARD_IDS[0];
      const mine = [...placement].filter(([, s]) => s === drained).map(([room]) => room);
      agents.get(drained)!.reply = "up drain";
      try {
        await waitFor(
          "agent drain seen",
          async () => ((await serverStats(main.socket)).get(drained)?.status.startsWith("DRAIN") ? true : undefined),
          3000,
        );
        const kept = await mapLimit(mine.slice(0, 150), 16, (room) => shardOf(main.port, room));
        expect(kept.filter((s) => s !== drained)).toEqual([]);
        const fresh = await mapLimit(freshRooms("AgentDrain", 200), 16, (room) => shardOf(main.port, room));
        const counts = count(fresh);
        expect(counts[drained]).toBe(0);
        expect(counts[SHARD_IDS[1]]).toBeGreaterThan(0);
        expect(counts[SHARD_IDS[2]]).toBeGreaterThan(0);
      } finally {
        agents.get(drained)!.reply = "up ready";
      }
      await waitFor(
        "agent ready seen",
        async () => ((await serverStats(main.socket)).get(drained)?.status === "UP" ? true : undefined),
        3000,
      );
    }, 20_000);

    it("drains a shard rendered with state drain across a reload: pins survive, no new room goes there", async () => {
      // What an edge node does when the registry drains a shard: render, `haproxy -c -dW`, dump the server states,
      // reload (the new process takes the stick table from the old one through its local peer).
      const drained = SHARD_IDS[1];
      const before = reloadBefore;
      const local = before.local;
      const rooms = freshRooms("Reload", 150);
      const pinned = new Map(
        await mapLimit(rooms, 16, async (room) => [lower(room), await shardOf(before.port, room)] as const),
      );
      const onDrained = [...pinned].filter(([, s]) => s === drained).map(([r]) => r);
      expect(onDrained.length).toBeGreaterThan(20);

      await sleep(before.startedAt + RELOAD_AFTER_MS - Date.now());
      writeFileSync(local.serverStateFile, await runtime(before.socket, "show servers state"));
      if (ids) chownTree(work, ids);
      // Its own runtime socket, so that nothing here talks to the old process by mistake.
      const after = prepare("reload-2", values("edge-reload", ["edge-reload"], [drained]), {
        ...local,
        runtimeSocket: join(work, "reload-2.sock"),
      });
      await after.start(["-sf", String(before.child!.pid)]);
      await before.exited(5000);
      const table = await waitFor(
        "stick table handed over on reload",
        async () => {
          const t = await stickTable(after.socket);
          return t.size >= pinned.size ? t : undefined;
        },
        5000,
      );
      for (const [room, shard] of pinned) expect(table.get(room)).toBe(shard);
      // The configuration's weight 0 wins over the weight 100 in the dumped state file; the shard is still up.
      expect((await serverStats(after.socket)).get(drained)).toMatchObject({ status: "UP", weight: 0 });

      const kept = await mapLimit(onDrained, 16, (room) => shardOf(after.port, room));
      expect(kept.filter((s) => s !== drained)).toEqual([]);
      const fresh = count(await mapLimit(freshRooms("ConfigDrain", 200), 16, (room) => shardOf(after.port, room)));
      expect(fresh[drained]).toBe(0);
      await after.stop();
    }, 30_000);

    it("shares pins between two peers: a room pinned through one is routed the same way through the other", async () => {
      // Peer A renders shard X drained, peer B renders every shard ready (two nodes between two registry updates).
      // Rooms whose hash picks X when every shard is ready go to another shard through A; through B the hash alone
      // would pick X. The main node has the same ring as B (same ids and weights), so it tells which rooms those
      // are; half of them are pinned through A, the other half, never seen by A, show what B's hash picks.
      const x = SHARD_IDS[2];
      const candidates = freshRooms("Peers", 400);
      const onX: string[] = [];
      for (const room of candidates) {
        if ((await page(main.port, room)).shard === x) onX.push(room);
        if (onX.length === 60) break;
      }
      expect(onX).toHaveLength(60);
      const [viaA, control] = [onX.slice(0, 30), onX.slice(30)];

      const [portA, portB] = [await freePort(), await freePort()];
      const peerPorts = { "edge-a": portA, "edge-b": portB };
      const a = prepare("edge-a", values("edge-a", ["edge-a", "edge-b"], [x]), await localFor("edge-a", peerPorts));
      const b = prepare("edge-b", values("edge-b", ["edge-a", "edge-b"]), await localFor("edge-b", peerPorts));
      await Promise.all([a.start(), b.start()]);

      const throughA = new Map(
        await mapLimit(viaA, 16, async (room) => [lower(room), await shardOf(a.port, room)] as const),
      );
      expect([...throughA.values()].filter((s) => s === x)).toEqual([]);
      const table = await waitFor(
        "pins of A in B's table",
        async () => {
          const t = await stickTable(b.socket);
          return [...throughA.keys()].every((k) => t.has(k)) ? t : undefined;
        },
        5000,
      );
      for (const [room, shard] of throughA) expect(table.get(room)).toBe(shard);

      for (const room of viaA) expect(await shardOf(b.port, room)).toBe(throughA.get(lower(room)));
      const controlShards = await mapLimit(control, 16, (room) => shardOf(b.port, room));
      expect(controlShards).toEqual(control.map(() => x));
    }, 30_000);

    it("moves only a failed shard's rooms, within inter × fall + 1 s, and moves none back when it returns", async () => {
      const failed = SHARD_IDS[1];
      const shard = shards.get(failed)!;
      // Pins of earlier tests (drain, peers) may have placed more rooms: take the placement from the table.
      const table = await stickTable(main.socket);
      const theirs = [...table].filter(([, s]) => s === failed).map(([room]) => room);
      const others = [...table].filter(([, s]) => s !== failed);
      expect(theirs.length).toBeGreaterThan(100);

      const t0 = Date.now();
      shard.health = 500;
      await shard.stop();
      const detection = waitFor(
        "shard marked down",
        async () =>
          (await serverStats(main.socket)).get(failed)?.status.startsWith("DOWN") ? Date.now() - t0 : undefined,
        5000,
      );
      // 60 of its rooms at once right after the kill (a small burst, so that each time is HAProxy's, not a queue in
      // this client): each is served elsewhere once the check has marked the shard down or the connection retry
      // has redispatched it. The rest afterwards, each timed on its own.
      const burst = theirs.slice(0, 60);
      const served = await mapLimit(burst, burst.length, async (room) => {
        const answer = await page(main.port, room);
        return { room, shard: answer.shard, status: answer.status, ms: Date.now() - t0 };
      });
      const detectedMs = await detection;
      const rest = await mapLimit(theirs.slice(burst.length), 16, async (room) => {
        const start = Date.now();
        const answer = await page(main.port, room);
        return { room, shard: answer.shard, status: answer.status, ms: Date.now() - start };
      });
      const slowest = Math.max(...served.map((s) => s.ms));
      const slowestLater = Math.max(...rest.map((s) => s.ms));
      console.info(
        `failover: ${failed} marked down after ${detectedMs} ms; the first ${burst.length} of its rooms served ` +
          `elsewhere within ${slowest} ms of the kill (bound ${FAILOVER_BOUND_MS} ms); the other ${rest.length} ` +
          `each within ${slowestLater} ms`,
      );
      for (const s of [...served, ...rest]) expect(s).toMatchObject({ status: 200, shard: expect.any(String) });
      expect([...served, ...rest].filter((s) => s.shard === failed)).toEqual([]);
      expect(slowest).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
      expect(slowestLater).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
      expect(detectedMs).toBeLessThanOrEqual(FAILOVER_BOUND_MS);

      // Moved rooms: page, BOSH and websocket agree on the new shard; every other room stayed where it was.
      const moved = new Map([...served, ...rest].map((s) => [s.room, s.shard!]));
      for (const room of theirs.slice(0, 100)) expect(await shardOf(main.port, room)).toBe(moved.get(room));
      const now = await mapLimit(others, 32, async ([room]) => (await page(main.port, room)).shard);
      expect(others.filter(([, s], i) => now[i] !== s)).toEqual([]);

      // The shard comes back: the moved rooms stay on their new shard (their pins were rewritten).
      shard.health = 200;
      await shard.start(shard.port);
      await waitFor(
        "shard back up",
        async () => ((await serverStats(main.socket)).get(failed)?.status === "UP" ? true : undefined),
        3000,
      );
      const after = await mapLimit(theirs, 32, async (room) => (await page(main.port, room)).shard);
      expect(after.filter((s, i) => s !== moved.get(theirs[i]))).toEqual([]);
    }, 30_000);
  });

  describe("over TLS to the shard (ssl verify none) with a self-signed certificate", () => {
    let shard: StandInShard;
    let agent: StandInAgent;
    let proc: Haproxy | undefined;

    afterAll(async () => {
      await proc?.stop();
      await Promise.all([shard?.stop(), agent?.stop()]);
    });

    it("checks the shard's health and serves a room over TLS; the LB health URI fails with no shard", async () => {
      const { key, crt } = selfSignedCertificate(work, DOMAIN);
      shard = new StandInShard("eu-west-1-tls", { key: readFileSync(key, "utf8"), cert: readFileSync(crt, "utf8") });
      agent = new StandInAgent();
      await Promise.all([shard.start(), agent.start()]);
      const stateFile = join(work, "tls.state");
      writeFileSync(stateFile, "1\n");
      const local: HaproxyLocal = {
        ...productionHaproxyLocal(),
        frontend: { address: LOOPBACK, port: await freePort() },
        shardTls: true,
        shardPort: shard.port,
        agentPort: agent.port,
        peersPort: await freePort(),
        stats: { address: LOOPBACK, port: await freePort() },
        checks: CHECKS,
        runtimeSocket: join(work, "tls.sock"),
        serverStateFile: stateFile,
        privileges: undefined,
        log: undefined,
        maxConnections: 2000,
      };
      const cfg = join(work, "tls.cfg");
      writeFileSync(
        cfg,
        renderHaproxyConfig(
          {
            domain: DOMAIN,
            region: REGION,
            nodeName: "edge-tls",
            nodeAddress: LOOPBACK,
            peers: [{ name: "edge-tls", address: LOOPBACK }],
            shards: [{ id: "eu-west-1-tls", address: LOOPBACK, state: "ready" }],
          },
          local,
        ),
      );
      if (ids) chownTree(work, ids);
      const check = haproxyCheck(cfg);
      expect(check.output).toContain("Configuration file is valid");
      proc = new Haproxy("tls", cfg, local);
      await proc.start([], ["eu-west-1-tls"]);
      const reply = await get(local.frontend.port, "/Some-Room", { "x-proxy-region": "mars-1" });
      expect(reply).toEqual({ status: 200, shard: "eu-west-1-tls", body: "eu-west-1-tls" });
      expect(shard.regions).toEqual([REGION]);
      expect((await get(local.frontend.port, EDGE_HEALTH_URI)).status).toBe(200);

      // jicofo unhealthy on the only shard: the node tells the load balancer it cannot take new rooms.
      shard.health = 500;
      await waitFor(
        "health URI failing",
        async () => ((await get(local.frontend.port, EDGE_HEALTH_URI)).status === 503 ? true : undefined),
        3000,
      );
    }, 20_000);
  });
});
