// The bridge's agents, run for real with bash, jq and curl against stand-ins on loopback (127.0.0.1 only): the
// bridge's private REST API, the instance metadata service (IMDSv2) and the AWS CLI. Plus shellcheck over every
// script a bridge receives. Nothing here reaches AWS: the scripts get the stand-in CLI both through the override
// variable and first on PATH.
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BRIDGE_AGENT_ENV,
  renderRegistryAgentScript,
  renderStressPublisherScript,
  renderTerminationWatcherScript,
} from "../../components/render/bridge-agents";
import type { BridgeRenderValues } from "../../components/render/bridge-values";
import { renderBridgeFiles } from "../../components/render/bridge-user-data";
import { renderShardRegistry, type RegistryEntry } from "../../components/render/registry";
import { BRIDGE_VALUES } from "../fixtures/bridge-values";

const INSTANCE_ID = "i-0123456789abcdef0";
const SCRIPT_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// Tools: the real ones, or the test fails (never skips).

function requireTool(tool: string): void {
  const r = spawnSync(tool, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${tool} is required for these tests (scripts/install-test-deps.sh): ${r.error?.message ?? r.stderr}`,
    );
  }
}

function shellcheck(script: string): { status: number | null; output: string } {
  const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
    input: script,
    encoding: "utf8",
    timeout: 20_000,
  });
  if (r.error) throw new Error(`shellcheck could not run (scripts/install-test-deps.sh): ${r.error.message}`);
  return { status: r.status, output: r.stdout + r.stderr };
}

// ---------------------------------------------------------------------------------------------------------------
// Stand-ins.

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => handler(req, res, body));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return server;
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function reply(res: ServerResponse, status: number, json?: unknown): void {
  res.statusCode = status;
  if (json !== undefined) res.setHeader("Content-Type", "application/json");
  res.end(json === undefined ? undefined : JSON.stringify(json));
}

interface RestCall {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/**
 * Stand-in for jitsi-videobridge's private REST API, as jitsi/jitsi-videobridge implements it:
 * - GET /colibri/muc-client/list: a JSON array of the connection ids (XmppConnection.getMucClientIds);
 * - POST /colibri/muc-client/add: keeps only string-valued properties; 400 unless id, hostname, username, password,
 *   muc_jids and muc_nickname are there (MucClientConfiguration.isComplete); an existing id is left as it is;
 * - POST /colibri/muc-client/remove {"id"}: 200 when a connection was removed, 400 otherwise;
 * - GET /colibri/stats: stress_level, participants/endpoints/local_endpoints (the count the test sets),
 *   graceful_shutdown and shutting_down (VideobridgeStatisticsShim);
 * - POST /colibri/shutdown {"graceful-shutdown": true}: enters graceful shutdown (Shutdown.java, ShutdownManager).
 * With `gone` set it drops every connection, as a bridge that has exited.
 */
class StandInBridge {
  readonly clients = new Map<string, Record<string, string>>();
  calls: RestCall[] = [];
  participants = 0;
  stress = 0;
  gracefulShutdown = false;
  gone = false;
  server!: Server;

  async start(): Promise<void> {
    this.server = await listen((req, res, raw) => this.handle(req, res, raw));
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    if (this.gone) {
      req.socket.destroy();
      return;
    }
    const path = req.url ?? "";
    let body: unknown;
    if (raw !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    this.calls.push({ method: req.method ?? "", path, ...(raw !== "" ? { body } : {}) });
    const post = req.method === "POST";
    const json = req.headers["content-type"] === "application/json";
    if (post && !json) return reply(res, 415);
    const object = typeof body === "object" && body !== null && !Array.isArray(body);
    const props = object ? (body as Record<string, unknown>) : {};
    if (req.method === "GET" && path === "/colibri/muc-client/list") return reply(res, 200, [...this.clients.keys()]);
    if (post && path === "/colibri/muc-client/add") {
      if (!object || typeof props.id !== "string") return reply(res, 400);
      const config: Record<string, string> = {};
      for (const [k, v] of Object.entries(props)) if (k !== "id" && typeof v === "string") config[k.toUpperCase()] = v;
      const complete = ["HOSTNAME", "USERNAME", "PASSWORD", "MUC_JIDS", "MUC_NICKNAME"].every((k) => k in config);
      if (!complete) return reply(res, 400);
      if (!this.clients.has(props.id)) this.clients.set(props.id, config);
      return reply(res, 200);
    }
    if (post && path === "/colibri/muc-client/remove") {
      if (!object || typeof props.id !== "string" || !this.clients.delete(props.id)) return reply(res, 400);
      return reply(res, 200);
    }
    if (req.method === "GET" && path === "/colibri/stats") {
      return reply(res, 200, {
        stress_level: this.stress,
        participants: this.participants,
        endpoints: this.participants,
        local_endpoints: this.participants,
        conferences: this.participants > 0 ? 1 : 0,
        graceful_shutdown: this.gracefulShutdown,
        shutting_down: false,
      });
    }
    if (post && path === "/colibri/shutdown") {
      if (!object || typeof props["graceful-shutdown"] !== "boolean") return reply(res, 400);
      if (props["graceful-shutdown"]) this.gracefulShutdown = true;
      return reply(res, 200);
    }
    reply(res, 404);
  }

  posts(): RestCall[] {
    return this.calls.filter((c) => c.method === "POST");
  }
}

/**
 * Stand-in for the EC2 instance metadata service, IMDSv2 only: PUT /latest/api/token (with a TTL header) issues a
 * token; every GET under /latest/meta-data/ without a valid token gets 401. Serves instance-id and
 * autoscaling/target-lifecycle-state (404 while the test leaves it unset, as before the group has set it).
 */
class StandInImds {
  lifecycleState: string | undefined;
  readonly gets: { path: string; withToken: boolean }[] = [];
  private readonly tokens = new Set<string>();
  server!: Server;

  async start(): Promise<void> {
    this.server = await listen((req, res) => {
      const path = req.url ?? "";
      if (req.method === "PUT" && path === "/latest/api/token") {
        if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return reply(res, 400);
        const token = `standin-token-${this.tokens.size}`;
        this.tokens.add(token);
        res.end(token);
        return;
      }
      const token = req.headers["x-aws-ec2-metadata-token"];
      const withToken = typeof token === "string" && this.tokens.has(token);
      this.gets.push({ path, withToken });
      if (!withToken) return reply(res, 401);
      if (path === "/latest/meta-data/instance-id") return void res.end(INSTANCE_ID);
      if (path === "/latest/meta-data/autoscaling/target-lifecycle-state" && this.lifecycleState !== undefined) {
        return void res.end(this.lifecycleState);
      }
      reply(res, 404);
    });
  }

  lifecyclePolls(): number {
    return this.gets.filter((g) => g.path.endsWith("/autoscaling/target-lifecycle-state")).length;
  }
}

// Stand-in for the AWS CLI: records each call's arguments (one JSON array per line), answers `ssm get-parameter`
// from a JSON map of parameters, accepts the cloudwatch and autoscaling calls the agents make, fails on anything else.
const STANDIN_AWS = [
  "#!/usr/bin/env node",
  "// Stand-in for the AWS CLI in the bridge agents' tests; it never reaches AWS.",
  '"use strict";',
  'const fs = require("node:fs");',
  "const args = process.argv.slice(2);",
  'fs.appendFileSync(process.env.AWS_STANDIN_LOG, JSON.stringify(args) + "\\n");',
  "const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);",
  "const [service, command] = args;",
  'if (service === "ssm" && command === "get-parameter") {',
  '  if (opt("--query") !== "Parameter.Value" || opt("--output") !== "text") {',
  '    process.stderr.write("stand-in aws: expected --query Parameter.Value --output text\\n");',
  "    process.exit(2);",
  "  }",
  '  const parameters = JSON.parse(fs.readFileSync(process.env.AWS_STANDIN_PARAMETERS, "utf8"));',
  '  const name = opt("--name");',
  "  if (!Object.prototype.hasOwnProperty.call(parameters, name)) {",
  '    process.stderr.write("An error occurred (ParameterNotFound) when calling the GetParameter operation\\n");',
  "    process.exit(254);",
  "  }",
  '  process.stdout.write(parameters[name] + "\\n");',
  '} else if (service === "cloudwatch" && command === "put-metric-data") {',
  '} else if (service === "autoscaling" && command === "record-lifecycle-action-heartbeat") {',
  '} else if (service === "autoscaling" && command === "complete-lifecycle-action") {',
  "} else {",
  '  process.stderr.write("stand-in aws: unexpected call\\n");',
  "  process.exit(2);",
  "}",
  "",
].join("\n");

// ---------------------------------------------------------------------------------------------------------------
// Fixtures.

const dir = mkdtempSync(join(tmpdir(), "bridge-agents-"));
const standinBin = join(dir, "bin");
const awsLog = join(dir, "aws-calls.jsonl");
const parametersFile = join(dir, "parameters.json");
const stateFile = join(dir, "state", "applied.json");

const PASSWORDS: Record<string, string> = {
  "eu-west-1-eu1": 'pw-eu1 "quoted" & $(not a command)',
  "us-east-1-us1": "pw-us1",
};
const EU1: RegistryEntry = {
  id: "eu-west-1-eu1",
  region: "eu-west-1",
  address: "10.10.1.5",
  domain: "meet.example.com",
  state: "ready",
};
const US1: RegistryEntry = {
  id: "us-east-1-us1",
  region: "us-east-1",
  address: "10.20.1.7",
  domain: "us.meet.example.com",
  state: "ready",
};

function setParameters(registry: string | undefined): void {
  const parameters: Record<string, string> = {};
  if (registry !== undefined) parameters["/jitsi/dev/registry"] = registry;
  for (const [id, pw] of Object.entries(PASSWORDS)) parameters[`/jitsi/dev/shards/${id}/jvb-password`] = pw;
  writeFileSync(parametersFile, JSON.stringify(parameters));
}

function awsCalls(): string[][] {
  if (!existsSync(awsLog)) return [];
  return readFileSync(awsLog, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o755 });
  return path;
}

const bridge = new StandInBridge();
const imds = new StandInImds();
let env: NodeJS.ProcessEnv;

function resetCalls(): void {
  bridge.calls = [];
  rmSync(awsLog, { force: true });
}

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script to its end (bounded); async, so that the stand-ins in this process can answer meanwhile. */
function run(script: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(script, [], { env: { ...env, ...extraEnv }, timeout: SCRIPT_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  for (const tool of ["bash", "jq", "curl", "shellcheck"]) requireTool(tool);
  await bridge.start();
  await imds.start();
  mkdirSync(standinBin);
  writeFileSync(join(standinBin, "aws"), STANDIN_AWS, { mode: 0o755 });
  env = {
    // the stand-in first on PATH as well, should anything call plain `aws`
    PATH: `${standinBin}:${process.env.PATH}`,
    [BRIDGE_AGENT_ENV.aws]: join(standinBin, "aws"),
    [BRIDGE_AGENT_ENV.imdsUrl]: urlOf(imds.server),
    [BRIDGE_AGENT_ENV.restUrl]: urlOf(bridge.server),
    [BRIDGE_AGENT_ENV.agentState]: stateFile,
    [BRIDGE_AGENT_ENV.pollSeconds]: "0.2",
    AWS_STANDIN_LOG: awsLog,
    AWS_STANDIN_PARAMETERS: parametersFile,
  };
});

afterAll(async () => {
  await Promise.all([bridge.server, imds.server].map((s) => new Promise<void>((done) => s.close(() => done()))));
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------

describe("shellcheck", () => {
  // every executable the bridge receives, exactly as its user-data carries it
  const scripts = renderBridgeFiles(BRIDGE_VALUES).filter((f) => f.permissions === "0755");

  it("covers the bootstrap and the three agents", () => {
    expect(scripts.map((f) => f.path).sort()).toEqual(
      [
        "/usr/local/sbin/jitsi-bridge-bootstrap",
        "/usr/local/sbin/jitsi-bridge-registry-agent",
        "/usr/local/sbin/jitsi-bridge-stress-publisher",
        "/usr/local/sbin/jitsi-bridge-termination-watcher",
      ].sort(),
    );
  });

  it.each(scripts.map((f) => [f.path, f.content]))("passes on %s", (_path, content) => {
    expect(shellcheck(content)).toEqual({ status: 0, output: "" });
  });

  it("is a real check: it flags a script with an unquoted variable", () => {
    expect(shellcheck("#!/bin/bash\nrm -rf $1/tmp\n").status).not.toBe(0);
  });
});

describe("registry agent", () => {
  let agent: string;
  const addBody = (shard: RegistryEntry) => ({
    id: shard.id,
    hostname: shard.address,
    port: "5222",
    domain: `auth.${shard.domain}`,
    username: "jvb",
    password: PASSWORDS[shard.id],
    muc_jids: `JvbBrewery@internal.auth.${shard.domain}`,
    muc_nickname: INSTANCE_ID,
    disable_certificate_verification: "true",
    iq_handler_mode: "sync",
  });
  const list = { method: "GET", path: "/colibri/muc-client/list" };
  const add = (shard: RegistryEntry) => ({ method: "POST", path: "/colibri/muc-client/add", body: addBody(shard) });
  const remove = (id: string) => ({ method: "POST", path: "/colibri/muc-client/remove", body: { id } });
  const state = () => JSON.parse(readFileSync(stateFile, "utf8"));

  beforeAll(() => {
    agent = write("jitsi-bridge-registry-agent", renderRegistryAgentScript(BRIDGE_VALUES));
  });
  beforeEach(resetCalls);

  it("adds exactly one connection for a new shard, with the shard's password and this bridge's nickname", async () => {
    setParameters(renderShardRegistry([EU1]));
    const r = await run(agent);
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(bridge.calls).toEqual([list, add(EU1)]);
    expect(bridge.clients.get(EU1.id)).toMatchObject({ HOSTNAME: "10.10.1.5", MUC_NICKNAME: INSTANCE_ID });
    expect(awsCalls()).toEqual([
      ["ssm", "get-parameter", "--region", "eu-west-1", "--name", "/jitsi/dev/registry", "--query", "Parameter.Value", "--output", "text"], // prettier-ignore
      ["ssm", "get-parameter", "--region", "eu-west-1", "--with-decryption", "--name", "/jitsi/dev/shards/eu-west-1-eu1/jvb-password", "--query", "Parameter.Value", "--output", "text"], // prettier-ignore
    ]);
    expect(state()).toEqual({ [EU1.id]: { address: EU1.address, domain: EU1.domain } });
    expect(r.stderr).toContain("connected to shard eu-west-1-eu1");
    expect(r.stderr).not.toContain(PASSWORDS[EU1.id]);
    // IMDSv2: every metadata read carried a session token
    expect(imds.gets.length).toBeGreaterThan(0);
    expect(imds.gets.every((g) => g.withToken)).toBe(true);
  });

  it("makes no call besides the list when nothing changed", async () => {
    const r = await run(agent);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(bridge.calls).toEqual([list]);
    expect(awsCalls().map((c) => c.slice(0, 2))).toEqual([["ssm", "get-parameter"]]); // no password fetched
  });

  it("adds exactly one connection when a second shard appears", async () => {
    setParameters(renderShardRegistry([EU1, US1]));
    expect((await run(agent)).code).toBe(0);
    expect(bridge.calls).toEqual([list, add(US1)]);
    expect([...bridge.clients.keys()].sort()).toEqual([EU1.id, US1.id]);
  });

  it("keeps a drained shard connected: its conferences still need bridges", async () => {
    setParameters(renderShardRegistry([{ ...EU1, state: "drain" }, US1]));
    expect((await run(agent)).code).toBe(0);
    expect(bridge.calls).toEqual([list]);
  });

  it("removes the connection of a shard that left the registry", async () => {
    setParameters(renderShardRegistry([US1]));
    const r = await run(agent);
    expect(r.code).toBe(0);
    expect(bridge.calls).toEqual([list, remove(EU1.id)]);
    expect([...bridge.clients.keys()]).toEqual([US1.id]);
    expect(state()).toEqual({ [US1.id]: { address: US1.address, domain: US1.domain } });
    expect(r.stderr).toContain("removed the connection eu-west-1-eu1");
  });

  it("removes then adds a shard whose address changed", async () => {
    const moved = { ...US1, address: "10.20.3.9" };
    setParameters(renderShardRegistry([moved]));
    expect((await run(agent)).code).toBe(0);
    expect(bridge.calls).toEqual([list, remove(US1.id), add(moved)]);
    expect(bridge.clients.get(US1.id)).toMatchObject({ HOSTNAME: "10.20.3.9" });
    expect(state()).toEqual({ [US1.id]: { address: "10.20.3.9", domain: US1.domain } });
  });

  it("connects again a bridge that lost its connections (restarted) and drops one that is no shard", async () => {
    const moved = { ...US1, address: "10.20.3.9" };
    bridge.clients.clear();
    // the package's default connection, had it survived
    bridge.clients.set("shard", { HOSTNAME: "localhost" });
    expect((await run(agent)).code).toBe(0);
    expect(bridge.calls).toEqual([list, remove("shard"), add(moved)]);
    expect([...bridge.clients.keys()]).toEqual([US1.id]);
  });

  it.each<[string, string, RegExp]>([
    ["text that is no JSON", '{"version": 1, "shards": [', /parse error/],
    ["a shard without an address", JSON.stringify({ version: 1, shards: [{ id: "x-1", domain: "a.example.com" }] }), /shard x-1: address null is missing or malformed/], // prettier-ignore
    ["an address that is a shell command", renderShardRegistry([{ ...EU1, address: "10.0.0.1; reboot" }]), /address "10.0.0.1; reboot"/], // prettier-ignore
    ["a domain with a space", renderShardRegistry([{ ...EU1, domain: "meet example.com" }]), /domain "meet example.com"/], // prettier-ignore
    ["another version", JSON.stringify({ version: 2, shards: [] }), /version 2, expected 1/],
    ["the same id twice", renderShardRegistry([EU1, { ...EU1, address: "10.10.1.6" }]), /duplicate shard ids/],
    [
      "two documents",
      `${renderShardRegistry([EU1])}${renderShardRegistry([US1])}`,
      /expected one JSON document, got 2/,
    ],
  ])("changes nothing and says why for %s (non-zero exit)", async (_what, registry, reason) => {
    const before = readFileSync(stateFile, "utf8");
    const clients = [...bridge.clients.entries()];
    setParameters(registry);
    const r = await run(agent);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/jitsi/dev/registry refused, nothing changed");
    expect(r.stderr).toMatch(reason);
    expect(bridge.calls).toEqual([]);
    expect([...bridge.clients.entries()]).toEqual(clients);
    expect(readFileSync(stateFile, "utf8")).toBe(before);
    expect(awsCalls()).toHaveLength(1); // the registry only, no password
  });

  it("changes nothing when the registry cannot be read", async () => {
    setParameters(undefined);
    const r = await run(agent);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot read /jitsi/dev/registry: nothing changed");
    expect(bridge.calls).toEqual([]);
  });

  it("changes nothing when the bridge's REST API does not answer", async () => {
    setParameters(renderShardRegistry([EU1, US1]));
    bridge.gone = true;
    try {
      const r = await run(agent);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the bridge's REST API does not answer");
      expect(awsCalls()).toHaveLength(1);
    } finally {
      bridge.gone = false;
    }
  });
});

describe("stress publisher", () => {
  let publisher: string;
  beforeAll(() => {
    publisher = write("jitsi-bridge-stress-publisher", renderStressPublisherScript(BRIDGE_VALUES));
  });
  beforeEach(() => {
    resetCalls();
    bridge.gracefulShutdown = false;
  });

  it("puts stress_level and the participants into the namespace, with the pool as the only dimension", async () => {
    bridge.stress = 0.42;
    bridge.participants = 7;
    const r = await run(publisher);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(bridge.calls).toEqual([{ method: "GET", path: "/colibri/stats" }]);
    const calls = awsCalls();
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.slice(0, 7)).toEqual([
      "cloudwatch",
      "put-metric-data",
      "--region",
      "eu-west-1",
      "--namespace",
      "Jitsi/Bridges",
      "--metric-data",
    ]);
    expect(call).toHaveLength(8);
    const pool = [{ Name: "Pool", Value: "jitsi-dev-eu-west-1-jvb" }];
    expect(JSON.parse(call[7])).toEqual([
      { MetricName: "StressLevel", Dimensions: pool, Value: 0.42, Unit: "None" },
      { MetricName: "Participants", Dimensions: pool, Value: 7, Unit: "Count" },
    ]);
  });

  it("publishes nothing while the bridge shuts down gracefully", async () => {
    bridge.gracefulShutdown = true;
    const r = await run(publisher);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("graceful shutdown in progress");
    expect(awsCalls()).toEqual([]);
  });

  it("fails without publishing when the bridge does not answer", async () => {
    bridge.gone = true;
    try {
      const r = await run(publisher);
      expect(r.code).toBe(1);
      expect(awsCalls()).toEqual([]);
    } finally {
      bridge.gone = false;
    }
  });
});

describe("termination watcher", () => {
  /** Starts the watcher; resolves with its exit code and output once it exits (killed after `limitMs`). */
  function watch(values: BridgeRenderValues, name: string, limitMs = 20_000) {
    const script = write(name, renderTerminationWatcherScript(values));
    const child = spawn(script, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const killer = setTimeout(() => child.kill(), limitMs);
    const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
      child.on("exit", (code) => {
        clearTimeout(killer);
        resolve({ code, output });
      }),
    );
    return { child, exited };
  }
  const lifecycle = (command: string) => awsCalls().filter((c) => c[0] === "autoscaling" && c[1] === command);
  const identity = [
    "--region",
    "eu-west-1",
    "--auto-scaling-group-name",
    "jitsi-dev-eu-west-1-jvb",
    "--lifecycle-hook-name",
    "jitsi-dev-eu-west-1-jvb-drain",
    "--instance-id",
    INSTANCE_ID,
  ];

  beforeEach(() => {
    resetCalls();
    bridge.gracefulShutdown = false;
    bridge.gone = false;
    imds.lifecycleState = undefined;
  });

  it("waits while in service, then shuts down gracefully, beats while participants remain, completes at zero", async () => {
    bridge.participants = 2;
    const { child, exited } = watch({ ...BRIDGE_VALUES, heartbeatIntervalSeconds: 1 }, "watcher-main");
    try {
      // before the group sets the state (404), then InService: nothing happens
      const polls = imds.lifecyclePolls();
      await waitFor("a few polls without a state", () => imds.lifecyclePolls() >= polls + 3);
      imds.lifecycleState = "InService";
      const inService = imds.lifecyclePolls();
      await waitFor("a few polls while in service", () => imds.lifecyclePolls() >= inService + 5);
      expect(bridge.calls).toEqual([]);
      expect(awsCalls()).toEqual([]);

      imds.lifecycleState = "Terminated";
      await waitFor("two heartbeats", () => lifecycle("record-lifecycle-action-heartbeat").length >= 2);
      expect(bridge.posts()).toEqual([
        { method: "POST", path: "/colibri/shutdown", body: { "graceful-shutdown": true } },
      ]);
      expect(bridge.gracefulShutdown).toBe(true);
      expect(lifecycle("record-lifecycle-action-heartbeat")[0]).toEqual([
        "autoscaling",
        "record-lifecycle-action-heartbeat",
        ...identity,
      ]);
      expect(lifecycle("complete-lifecycle-action")).toEqual([]);

      bridge.participants = 0;
      const { code, output } = await exited;
      expect(code).toBe(0);
      expect(lifecycle("complete-lifecycle-action")).toEqual([
        ["autoscaling", "complete-lifecycle-action", "--lifecycle-action-result", "CONTINUE", ...identity],
      ]);
      // the completion is the last call, after the last heartbeat
      expect(awsCalls().at(-1)?.[1]).toBe("complete-lifecycle-action");
      expect(output).toContain("no participants left");
      expect(imds.gets.every((g) => g.withToken)).toBe(true);
    } finally {
      child.kill();
    }
  });

  it("completes when the cap passes even though participants remain", async () => {
    bridge.participants = 3;
    imds.lifecycleState = "Terminated";
    const started = Date.now();
    const { child, exited } = watch(
      { ...BRIDGE_VALUES, heartbeatIntervalSeconds: 1, gracefulShutdownSeconds: 2 },
      "watcher-cap",
    );
    try {
      const { code, output } = await exited;
      expect(code).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      expect(lifecycle("record-lifecycle-action-heartbeat").length).toBeGreaterThanOrEqual(1);
      expect(lifecycle("complete-lifecycle-action")).toHaveLength(1);
      expect(output).toContain("cap of 2s reached with 3 participant(s) left");
    } finally {
      child.kill();
    }
  });

  it("counts a bridge that no longer answers as empty and completes at once", async () => {
    bridge.participants = 5;
    bridge.gone = true;
    imds.lifecycleState = "Terminated";
    const { child, exited } = watch({ ...BRIDGE_VALUES, heartbeatIntervalSeconds: 1 }, "watcher-gone");
    try {
      const { code, output } = await exited;
      expect(code).toBe(0);
      expect(output).toContain("did not accept the graceful shutdown");
      expect(lifecycle("record-lifecycle-action-heartbeat")).toEqual([]);
      expect(lifecycle("complete-lifecycle-action")).toHaveLength(1);
    } finally {
      child.kill();
    }
  });
});
