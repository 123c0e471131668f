// The smoke check's node scripts (scripts/lib/smoke-commands.ts), run with /bin/sh as SSM's AWS-RunShellScript
// would, against loopback stand-ins, and their output read by the same parsers as in production:
// - the shard script against a small jicofo stand-in (GET /about/health, GET /debug answering
//   test/fixtures/smoke/jicofo-debug.json) and a drain switch file; with and without jq on the PATH;
// - the edge script against Debian's HAProxy 2.6 running the stack's rendered haproxy.cfg (HaproxyLocal points it at
//   loopback ports and a temporary runtime socket) in front of stand-in shards: one up, one drained by the stack
//   (weight 0), one down (health check 503, agent `down`), one drained by its agent (`up drain`); with a PATH that
//   holds python3 and nothing else, as on an edge node without curl or socat.
// Both scripts pass shellcheck as POSIX sh. Missing haproxy, curl, jq, python3 or shellcheck fail these tests
// (scripts/install-test-deps.sh installs them).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { productionHaproxyLocal, renderHaproxyConfig, type HaproxyLocal } from "../../components/render/haproxy";
import { edgeCheckScript, shardCheckScript } from "../../scripts/lib/smoke-commands";
import { parseJicofoBridges, type EdgeTarget, type ShardTarget } from "../../scripts/lib/smoke-parse";
import { observeEdge, observeShard } from "../../scripts/lib/smoke-report";

const HAPROXY = "/usr/sbin/haproxy";
const LOOPBACK = "127.0.0.1";
const DEBUG_JSON = readFileSync(join(__dirname, "..", "fixtures", "smoke", "jicofo-debug.json"), "utf8");
const SHARD: ShardTarget = { id: "eu-west-1-eu1", region: "eu-west-1", instanceId: "i-1", stackState: "ready" };
const EDGE: EdgeTarget = { region: "eu-west-1", instanceId: "i-2", node: "edge-0", state: "running" };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function which(name: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error(`${name} is required by this test: run scripts/install-test-deps.sh`);
  return found;
}

/** Runs a script with /bin/sh (asynchronously: the stand-ins answer from this process). */
function runSh(script: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", script], { env });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stdout += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout }));
  });
}

/** The real interpreter behind `python3` (a version manager's shim would need its own PATH). */
function python3Binary(): string {
  which("python3");
  return spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();
}

/** A directory holding symlinks to just these commands: a PATH without anything else. */
function pathWith(dir: string, commands: readonly string[]): string {
  for (const command of commands) {
    symlinkSync(command === "python3" ? python3Binary() : which(command), join(dir, command));
  }
  return dir;
}

function done(stdout: string) {
  return { invocation: { done: true as const, ok: true, stdout, detail: "Success" } };
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "smoke-scripts-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe("node scripts", () => {
  it("pass shellcheck as POSIX sh", () => {
    which("shellcheck");
    writeFileSync(join(work, "shard.sh"), shardCheckScript());
    writeFileSync(join(work, "edge.sh"), edgeCheckScript());
    const result = spawnSync("shellcheck", ["-s", "sh", join(work, "shard.sh"), join(work, "edge.sh")], {
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("shard script against a jicofo stand-in", () => {
  let jicofo: http.Server;
  let port: number;
  let debugStatus: number;

  beforeEach(async () => {
    debugStatus = 200;
    jicofo = http.createServer((req, res) => {
      if (req.url === "/about/health") {
        res.end("OK");
      } else if (req.url === "/debug") {
        res.statusCode = debugStatus;
        res.setHeader("content-type", "application/json");
        res.end(debugStatus === 200 ? JSON.stringify(JSON.parse(DEBUG_JSON)) : "Not Found");
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    port = await listen(jicofo);
  });
  afterEach(() => new Promise<void>((resolve) => jicofo.close(() => resolve())));

  it("reports health, the drain switch and jicofo's bridges (trimmed by jq)", async () => {
    which("curl");
    which("jq");
    writeFileSync(join(work, "shard-status"), "drain\n");
    const script = shardCheckScript({ jicofoUrl: `http://${LOOPBACK}:${port}`, stateFile: join(work, "shard-status") });
    const { code, stdout } = await runSh(script);
    expect(code).toBe(0);
    const shard = observeShard(SHARD, done(stdout));
    expect(shard).toMatchObject({ jicofoHealth: 200, switchState: "drain" });
    expect(shard.bridges).toEqual(parseJicofoBridges(DEBUG_JSON));
    expect(stdout).not.toContain("focus_manager");
  });

  it("passes /debug through whole when jq is missing", async () => {
    const bin = pathWith(join(work), ["curl", "cat", "mktemp", "rm"]);
    const script = shardCheckScript({ jicofoUrl: `http://${LOOPBACK}:${port}`, stateFile: join(work, "none") });
    const { stdout } = await runSh(script, { PATH: bin });
    expect(stdout).toContain("focus_manager");
    const shard = observeShard(SHARD, done(stdout));
    expect(shard.switchState).toBeUndefined();
    expect(shard.bridges).toEqual(parseJicofoBridges(DEBUG_JSON));
  });

  it("says so when /debug is switched off (jicofo.rest.debug.enabled = false)", async () => {
    debugStatus = 404;
    const script = shardCheckScript({ jicofoUrl: `http://${LOOPBACK}:${port}`, stateFile: join(work, "none") });
    const shard = observeShard(SHARD, done((await runSh(script)).stdout));
    expect(shard).toMatchObject({ jicofoHealth: 200, bridgesError: "jicofo /debug answered 404" });
  });

  it("reports no answer when jicofo is not listening", async () => {
    const closed = await freePort();
    const script = shardCheckScript({ jicofoUrl: `http://${LOOPBACK}:${closed}`, stateFile: join(work, "none") });
    const shard = observeShard(SHARD, done((await runSh(script)).stdout));
    expect(shard).toMatchObject({ jicofoHealth: 0, bridgesError: "jicofo /debug answered none" });
  });
});

describe("edge script against HAProxy", () => {
  const SHARDS = [
    { id: "eu-west-1-eu1", state: "ready", health: 200, agent: "up ready" },
    { id: "eu-west-1-eu2", state: "drain", health: 200, agent: "up ready" },
    { id: "us-east-1-us1", state: "ready", health: 503, agent: "down" },
    { id: "us-east-1-us2", state: "ready", health: 200, agent: "up drain" },
  ] as const;
  const servers: net.Server[] = [];
  let haproxy: ChildProcess | undefined;
  let local: HaproxyLocal;
  let pythonOnly: string;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(HAPROXY)) throw new Error(`${HAPROXY} is required by this test: run scripts/install-test-deps.sh`);
    // Before the stand-ins run: finding python3 blocks this process (spawnSync), and stand-ins that cannot answer
    // HAProxy's checks meanwhile would be marked down.
    pythonOnly = pathWith(mkdtempSync(join(tmpdir(), "smoke-python-")), ["python3"]);
    const shardPorts: Record<string, { http: number; agent: number }> = {};
    for (const shard of SHARDS) {
      const web = http.createServer((req, res) => {
        res.statusCode = req.url === "/about/health" ? shard.health : 200;
        res.end(shard.id);
      });
      const agent = net.createServer((socket) => {
        socket.on("error", () => undefined);
        socket.end(`${shard.agent}\n`);
      });
      servers.push(web, agent);
      shardPorts[shard.id] = { http: await listen(web), agent: await listen(agent) };
    }
    dir = mkdtempSync(join(tmpdir(), "smoke-haproxy-"));
    local = {
      ...productionHaproxyLocal(),
      frontend: { address: LOOPBACK, port: await freePort() },
      stats: { address: LOOPBACK, port: await freePort() },
      shardTls: false,
      shardPorts,
      peersPort: await freePort(),
      privileges: undefined,
      log: undefined,
      maxConnections: 1000,
      runtimeSocket: join(dir, "admin.sock"),
      serverStateFile: join(dir, "server-state"),
      checks: { interMs: 100, fall: 2, rise: 1, agentInterMs: 100 },
    };
    const config = renderHaproxyConfig(
      {
        domain: "meet-dev.example.com",
        region: "eu-west-1",
        nodeName: "eu-west-1-edge-0",
        nodeAddress: LOOPBACK,
        peers: [{ name: "eu-west-1-edge-0", address: LOOPBACK }],
        shards: SHARDS.map((s) => ({ id: s.id, address: LOOPBACK, state: s.state })),
      },
      local,
    );
    writeFileSync(join(dir, "haproxy.cfg"), config);
    writeFileSync(local.serverStateFile, "1\n");
    haproxy = spawn(HAPROXY, ["-W", "-db", "-f", join(dir, "haproxy.cfg")], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    haproxy.stderr!.on("data", (d) => (log += d));
    // Until the checks have settled: the down shard marked down, both drains applied.
    const deadline = Date.now() + 10_000;
    while (!(log.includes("us-east-1-us1 is DOWN") && log.includes("us-east-1-us2 enters drain"))) {
      if (Date.now() > deadline || haproxy.exitCode !== null) throw new Error(`HAProxy did not settle:\n${log}`);
      await sleep(50);
    }
  }, 20_000);

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy!.once("exit", resolve));
      haproxy.kill("SIGTERM");
      await exited;
    }
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    rmSync(pythonOnly, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  function script(): string {
    return edgeCheckScript({
      healthUrl: `http://${LOOPBACK}:${local.frontend.port}/haproxy-health`,
      runtimeSocket: local.runtimeSocket,
      backend: "jitsi_shards",
    });
  }

  it("reads HAProxy's health and every shard's state with python3 alone on the PATH", async () => {
    const { code, stdout } = await runSh(script(), { PATH: pythonOnly });
    expect({ code, stdout }).toMatchObject({ code: 0, stdout: expect.stringMatching(/^### haproxy-health\n200\n/) });
    const edge = observeEdge(EDGE, done(stdout), "jitsi_shards");
    expect(edge.haproxyHealth).toBe(200);
    expect(edge.servers).toEqual([
      { name: "eu-west-1-eu1", state: "up", detail: "UP" },
      { name: "eu-west-1-eu2", state: "drain", detail: "weight 0" },
      { name: "us-east-1-us1", state: "down", detail: "DOWN, check L7STS" },
      { name: "us-east-1-us2", state: "drain", detail: "DRAIN" },
    ]);
  });

  it("reports no answer and an unreachable runtime API when HAProxy is not there", async () => {
    const closed = await freePort();
    const { stdout } = await runSh(
      edgeCheckScript({
        healthUrl: `http://${LOOPBACK}:${closed}/haproxy-health`,
        runtimeSocket: join(work, "absent.sock"),
        backend: "jitsi_shards",
      }),
    );
    const edge = observeEdge(EDGE, done(stdout), "jitsi_shards");
    expect(edge.haproxyHealth).toBe(0);
    expect(edge.serversError).toContain(
      `cannot query ${join(work, "absent.sock")}: [Errno 2] No such file or directory`,
    );
  });
});
