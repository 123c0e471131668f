// The smoke check's parsers and report, on recorded answers (test/fixtures/smoke/):
// - haproxy-*.txt / *.csv: recorded from Debian's HAProxy 2.6 running the stack's rendered haproxy.cfg on loopback,
//   with stand-in shards (servers-state and show-stat: eu1 up, eu2 drained by the stack's weight 0 and the agent,
//   us1 down (503, agent `down`), us2 drained by the agent; *-weight0: eu2 drained by weight 0 alone with the agent
//   saying `up ready`, which HAProxy shows as UP, and us1 unreachable).
// - run-command/*.json: GetCommandInvocation answers (the SDK's shape) whose standard output is what the node scripts
//   printed when run against a loopback jicofo stand-in and that HAProxy (test/integration/smoke-scripts.test.ts runs
//   the scripts the same way).
// - jicofo-debug.json: jicofo's GET /debug, written from jicofo's sources (JicofoServices.getDebugState,
//   BridgeSelector.debugState, Bridge.debugState): two bridges in eu-west-1 (one in graceful shutdown), one in
//   us-east-1.
// - stack-outputs.json: `pulumi stack output --json` of the dev stack; describe-instances-edge.json: EC2's answer.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  edgeCheckScript,
  JICOFO_BRIDGES_JQ,
  runShellScriptCommands,
  shardCheckScript,
} from "../../scripts/lib/smoke-commands";
import {
  countBridgesByRegion,
  edgeInstancesFrom,
  invocationFrom,
  missingEdgeNodes,
  OutputsError,
  parseHaproxyServers,
  parseHttpStatus,
  parseJicofoBridges,
  parseServersState,
  parseShardStatus,
  parseShowStat,
  parseStackOutputs,
  splitSections,
  type InvocationAnswer,
} from "../../scripts/lib/smoke-parse";
import {
  bridgeSummary,
  evaluate,
  observeEdge,
  observeShard,
  progressLine,
  renderReport,
  type NodeOutcome,
} from "../../scripts/lib/smoke-report";

const FIXTURES = join(__dirname, "..", "fixtures", "smoke");
const text = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const json = (name: string) => JSON.parse(text(name)) as unknown;
const invocation = (name: string) => json(join("run-command", name)) as InvocationAnswer;
const BACKEND = "jitsi_shards";

function outcome(name: string): NodeOutcome {
  const result = invocationFrom(invocation(name));
  if (!result.done) throw new Error(`${name} is not a finished invocation`);
  return { invocation: result };
}

const targets = parseStackOutputs(json("stack-outputs.json"));
const [eu1, us1] = targets.shards;
const edge0 = { region: "eu-west-1", instanceId: "i-01a2b3c4d5e6f7a8b", node: "edge-0", state: "running" };

describe("stack outputs", () => {
  it("reads shards, bridge regions and edge regions from the dev stack's outputs", () => {
    expect(targets).toEqual({
      domain: "meet-dev.example.com",
      regions: ["eu-central-1", "eu-west-1", "us-east-1"],
      shards: [
        { id: "eu-west-1-eu1", region: "eu-west-1", instanceId: "i-0e1f2a3b4c5d6e7f8", stackState: "ready" },
        { id: "us-east-1-us1", region: "us-east-1", instanceId: "i-0f2a3b4c5d6e7f809", stackState: "ready" },
      ],
      bridgeRegions: ["eu-central-1", "eu-west-1", "us-east-1"],
      edgeRegions: ["eu-west-1"],
      expectedEdgeNodes: [
        { region: "eu-west-1", name: "eu-west-1-edge-0", address: "10.10.0.20" },
        { region: "eu-west-1", name: "eu-west-1-edge-1", address: "10.10.16.20" },
      ],
      edgeNodes: undefined,
    });
  });

  it("takes the edge instances from the edges output when its nodes name them", () => {
    const outputs = json("stack-outputs.json") as { edges: Record<string, { nodes: Record<string, string>[] }> };
    outputs.edges["eu-west-1"].nodes[0].instanceId = "i-1";
    expect(parseStackOutputs(outputs).edgeNodes).toBeUndefined();
    outputs.edges["eu-west-1"].nodes[1].instanceId = "i-2";
    expect(parseStackOutputs(outputs).edgeNodes).toEqual([
      { region: "eu-west-1", instanceId: "i-1", node: "edge-0", privateIp: "10.10.0.20" },
      { region: "eu-west-1", instanceId: "i-2", node: "edge-1", privateIp: "10.10.16.20" },
    ]);
  });

  it("finds the edge regions from the roles alone when there is no edges output", () => {
    const outputs = json("stack-outputs.json") as Record<string, unknown>;
    delete outputs.edges;
    expect(parseStackOutputs(outputs)).toMatchObject({ edgeRegions: ["eu-west-1"], expectedEdgeNodes: [] });
  });

  it("keeps a shard's drain state from the shards output", () => {
    const outputs = json("stack-outputs.json") as { shards: { state: string }[] };
    outputs.shards[1].state = "drain";
    expect(parseStackOutputs(outputs).shards[1].stackState).toBe("drain");
  });

  it("refuses outputs without shardNodes, or with a shard node lacking its instance", () => {
    expect(() => parseStackOutputs({ domain: "x" })).toThrow(OutputsError);
    expect(() => parseStackOutputs({ shardNodes: { a: { region: "eu-west-1" } } })).toThrow(/shardNodes.a/);
    expect(() => parseStackOutputs([])).toThrow(/not a JSON object/);
  });
});

describe("EC2 and SSM answers", () => {
  it("lists the edge instances of a DescribeInstances answer by their Node tag", () => {
    expect(edgeInstancesFrom("eu-west-1", json("describe-instances-edge.json") as never)).toEqual([
      {
        region: "eu-west-1",
        instanceId: "i-01a2b3c4d5e6f7a8b",
        node: "edge-0",
        state: "running",
        privateIp: "10.10.0.20",
      },
      {
        region: "eu-west-1",
        instanceId: "i-01a2b3c4d5e6f7a8c",
        node: "edge-1",
        state: "running",
        privateIp: "10.10.16.20",
      },
    ]);
  });

  it("matches found edge instances to the expected nodes by address or Node tag", () => {
    const found = edgeInstancesFrom("eu-west-1", json("describe-instances-edge.json") as never);
    expect(missingEdgeNodes(targets.expectedEdgeNodes, found)).toEqual([]);
    expect(missingEdgeNodes(targets.expectedEdgeNodes, found.slice(0, 1))).toEqual([
      { region: "eu-west-1", name: "eu-west-1-edge-1", address: "10.10.16.20" },
    ]);
    const moved = [{ ...found[1], privateIp: "10.10.16.99" }];
    expect(missingEdgeNodes(targets.expectedEdgeNodes.slice(1), moved)).toEqual([]);
  });

  it("leaves terminated instances out", () => {
    const answer = {
      Reservations: [{ Instances: [{ InstanceId: "i-9", State: { Name: "terminated" }, Tags: [] }] }],
    };
    expect(edgeInstancesFrom("eu-west-1", answer)).toEqual([]);
  });

  it("tells finished invocations from pending ones", () => {
    expect(invocationFrom(invocation("in-progress.json"))).toEqual({ done: false });
    expect(invocationFrom({})).toEqual({ done: false });
    const success = invocationFrom(invocation("shard-success.json"));
    expect(success).toMatchObject({ done: true, ok: true, detail: "Success" });
    expect(invocationFrom(invocation("undeliverable.json"))).toEqual({
      done: true,
      ok: false,
      stdout: "",
      detail: "Failed (Undeliverable), exit -1",
    });
  });
});

describe("node script output", () => {
  it("splits the sections of a shard's output", () => {
    const sections = splitSections(invocation("shard-success.json").StandardOutputContent!);
    expect([...sections.keys()]).toEqual(["jicofo-health", "shard-status", "jicofo-debug-status", "jicofo-bridges"]);
    expect(parseHttpStatus(sections.get("jicofo-health"))).toBe(200);
    expect(parseShardStatus(sections.get("shard-status"))).toBe("ready");
  });

  it("reads curl's 000 as no answer and a missing state file as undefined", () => {
    const sections = splitSections(invocation("shard-jicofo-down.json").StandardOutputContent!);
    expect(parseHttpStatus(sections.get("jicofo-health"))).toBe(0);
    expect(parseShardStatus(sections.get("shard-status"))).toBeUndefined();
    expect(parseHttpStatus("garbage")).toBeUndefined();
    expect(parseShardStatus("")).toBe("(empty)");
    expect(parseShardStatus("drain\n")).toBe("drain");
  });
});

describe("jicofo's bridges", () => {
  it("reads every bridge of the full /debug answer with its region", () => {
    const { strategy, bridges } = parseJicofoBridges(text("jicofo-debug.json"));
    expect(strategy).toBe("RegionBasedBridgeSelectionStrategy");
    expect(bridges.map((b) => [b.jid.split("/")[1], b.region, b.gracefulShutdown])).toEqual([
      ["i-0a1b2c3d4e5f60718", "eu-west-1", false],
      ["i-0b2c3d4e5f6071829", "eu-west-1", true],
      ["i-0c3d4e5f607182930", "us-east-1", false],
    ]);
  });

  it("reads the node script's trimmed form the same way", () => {
    const trimmed = splitSections(invocation("shard-success.json").StandardOutputContent!).get("jicofo-bridges")!;
    expect(trimmed.length).toBeLessThan(text("jicofo-debug.json").length);
    expect(parseJicofoBridges(trimmed)).toEqual(parseJicofoBridges(text("jicofo-debug.json")));
  });

  it("counts usable bridges per expected region, a bridge in graceful shutdown listed but not usable", () => {
    const { bridges } = parseJicofoBridges(text("jicofo-debug.json"));
    const counts = countBridgesByRegion(bridges, ["eu-central-1", "eu-west-1", "us-east-1"]);
    expect(Object.fromEntries(counts)).toEqual({
      "eu-central-1": { usable: 0, total: 0 },
      "eu-west-1": { usable: 1, total: 2 },
      "us-east-1": { usable: 1, total: 1 },
    });
    expect(bridgeSummary(counts)).toBe("eu-central-1:0 eu-west-1:1/2 us-east-1:1");
  });

  it('counts a bridge that reported no region (jicofo prints "null") under ?', () => {
    const debug = { bridge_selector: { bridge: { "b@x/1": { region: "null", operational: true, healthy: true } } } };
    const { bridges } = parseJicofoBridges(debug);
    expect(bridges[0].region).toBeUndefined();
    expect(Object.fromEntries(countBridgesByRegion(bridges, ["eu-west-1"]))).toEqual({
      "?": { usable: 1, total: 1 },
      "eu-west-1": { usable: 0, total: 0 },
    });
  });

  it("reads a jicofo without bridges, and refuses what is not /debug", () => {
    expect(parseJicofoBridges('{"bridge_selector":{"strategy":"X","bridge":{}}}').bridges).toEqual([]);
    expect(() => parseJicofoBridges("")).toThrow(/not JSON \(empty\)/);
    expect(() => parseJicofoBridges("<html>404</html>")).toThrow(/not JSON: <html>/);
    expect(() => parseJicofoBridges('{"healthy":true}')).toThrow(/no bridge_selector/);
  });
});

describe("HAProxy's view of the shards", () => {
  it("reads show servers state: up, drained by weight 0 and agent, down, drained by the agent", () => {
    expect(parseServersState(text("haproxy-servers-state.txt"), BACKEND)).toEqual([
      { name: "eu-west-1-eu1", state: "up", detail: "UP" },
      { name: "eu-west-1-eu2", state: "drain", detail: "DRAIN" },
      { name: "us-east-1-us1", state: "down", detail: "DOWN, check L7STS" },
      { name: "us-east-1-us2", state: "drain", detail: "DRAIN" },
    ]);
  });

  it("reads show stat's CSV the same way (only the backend's servers)", () => {
    const servers = parseShowStat(text("haproxy-show-stat.csv"), BACKEND);
    expect(servers.map((s) => [s.name, s.state])).toEqual([
      ["eu-west-1-eu1", "up"],
      ["eu-west-1-eu2", "drain"],
      ["us-east-1-us1", "down"],
      ["us-east-1-us2", "drain"],
    ]);
    expect(servers[2].detail).toBe("DOWN (agent), check L7STS");
  });

  it("treats the stack's drain (weight 0, shown UP) as drained in both forms", () => {
    const state = parseServersState(text("haproxy-servers-state-weight0.txt"), BACKEND);
    const stats = parseShowStat(text("haproxy-stats-page-weight0.csv"), BACKEND);
    expect(state.map((s) => [s.name, s.state])).toEqual([
      ["eu-west-1-eu1", "up"],
      ["eu-west-1-eu2", "drain"],
      ["us-east-1-us1", "down"],
      ["us-east-1-us2", "up"],
    ]);
    expect(stats.map((s) => [s.name, s.state])).toEqual(state.map((s) => [s.name, s.state]));
    expect(state[1].detail).toBe("weight 0");
    expect(stats[1].detail).toBe("UP, weight 0");
    expect(state[2].detail).toBe("DOWN, check L4CON");
    expect(stats[2].detail).toBe("DOWN, check L4CON");
  });

  it("reads maintenance as down", () => {
    const maint = text("haproxy-servers-state.txt").replace(
      "eu-west-1-eu1 127.0.0.1 2 0 100",
      "eu-west-1-eu1 127.0.0.1 2 1 100",
    );
    expect(parseServersState(maint, BACKEND)[0]).toEqual({ name: "eu-west-1-eu1", state: "down", detail: "MAINT" });
  });

  it("tells the two forms apart and refuses anything else", () => {
    expect(parseHaproxyServers(text("haproxy-show-stat.csv"), BACKEND)).toHaveLength(4);
    expect(parseHaproxyServers(text("haproxy-servers-state.txt"), BACKEND)).toHaveLength(4);
    expect(parseHaproxyServers(text("haproxy-servers-state.txt"), "other")).toEqual([]);
    expect(() => parseHaproxyServers("Unknown command.\n", BACKEND)).toThrow(/show servers state: Unknown command/);
  });
});

describe("observations and verdict", () => {
  const bridgeRegions = targets.bridgeRegions;

  it("a shard that sees no bridge in eu-central-1 fails, and says so", () => {
    const shard = observeShard(eu1, outcome("shard-success.json"));
    expect(shard.jicofoHealth).toBe(200);
    const report = evaluate({
      stack: "dev",
      allShards: targets.shards,
      shards: [shard],
      edges: [],
      bridgeRegions,
      edgeRegions: [],
    });
    expect(report.ok).toBe(false);
    expect(report.shards[0].problems).toEqual(["no usable bridge in eu-central-1"]);
    expect(progressLine(report, 3, 41_500)).toBe(
      "waiting for bridges: eu-west-1-eu1 sees eu-central-1:0 eu-west-1:1/2 us-east-1:1 (round 3, 42 s left)",
    );
  });

  it("a shard whose jicofo does not answer reports health, bridges and switch", () => {
    const shard = observeShard(us1, outcome("shard-jicofo-down.json"));
    const report = evaluate({
      stack: "dev",
      allShards: targets.shards,
      shards: [shard],
      edges: [],
      bridgeRegions,
      edgeRegions: [],
    });
    expect(report.shards[0]).toMatchObject({
      jicofo: "none",
      state: "missing",
      problems: ["jicofo /about/health answered none", "jicofo /debug answered none"],
      notes: ["no drain switch state file (the agent reports drain)"],
    });
  });

  it("an undelivered command is a problem of its own", () => {
    const shard = observeShard(us1, outcome("undeliverable.json"));
    expect(shard.error).toBe("command Failed (Undeliverable), exit -1");
  });

  it("a healthy edge lists every shard up", () => {
    const edge = observeEdge(edge0, outcome("edge-success.json"), BACKEND);
    const report = evaluate({
      stack: "dev",
      allShards: targets.shards,
      shards: [],
      edges: [edge],
      bridgeRegions,
      edgeRegions: [{ region: "eu-west-1", found: 1 }],
    });
    expect(report.ok).toBe(true);
    expect(report.edges[0]).toMatchObject({
      haproxy: "200",
      servers: { up: ["eu-west-1-eu1", "us-east-1-us1"], drain: [], down: [] },
    });
  });

  it("a degraded edge: one shard drained, one down, so the monitor URI fails", () => {
    const edge = observeEdge(edge0, outcome("edge-degraded.json"), BACKEND);
    const report = evaluate({
      stack: "dev",
      allShards: targets.shards,
      shards: [],
      edges: [edge],
      bridgeRegions,
      edgeRegions: [{ region: "eu-west-1", found: 1 }],
    });
    expect(report.edges[0].problems).toEqual([
      "HAProxy /haproxy-health answered 503",
      "us-east-1-us1 is down here (DOWN, check L7STS)",
    ]);
    expect(report.edges[0].servers).toEqual({ up: [], drain: ["eu-west-1-eu1"], down: ["us-east-1-us1"] });
  });

  it("an edge whose HAProxy is stopped", () => {
    const edge = observeEdge(edge0, outcome("edge-haproxy-stopped.json"), BACKEND);
    expect(edge.haproxyHealth).toBe(0);
    expect(edge.serversError).toMatch(/^runtime API: not HAProxy's show servers state: cannot query \/run\/haproxy/);
  });

  it("an edge that lists a shard as up while the stack drains it, or lacks one, fails", () => {
    const draining = targets.shards.map((s) => (s.id === "us-east-1-us1" ? { ...s, stackState: "drain" } : s));
    const edge = observeEdge(edge0, outcome("edge-success.json"), BACKEND);
    const extra = [...draining, { id: "us-east-1-us9", region: "us-east-1", instanceId: "i-9", stackState: "ready" }];
    const report = evaluate({
      stack: "dev",
      allShards: extra,
      shards: [],
      edges: [edge],
      bridgeRegions,
      edgeRegions: [{ region: "eu-west-1", found: 1 }],
    });
    expect(report.edges[0].problems).toEqual([
      "us-east-1-us1 takes new rooms here, but the stack drains it (stale configuration?)",
      "not in the backend: us-east-1-us9",
    ]);
  });

  it("an edge region without nodes fails", () => {
    const report = evaluate({
      stack: "dev",
      allShards: targets.shards,
      shards: [],
      edges: [],
      bridgeRegions,
      edgeRegions: [{ region: "eu-west-1", found: 0 }],
    });
    expect(report).toMatchObject({ ok: false, general: ["no edge node found in eu-west-1"] });
  });
});

describe("the report", () => {
  it("renders both tables, the problems and the verdict", () => {
    const report = evaluate({
      stack: "dev",
      allShards: targets.shards,
      shards: [observeShard(eu1, outcome("shard-success.json")), observeShard(us1, outcome("shard-jicofo-down.json"))],
      edges: [
        observeEdge(edge0, outcome("edge-degraded.json"), BACKEND),
        observeEdge(
          { ...edge0, node: "edge-1", instanceId: "i-01a2b3c4d5e6f7a8c" },
          outcome("edge-success.json"),
          BACKEND,
        ),
      ],
      bridgeRegions: targets.bridgeRegions,
      edgeRegions: [{ region: "eu-west-1", found: 2 }],
    });
    expect(renderReport(report)).toBe(
      [
        "Smoke check of stack dev: 2 shard(s), 2 edge node(s); bridge regions: eu-central-1 eu-west-1 us-east-1",
        "",
        "SHARD          REGION     INSTANCE             JICOFO  STATE    BRIDGES (usable per region)               RESULT",
        "eu-west-1-eu1  eu-west-1  i-0e1f2a3b4c5d6e7f8  200     ready    eu-central-1:0 eu-west-1:1/2 us-east-1:1  FAIL",
        "us-east-1-us1  us-east-1  i-0f2a3b4c5d6e7f809  none    missing  ?                                         FAIL",
        "",
        "EDGE NODE  REGION     INSTANCE             HAPROXY  SHARDS UP  DRAIN              DOWN               RESULT",
        "edge-0     eu-west-1  i-01a2b3c4d5e6f7a8b  503      0          1 (eu-west-1-eu1)  1 (us-east-1-us1)  FAIL",
        "edge-1     eu-west-1  i-01a2b3c4d5e6f7a8c  200      2          0                  0                  ok",
        "",
        "Problems:",
        "  - shard eu-west-1-eu1: no usable bridge in eu-central-1",
        "  - shard us-east-1-us1: jicofo /about/health answered none",
        "  - shard us-east-1-us1: jicofo /debug answered none",
        "  - edge eu-west-1 edge-0: HAProxy /haproxy-health answered 503",
        "  - edge eu-west-1 edge-0: us-east-1-us1 is down here (DOWN, check L7STS)",
        "",
        "Notes:",
        "  - shard us-east-1-us1: no drain switch state file (the agent reports drain)",
        "",
        "RESULT: FAILED, 5 problem(s)",
        "",
      ].join("\n"),
    );
  });
});

describe("node scripts", () => {
  it("use the stack's paths and ports", () => {
    const shard = shardCheckScript();
    expect(shard).toContain(
      "curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8888/about/health",
    );
    expect(shard).toContain("http://127.0.0.1:8888/debug");
    expect(shard).toContain("cat /etc/jitsi/shard-status");
    expect(shard).toContain(JICOFO_BRIDGES_JQ);
    const edge = edgeCheckScript();
    expect(edge).toContain("http://127.0.0.1:80/haproxy-health");
    expect(edge).toContain('/run/haproxy/admin.sock "show servers state jitsi_shards"');
  });

  it("never put a single quote inside the single-quoted programs", () => {
    expect(JICOFO_BRIDGES_JQ).not.toContain("'");
    const programs = [...edgeCheckScript().matchAll(/python3 -c '\n([\s\S]*?)\n' /g)].map((m) => m[1]);
    expect(programs).toHaveLength(2);
    for (const program of programs) expect(program).not.toContain("'");
  });

  it("refuse values that would need quoting", () => {
    expect(() => shardCheckScript({ jicofoUrl: "http://x/$(id)", stateFile: "/s" })).toThrow(/refusing/);
  });

  it("become AWS-RunShellScript's commands one line each", () => {
    const commands = runShellScriptCommands(shardCheckScript());
    expect(commands[0]).toBe("#!/bin/sh");
    expect(commands.at(-1)).toBe("exit 0");
    expect(commands.join("\n") + "\n").toBe(shardCheckScript());
  });
});
