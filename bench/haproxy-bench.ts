// node scripts/run-ts.js bench/haproxy-bench.ts: what the edge node's routing costs in HAProxy throughput.
//
// wrk on loopback, fixed connections and duration, against three targets in one run:
// - rendered: HAProxy with renderHaproxyConfig's configuration (room key, consistent hash, stick table with peers,
//   health and agent checks at production timings) in front of 3 stand-in shards;
// - minimal: the same HAProxy with a minimal round-robin configuration (no key, no stick table, no checks) in front
//   of the same 3 stand-ins;
// - direct: wrk straight to one stand-in shard (what the stand-ins cost on their own).
// The stand-in shards are nginx (the shards run nginx): one worker, three servers that answer every request with
// their name. Plain HTTP to them in both HAProxy configurations, so that the comparison is about routing (TLS to the
// shard is a transport option of the server line and would cost the same in both). wrk requests 1,000 rooms in turn,
// half as the room's page (/Bench-Room-<n>), half as BOSH (/http-bind?room=bench-room-<n>).
// ROUNDS rounds, each running the three targets in turn; figures are medians. Prints a table and replaces the
// "HAProxy edge" section of bench/RESULTS.md (appends it when absent).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import * as prettier from "prettier";
import { HAPROXY_NAMES, productionHaproxyLocal, renderHaproxyConfig } from "../components/render/haproxy";

const HAPROXY = "/usr/sbin/haproxy";
const NGINX = "/usr/sbin/nginx";
const WRK = "/usr/bin/wrk";
const LOOPBACK = "127.0.0.1";
const CONNECTIONS = 50;
const DURATION_S = 10;
const WARMUP_S = 2;
const ROUNDS = 5;
const ROOMS = 1000;
/** The goal: the rendered configuration keeps at least this share of the minimal configuration's throughput. */
const GOAL_SHARE = 0.85;
const GOAL = `the rendered configuration keeps at least ${GOAL_SHARE * 100}% of the minimal configuration's throughput`;
const SHARDS = ["eu-west-1-a", "eu-west-1-b", "us-east-1-a"] as const;
const DOMAIN = "meet.bench.example";
const COMMAND = "node scripts/run-ts.js bench/haproxy-bench.ts";
const RESULTS_FILE = join(__dirname, "RESULTS.md");
const SECTION = "## HAProxy edge";

type Target = "rendered" | "minimal" | "direct";
const TARGETS: readonly Target[] = ["rendered", "minimal", "direct"];

interface WrkResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  /** HAProxy's CPU time (user + system, all threads) per request, in µs; undefined for the direct target. */
  readonly haproxyCpuUs?: number;
}

function log(message: string): void {
  process.stderr.write(`haproxy-bench: ${message}\n`);
}

function requireBinary(path: string, what: string): void {
  if (!existsSync(path))
    throw new Error(`${what} is required and ${path} does not exist: run scripts/install-test-deps.sh`);
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, LOOPBACK, () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** uid/gid of `nobody` when running as root (the daemons must not run as root), undefined otherwise. */
function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("nobody:"));
  if (!line) throw new Error("running as root and /etc/passwd has no `nobody` user");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Waits until a TCP port accepts connections (bounded). */
async function waitForPort(port: number, what: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, LOOPBACK);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within 5 s:\n${output()}`);
    await sleep(50);
  }
}

class Daemon {
  output = "";
  readonly child: ChildProcess;

  constructor(
    readonly what: string,
    binary: string,
    args: string[],
    ids: { uid: number; gid: number } | undefined,
  ) {
    this.child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], ...(ids ?? {}) });
    this.child.stdout?.on("data", (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on("data", (d: Buffer) => (this.output += d.toString()));
  }

  /** CPU time (user + system, all threads) in ms, from /proc. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime), counted from after the command name; clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** Stops this daemon by its own pid (SIGTERM, SIGKILL after 3 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/** The stand-in agent check of every shard: `up ready` on each connection. */
function startAgent(): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.end("up ready\n");
  });
  return new Promise((resolve) =>
    server.listen(0, LOOPBACK, () => resolve({ port: (server.address() as AddressInfo).port, server })),
  );
}

function nginxConfig(work: string, ports: Record<string, number>): string {
  const servers = SHARDS.map(
    (id) => `  server {
    listen ${LOOPBACK}:${ports[id]} reuseport;
    access_log off;
    keepalive_requests 100000;
    location = /about/health { return 200 "{}"; }
    location / { add_header X-Shard ${id}; return 200 "${id}"; }
  }`,
  ).join("\n");
  return [
    `pid ${work}/nginx.pid;`,
    `error_log ${work}/nginx-error.log warn;`,
    "worker_processes 1;",
    "events { worker_connections 1024; }",
    "http {",
    "  default_type text/plain;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${work}/tmp-${t};`),
    servers,
    "}",
    "",
  ].join("\n");
}

function minimalConfig(port: number, shardPorts: Record<string, number>): string {
  return [
    "global",
    "    maxconn 5000",
    "defaults",
    "    mode http",
    "    timeout connect 10s",
    "    timeout client 3m",
    "    timeout server 3m",
    "frontend minimal",
    `    bind ${LOOPBACK}:${port}`,
    "    default_backend shards",
    "backend shards",
    "    balance roundrobin",
    ...SHARDS.map((id) => `    server ${id} ${LOOPBACK}:${shardPorts[id]}`),
    "",
  ].join("\n");
}

/** wrk's script: 1,000 rooms in turn, alternately as the room's page and as BOSH. */
const WRK_SCRIPT = `wrk.headers["Host"] = "${DOMAIN}"
local counter = 0
request = function()
  counter = counter + 1
  local room = counter % ${ROOMS}
  if counter % 2 == 0 then
    return wrk.format("GET", "/Bench-Room-" .. room)
  end
  return wrk.format("GET", "/http-bind?room=bench-room-" .. room)
end
`;

function parseLatencyMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) throw new Error(`unexpected wrk latency ${text}`);
  return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
}

function runWrk(url: string, script: string, seconds: number): Omit<WrkResult, "haproxyCpuUs"> {
  const run = spawnSync(WRK, ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "-s", script, url], {
    encoding: "utf8",
    timeout: (seconds + 30) * 1000,
  });
  if (run.status !== 0) throw new Error(`wrk failed (${run.status}): ${run.stderr}${run.stdout}`);
  const out = run.stdout;
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error(`cannot read wrk's output:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return {
    rps: Number(rps[1]),
    p50Ms: parseLatencyMs(p50[1]),
    p99Ms: parseLatencyMs(p99[1]),
    requests: Number(total[1]),
    errors,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? ":--" : "--:"))), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  for (const [path, what] of [
    [HAPROXY, "haproxy"],
    [NGINX, "nginx (Debian's nginx-light)"],
    [WRK, "wrk"],
  ] as const)
    requireBinary(path, what);
  const ids = unprivilegedIds();
  const work = mkdtempSync(join(tmpdir(), "haproxy-bench-"));
  const daemons: Daemon[] = [];
  const agents: net.Server[] = [];
  const started = Date.now();
  const loadBefore = loadavg()[0];
  try {
    // Stand-in shards (nginx) and agents.
    const shardPorts: Record<string, number> = {};
    for (const id of SHARDS) shardPorts[id] = await freePort();
    writeFileSync(join(work, "nginx.conf"), nginxConfig(work, shardPorts));
    const agentPorts: Record<string, number> = {};
    for (const id of SHARDS) {
      const agent = await startAgent();
      agents.push(agent.server);
      agentPorts[id] = agent.port;
    }

    // The rendered configuration (production timings; only addresses, ports and files are local).
    const renderedPort = await freePort();
    const stateFile = join(work, "server-state");
    writeFileSync(stateFile, "1\n");
    const socket = join(work, "rendered.sock");
    writeFileSync(
      join(work, "rendered.cfg"),
      renderHaproxyConfig(
        {
          domain: DOMAIN,
          region: "eu-west-1",
          nodeName: "edge-bench",
          nodeAddress: LOOPBACK,
          peers: [{ name: "edge-bench", address: LOOPBACK }],
          shards: SHARDS.map((id) => ({ id, address: LOOPBACK, state: "ready" as const })),
        },
        {
          ...productionHaproxyLocal(),
          frontend: { address: LOOPBACK, port: renderedPort },
          shardTls: false,
          shardPorts: Object.fromEntries(SHARDS.map((id) => [id, { http: shardPorts[id], agent: agentPorts[id] }])),
          peersPort: await freePort(),
          stats: { address: LOOPBACK, port: await freePort() },
          runtimeSocket: socket,
          serverStateFile: stateFile,
          privileges: undefined,
          log: undefined,
          maxConnections: 5000,
        },
      ),
    );
    const minimalPort = await freePort();
    writeFileSync(join(work, "minimal.cfg"), minimalConfig(minimalPort, shardPorts));
    writeFileSync(join(work, "rooms.lua"), WRK_SCRIPT);
    if (ids) {
      chownSync(work, ids.uid, ids.gid);
      for (const entry of readdirSync(work)) chownSync(join(work, entry), ids.uid, ids.gid);
    }
    for (const cfg of ["rendered.cfg", "minimal.cfg"]) {
      const check = spawnSync(HAPROXY, ["-c", "-dW", "-f", join(work, cfg)], { encoding: "utf8", ...(ids ?? {}) });
      if (check.status !== 0) throw new Error(`haproxy -c -dW ${cfg} failed:\n${check.stdout}${check.stderr}`);
    }

    const nginx = new Daemon(
      "nginx",
      NGINX,
      ["-p", `${work}/`, "-e", "stderr", "-c", join(work, "nginx.conf"), "-g", "daemon off;"],
      ids,
    );
    daemons.push(nginx);
    for (const id of SHARDS) await waitForPort(shardPorts[id], "nginx", nginx.child, () => nginx.output);
    const rendered = new Daemon("rendered", HAPROXY, ["-db", "-f", join(work, "rendered.cfg")], ids);
    const minimal = new Daemon("minimal", HAPROXY, ["-db", "-f", join(work, "minimal.cfg")], ids);
    daemons.push(rendered, minimal);
    await waitForPort(renderedPort, "rendered haproxy", rendered.child, () => rendered.output);
    await waitForPort(minimalPort, "minimal haproxy", minimal.child, () => minimal.output);
    await sleep(2500); // the first health and agent checks (production inter 2 s)

    const urls: Record<Target, string> = {
      rendered: `http://${LOOPBACK}:${renderedPort}/`,
      minimal: `http://${LOOPBACK}:${minimalPort}/`,
      direct: `http://${LOOPBACK}:${shardPorts[SHARDS[0]]}/`,
    };
    const haproxyOf: Partial<Record<Target, Daemon>> = { rendered, minimal };
    const script = join(work, "rooms.lua");
    for (const target of TARGETS) runWrk(urls[target], script, WARMUP_S);

    const results: Record<Target, WrkResult[]> = { rendered: [], minimal: [], direct: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of TARGETS) {
        const daemon = haproxyOf[target];
        const cpuBefore = daemon?.cpuMs();
        const result = runWrk(urls[target], script, DURATION_S);
        const cpuUs =
          daemon && cpuBefore !== undefined ? ((daemon.cpuMs() - cpuBefore) * 1000) / result.requests : undefined;
        results[target].push({ ...result, haproxyCpuUs: cpuUs });
        log(`round ${round} ${target}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(2)} ms`);
      }
    }

    // Routing sanity: the rendered node pinned every room it saw, and spread them over the shards.
    const tableDump = await new Promise<string>((resolve, reject) => {
      const s = net.connect(socket);
      let out = "";
      s.on("connect", () => s.end(`show table ${HAPROXY_NAMES.backend}\n`));
      s.on("data", (d: Buffer) => (out += d.toString()));
      s.on("close", () => resolve(out));
      s.on("error", reject);
    });
    const pinned = [...tableDump.matchAll(/server_key=(\S+)/g)].map((m) => m[1]);
    const perShard = SHARDS.map((id) => `${id} ${pinned.filter((s) => s === id).length}`).join(", ");

    const summary = Object.fromEntries(
      TARGETS.map((t) => {
        const runs = results[t];
        return [
          t,
          {
            rps: median(runs.map((r) => r.rps)),
            p50Ms: median(runs.map((r) => r.p50Ms)),
            p99Ms: median(runs.map((r) => r.p99Ms)),
            errors: runs.reduce((a, r) => a + r.errors, 0),
            cpuUs: t === "direct" ? undefined : median(runs.map((r) => r.haproxyCpuUs ?? 0)),
          },
        ];
      }),
    ) as Record<Target, { rps: number; p50Ms: number; p99Ms: number; errors: number; cpuUs?: number }>;
    // The verdict's figure: the median over rounds of rendered / minimal, each pair run back to back (drift in the
    // machine's other load moves both); the ratio of the two medians is shown beside it.
    const perRound = results.rendered.map((r, i) => r.rps / results.minimal[i].rps);
    const share = median(perRound);
    const shareOfMedians = summary.rendered.rps / summary.minimal.rps;
    const met = share >= GOAL_SHARE && summary.rendered.errors === 0;
    const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

    const describe: Record<Target, string> = {
      rendered: "HAProxy, rendered configuration",
      minimal: "HAProxy, minimal round robin",
      direct: "one stand-in shard, no HAProxy",
    };
    const mainTable = table(
      ["target", "req/s", "of minimal", "p50 ms", "p99 ms", "HAProxy CPU µs/req", "errors"],
      TARGETS.map((t) => [
        describe[t],
        summary[t].rps.toFixed(0),
        pct(summary[t].rps / summary.minimal.rps),
        summary[t].p50Ms.toFixed(2),
        summary[t].p99Ms.toFixed(2),
        summary[t].cpuUs === undefined ? "-" : summary[t].cpuUs!.toFixed(1),
        String(summary[t].errors),
      ]),
    );
    const runsTable = table(
      ["target", ...Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1} req/s`)],
      [
        ...TARGETS.map((t) => [describe[t], ...results[t].map((r) => r.rps.toFixed(0))]),
        ["rendered / minimal", ...perRound.map(pct)],
      ],
    );
    const date = spawnSync("date", ["-u"], { encoding: "utf8" }).stdout.trim();
    const haproxyVersion = /HAProxy version (\S+)/.exec(spawnSync(HAPROXY, ["-v"], { encoding: "utf8" }).stdout)?.[1];
    const wrkVersion = /wrk (\S+)/.exec(spawnSync(WRK, ["-v"], { encoding: "utf8" }).stdout)?.[1];
    const cpuRendered = summary.rendered.cpuUs ?? 0;
    const cpuMinimal = summary.minimal.cpuUs ?? 0;
    const verdict =
      `**Goal ${met ? "met" : "NOT met"}** ("${GOAL}"): the rendered configuration served ${pct(share)} of the ` +
      `minimal configuration's requests per second (median of ${ROUNDS} back-to-back pairs, from ` +
      `${pct(Math.min(...perRound))} to ${pct(Math.max(...perRound))}; medians ${summary.rendered.rps.toFixed(0)} vs ` +
      `${summary.minimal.rps.toFixed(0)} req/s, ${pct(shareOfMedians)})` +
      `${summary.rendered.errors === 0 ? "" : `, with ${summary.rendered.errors} errors`}. HAProxy spent ` +
      `${cpuRendered.toFixed(1)} µs of CPU per request with the rendered configuration and ${cpuMinimal.toFixed(1)} ` +
      `with the minimal one (${pct(cpuRendered / cpuMinimal - 1)} more): on a node where HAProxy's own CPU is the only ` +
      `bound, the rendered configuration would keep about ${pct(cpuMinimal / cpuRendered)} of the minimal one's ` +
      `request rate (a Jitsi client makes few requests: one websocket, or BOSH long-polls).`;
    const section = [
      SECTION,
      "",
      `Produced by \`${COMMAND}\` (bench/haproxy-bench.ts).`,
      "",
      `- date (\`date -u\`): ${date}`,
      `- machine: ${cpus().length} CPUs, ${cpus()[0]?.model ?? "unknown CPU"}; HAProxy ${haproxyVersion}, wrk ${wrkVersion}, nginx stand-ins`,
      `- wrk on loopback: 1 thread, ${CONNECTIONS} connections, ${DURATION_S} s per run after a ${WARMUP_S} s warm-up, ${ROUNDS} rounds of the three targets in turn; figures are medians; the whole benchmark took ${((Date.now() - started) / 1000).toFixed(0)} s`,
      `- load average (1 min, \`uptime\`) ${loadBefore.toFixed(2)} before and ${loadavg()[0].toFixed(2)} after: other work on the machine shares its CPUs with wrk, nginx and HAProxy`,
      `- requests: ${ROOMS} rooms in turn, half as the room's page (\`/Bench-Room-<n>\`), half as BOSH (\`/http-bind?room=bench-room-<n>\`); the rendered node pinned ${pinned.length} rooms (${perShard})`,
      "",
      mainTable,
      "",
      verdict,
      "",
      "### Every round",
      "",
      runsTable,
      "",
      "### What is measured",
      "",
      "- **rendered**: `renderHaproxyConfig` for one edge node (one peer, itself) in front of 3 stand-in shards, production check timings (httpchk every 2 s, agent check every 2 s); plain HTTP to the stand-ins in both configurations, so that the difference is routing: room key extraction, consistent hashing, stick table match and store, `X-Proxy-Region`, `X-Forwarded-For`.",
      "- **minimal**: the same HAProxy binary with `balance roundrobin` over the same 3 stand-ins, no checks, no stick table, no header rules.",
      "- **direct**: wrk straight to one stand-in, for scale.",
      "- **stand-ins**: one nginx worker with three servers that answer every request with the shard's name (`return 200`); the real shards run nginx too.",
      "- **HAProxy CPU µs/req**: user + system CPU time of the HAProxy process over the run (from /proc, 10 ms ticks) divided by the requests wrk completed. wrk, nginx and HAProxy share the machine's CPUs, so req/s is bounded by all three; the CPU cost per request is HAProxy's own.",
    ].join("\n");

    process.stdout.write(`\n${mainTable}\n\n${verdict}\n\n${runsTable}\n`);
    const existing = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, "utf8") : "";
    const start = existing.indexOf(`\n${SECTION}\n`);
    let updated: string;
    if (start === -1) {
      updated = `${existing.trimEnd()}\n\n${section}\n`;
    } else {
      const next = existing.indexOf("\n## ", start + SECTION.length + 1);
      updated = `${existing.slice(0, start).trimEnd()}\n\n${section}\n${next === -1 ? "" : `\n${existing.slice(next + 1)}`}`;
    }
    const options = (await prettier.resolveConfig(RESULTS_FILE)) ?? {};
    writeFileSync(RESULTS_FILE, await prettier.format(updated, { ...options, filepath: RESULTS_FILE }));
    log(`wrote bench/RESULTS.md (section "${SECTION.slice(3)}")`);
  } finally {
    for (const daemon of daemons) await daemon.stop();
    await Promise.all(agents.map((a) => new Promise<void>((resolve) => a.close(() => resolve()))));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`haproxy-bench: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
