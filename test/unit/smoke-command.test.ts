// The whole smoke command (runSmoke) against a stand-in for AWS that answers like the SDK: SendCommand returns a
// command id, GetCommandInvocation first does not know the invocation (InvocationDoesNotExist, as SSM answers right
// after SendCommand), then says InProgress, then Success with what the node script printed (built from the recorded
// outputs in test/fixtures/smoke/run-command/), DescribeInstances answers in pages. A fake clock makes the waiting
// loop and the timeout instant. Nothing here reaches AWS or the network; the Pulumi CLI is a stand-in script.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescribeInstancesAnswer, InvocationAnswer } from "../../scripts/lib/smoke-parse";
import {
  parseSmokeArgs,
  readStackOutputs,
  runSmoke,
  stackTagValue,
  UsageError,
  type SmokeAws,
  type SmokeDeps,
} from "../../scripts/lib/smoke-run";

const FIXTURES = join(__dirname, "..", "fixtures", "smoke");
const OUTPUTS_FILE = join(FIXTURES, "stack-outputs.json");
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as unknown;
const recordedStdout = (name: string) =>
  (fixture(join("run-command", name)) as InvocationAnswer).StandardOutputContent!;

const EU1 = "i-0e1f2a3b4c5d6e7f8";
const US1 = "i-0f2a3b4c5d6e7f809";
const EDGE0 = "i-01a2b3c4d5e6f7a8b";
const EDGE1 = "i-01a2b3c4d5e6f7a8c";
const REGION_OF: Record<string, string> = {
  [EU1]: "eu-west-1",
  [US1]: "us-east-1",
  [EDGE0]: "eu-west-1",
  [EDGE1]: "eu-west-1",
};

/** What the shard script prints, with the recorded output's framing and a jicofo that lists `bridges` per region. */
function shardStdout(bridges: Record<string, number>, health = 200): string {
  const bridge: Record<string, unknown> = {};
  for (const [region, n] of Object.entries(bridges)) {
    for (let i = 0; i < n; i++) {
      bridge[`jvbbrewery@internal.auth.meet-dev.example.com/i-${region}-${i}`] = {
        region,
        operational: true,
        healthy: true,
        drain: false,
        "graceful-shutdown": false,
        "shutting-down": false,
      };
    }
  }
  const json = JSON.stringify({ bridge_selector: { strategy: "RegionBasedBridgeSelectionStrategy", bridge } });
  return recordedStdout("shard-success.json")
    .replace(/^### jicofo-bridges\n.*$/m, `### jicofo-bridges\n${json}`)
    .replace(/^### jicofo-health\n200$/m, `### jicofo-health\n${health}`);
}

type NodeAnswer = (send: number) => string | Error;

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** The SDK as the smoke command sees it; `nodes` says what each instance's script prints at its n-th command. */
class StandInAws implements SmokeAws {
  readonly sent: { region: string; instance: string; commands: string[] }[] = [];
  readonly described: { region: string; filters: Record<string, string[]>; token?: string }[] = [];
  private readonly invocations = new Map<string, { polls: number; stdout: string | Error }>();
  private readonly sends = new Map<string, number>();

  constructor(
    readonly nodes: Record<string, NodeAnswer>,
    readonly edgePages: DescribeInstancesAnswer[] = splitPages(fixture("describe-instances-edge.json")),
  ) {}

  async sendCommand(region: string, input: Parameters<SmokeAws["sendCommand"]>[1]) {
    expect(input.DocumentName).toBe("AWS-RunShellScript");
    expect(input.InstanceIds).toHaveLength(1);
    const instance = input.InstanceIds[0];
    const answer = this.nodes[instance];
    if (!answer || REGION_OF[instance] !== region) {
      throw awsError(
        "InvalidInstanceId",
        "Instances [[" + instance + "]] not in a valid state for account 123456789012",
      );
    }
    const n = (this.sends.get(instance) ?? 0) + 1;
    this.sends.set(instance, n);
    this.sent.push({ region, instance, commands: input.Parameters.commands });
    const id = `cmd-${instance}-${n}`;
    this.invocations.set(id, { polls: 0, stdout: answer(n) });
    return { Command: { CommandId: id } };
  }

  async getCommandInvocation(
    _region: string,
    input: { CommandId: string; InstanceId: string },
  ): Promise<InvocationAnswer> {
    const invocation = this.invocations.get(input.CommandId)!;
    invocation.polls += 1;
    if (invocation.polls === 1) throw awsError("InvocationDoesNotExist", "");
    if (invocation.polls === 2) return { Status: "InProgress", StatusDetails: "InProgress", ResponseCode: -1 };
    if (invocation.stdout instanceof Error) throw invocation.stdout;
    return {
      Status: "Success",
      StatusDetails: "Success",
      ResponseCode: 0,
      StandardOutputContent: invocation.stdout,
      StandardErrorContent: "",
    };
  }

  async describeInstances(region: string, input: Parameters<SmokeAws["describeInstances"]>[1]) {
    this.described.push({
      region,
      filters: Object.fromEntries(input.Filters.map((f) => [f.Name, f.Values])),
      token: input.NextToken,
    });
    if (region !== "eu-west-1") return { Reservations: [] };
    const page = input.NextToken === undefined ? 0 : Number(input.NextToken);
    return this.edgePages[page];
  }

  sendsTo(instance: string): number {
    return this.sends.get(instance) ?? 0;
  }
}

/** The recorded DescribeInstances answer as two pages (one reservation each), linked by NextToken. */
function splitPages(answer: unknown): DescribeInstancesAnswer[] {
  const reservations = (answer as DescribeInstancesAnswer).Reservations!;
  return reservations.map((r, i) => ({
    Reservations: [r],
    NextToken: i + 1 < reservations.length ? String(i + 1) : undefined,
  }));
}

const ALL_REGIONS = { "eu-central-1": 1, "eu-west-1": 1, "us-east-1": 1 };
const healthyEdge: NodeAnswer = () => recordedStdout("edge-success.json");

function healthyNodes(): Record<string, NodeAnswer> {
  return {
    [EU1]: () => shardStdout(ALL_REGIONS),
    [US1]: () => shardStdout(ALL_REGIONS),
    [EDGE0]: healthyEdge,
    [EDGE1]: healthyEdge,
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * Virtual time: `sleep` parks the caller; once every concurrent caller is parked (setImmediate runs after the
 * promise jobs), time jumps to the earliest wake-up. Concurrent sleeps overlap as they would in real time.
 */
class VirtualClock {
  now = 1_700_000_000_000;
  private readonly sleepers: { at: number; wake: () => void }[] = [];
  private scheduled = false;

  sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.sleepers.push({ at: this.now + ms, wake });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.advance());
      }
    });

  private advance(): void {
    this.scheduled = false;
    if (this.sleepers.length === 0) return;
    this.now = Math.max(this.now, Math.min(...this.sleepers.map((s) => s.at)));
    for (const sleeper of this.sleepers.filter((s) => s.at <= this.now)) {
      this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
      sleeper.wake();
    }
    if (this.sleepers.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.advance());
    }
  }
}

async function run(argv: string[], aws: SmokeAws, overrides: Partial<SmokeDeps> = {}): Promise<Run> {
  const clock = new VirtualClock();
  const start = clock.now;
  let stdout = "";
  let stderr = "";
  const code = await runSmoke(argv, {
    aws,
    readOutputs: (stack, file) => readStackOutputs(stack, file),
    clock: { now: () => clock.now, sleep: clock.sleep },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    defaultProject: "jitsi",
    invocationPollMs: 1000,
    commandTimeoutMs: 90_000,
    ...overrides,
  });
  return { code, stdout, stderr, elapsedMs: clock.now - start };
}

describe("smoke command against a stand-in AWS", () => {
  it("passes a healthy stack in one round: every shard, every edge node found by tags", async () => {
    const aws = new StandInAws(healthyNodes());
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE], aws);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "eu-west-1-eu1  eu-west-1  i-0e1f2a3b4c5d6e7f8  200     ready  eu-central-1:1 eu-west-1:1 us-east-1:1  ok",
    );
    expect(result.stdout).toContain("edge-0     eu-west-1  i-01a2b3c4d5e6f7a8b  200      2          0      0     ok");
    expect(result.stdout).toContain("edge-1     eu-west-1  i-01a2b3c4d5e6f7a8c  200      2          0      0     ok");
    expect(result.stdout).toMatch(/RESULT: OK, everything is healthy\n$/);
    // One command per instance, in its region; the shard script to shards, the edge script to edge nodes.
    expect(aws.sent.map((s) => [s.region, s.instance])).toEqual([
      ["eu-west-1", EU1],
      ["us-east-1", US1],
      ["eu-west-1", EDGE0],
      ["eu-west-1", EDGE1],
    ]);
    expect(aws.sent[0].commands).toContain('echo "### jicofo-health"');
    expect(aws.sent[2].commands.join("\n")).toContain("show servers state jitsi_shards");
    // Edge nodes by tag, every page, only in the edge region.
    expect(aws.described).toEqual([
      {
        region: "eu-west-1",
        filters: {
          "tag:Project": ["jitsi"],
          "tag:Stack": ["dev"],
          "tag:Role": ["edge"],
          "instance-state-name": ["pending", "running", "stopping", "stopped"],
        },
        token: undefined,
      },
      expect.objectContaining({ region: "eu-west-1", token: "1" }),
    ]);
  });

  it("waits while bridges register, one progress line per round, and passes when they are all there", async () => {
    const growing = (send: number) =>
      shardStdout(
        send === 1
          ? { "eu-west-1": 1 }
          : send === 2
            ? { "eu-west-1": 1, "us-east-1": 1 }
            : { "eu-central-1": 1, "eu-west-1": 2, "us-east-1": 1 },
      );
    const aws = new StandInAws({ ...healthyNodes(), [EU1]: growing, [US1]: growing });
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--interval", "5"], aws);
    expect(result.code).toBe(0);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toEqual([
      "waiting for bridges: eu-west-1-eu1 sees eu-central-1:0 eu-west-1:1 us-east-1:0, " +
        "us-east-1-us1 sees eu-central-1:0 eu-west-1:1 us-east-1:0 (round 1, 597 s left)",
      "waiting for bridges: eu-west-1-eu1 sees eu-central-1:0 eu-west-1:1 us-east-1:1, " +
        "us-east-1-us1 sees eu-central-1:0 eu-west-1:1 us-east-1:1 (round 2, 589 s left)",
    ]);
    expect(aws.sendsTo(EU1)).toBe(3);
    expect(aws.sendsTo(EDGE0)).toBe(3);
    expect(result.stdout).toContain("eu-central-1:1 eu-west-1:2 us-east-1:1  ok");
    expect(result.stdout).toContain("RESULT: OK");
  });

  it("gives up after --timeout with the last round's table and exit status 1", async () => {
    const aws = new StandInAws({ ...healthyNodes(), [US1]: () => shardStdout({ "eu-west-1": 1, "us-east-1": 1 }) });
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--timeout", "30", "--interval", "10"], aws);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).toMatch(
        /^waiting for bridges: .*us-east-1-us1 sees eu-central-1:0 eu-west-1:1 us-east-1:1 \(round \d+/,
      );
    }
    // Rounds stop at the deadline: the last one starts no later than 30 s after the first.
    expect(result.elapsedMs).toBeLessThan(30_000 + 4 * 3000);
    expect(result.stdout).toContain("us-east-1-us1  us-east-1  i-0f2a3b4c5d6e7f809  200     ready  eu-central-1:0");
    expect(result.stdout).toContain("  - shard us-east-1-us1: no usable bridge in eu-central-1");
    expect(result.stdout).toContain("  - still not healthy after 30 s");
    expect(result.stdout).toMatch(/RESULT: FAILED, 1 problem\(s\)\n$/);
  });

  it("with --timeout 0 runs one round and prints no progress line", async () => {
    const aws = new StandInAws({ ...healthyNodes(), [EU1]: () => shardStdout(ALL_REGIONS, 503) });
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--timeout", "0"], aws);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    expect(aws.sendsTo(EU1)).toBe(1);
    expect(result.stdout).toContain("  - shard eu-west-1-eu1: jicofo /about/health answered 503");
  });

  it("reports waiting for things other than bridges on the progress line", async () => {
    const aws = new StandInAws({
      ...healthyNodes(),
      [EDGE1]: (send) => recordedStdout(send === 1 ? "edge-degraded.json" : "edge-success.json"),
    });
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--interval", "5"], aws);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "waiting for: edge eu-west-1 edge-1: HAProxy /haproxy-health answered 503; " +
        "edge eu-west-1 edge-1: us-east-1-us1 is down here (DOWN, check L7STS) (round 1, 597 s left)\n",
    );
  });

  it("checks only the filtered regions", async () => {
    const aws = new StandInAws(healthyNodes());
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--region-filter", "us-east-1"], aws);
    expect(result.code).toBe(0);
    expect(aws.sent.map((s) => s.instance)).toEqual([US1]);
    expect(aws.described).toEqual([]);
    expect(result.stdout).toContain("(no edge node checked)");
    expect(result.stdout).toContain("  - only regions us-east-1 were checked");
  });

  it("reports a node SSM does not manage, and the others as they are", async () => {
    const nodes = healthyNodes();
    delete nodes[US1];
    const aws = new StandInAws(nodes);
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--timeout", "0"], aws);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("us-east-1-us1  us-east-1  i-0f2a3b4c5d6e7f809  ?       ?      ?");
    expect(result.stdout).toContain(
      "  - shard us-east-1-us1: ssm:SendCommand: InvalidInstanceId: Instances [[i-0f2a3b4c5d6e7f809]] not in a valid state",
    );
    expect(result.stdout).toContain("eu-west-1-eu1  eu-west-1  i-0e1f2a3b4c5d6e7f8  200");
  });

  it("reports an edge instance that is not running without sending it anything", async () => {
    const pages = splitPages(fixture("describe-instances-edge.json"));
    const stopped = JSON.parse(JSON.stringify(pages)) as DescribeInstancesAnswer[];
    (stopped[0].Reservations![0].Instances![0] as { State: { Name: string } }).State.Name = "stopped";
    const aws = new StandInAws(healthyNodes(), stopped);
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--timeout", "0"], aws);
    expect(result.code).toBe(1);
    expect(aws.sendsTo(EDGE1)).toBe(0);
    expect(result.stdout).toContain("  - edge eu-west-1 edge-1: instance is stopped");
  });

  it("fails an edge region where no edge instance carries the tags", async () => {
    const aws = new StandInAws(healthyNodes(), [{ Reservations: [] }]);
    const result = await run(
      ["--stack", "org/dev", "--outputs", OUTPUTS_FILE, "--timeout", "0", "--project", "meet"],
      aws,
    );
    expect(result.code).toBe(1);
    expect(aws.described[0].filters["tag:Stack"]).toEqual(["dev"]);
    expect(aws.described[0].filters["tag:Project"]).toEqual(["meet"]);
    expect(result.stdout).toContain(
      [
        "Problems:",
        "  - edge node eu-west-1-edge-0 (10.10.0.20): no instance with the stack's tags",
        "  - edge node eu-west-1-edge-1 (10.10.16.20): no instance with the stack's tags",
        "  - no edge node found in eu-west-1",
        "",
      ].join("\n"),
    );
  });

  it("names the edge node the edges output lists and EC2 does not", async () => {
    const [first] = splitPages(fixture("describe-instances-edge.json"));
    const aws = new StandInAws(healthyNodes(), [{ ...first, NextToken: undefined }]);
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--timeout", "0"], aws);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("edge-1     eu-west-1  i-01a2b3c4d5e6f7a8c  200      2          0      0     ok");
    expect(result.stdout).toContain("  - edge node eu-west-1-edge-0 (10.10.0.20): no instance with the stack's tags");
  });

  it("uses the instances the edges output names, if it names them, instead of EC2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smoke-outputs-"));
    try {
      const outputs = fixture("stack-outputs.json") as { edges: Record<string, { nodes: Record<string, string>[] }> };
      outputs.edges["eu-west-1"].nodes[0].instanceId = EDGE0;
      outputs.edges["eu-west-1"].nodes[1].instanceId = EDGE1;
      writeFileSync(join(dir, "outputs.json"), JSON.stringify(outputs));
      const aws = new StandInAws(healthyNodes());
      const result = await run(["--stack", "dev", "--outputs", join(dir, "outputs.json")], aws);
      expect(result.code).toBe(0);
      expect(aws.described).toEqual([]);
      expect(aws.sent.map((s) => s.instance)).toEqual([EU1, US1, EDGE0, EDGE1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops at once when AWS refuses the credentials", async () => {
    const aws = new StandInAws(healthyNodes());
    aws.sendCommand = async () => {
      throw awsError(
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: ssm:SendCommand",
      );
    };
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE], aws);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("smoke: ssm:SendCommand in eu-west-1: AccessDeniedException: User: arn:aws:iam");
    expect(result.stderr).toContain("ssm:SendCommand, ssm:GetCommandInvocation and ec2:DescribeInstances");
    expect(result.elapsedMs).toBe(0);
  });

  it("stops every other command's wait when one call is refused", async () => {
    const aws = new StandInAws(healthyNodes());
    let polls = 0;
    aws.getCommandInvocation = async (_region, input) => {
      polls += 1;
      if (input.InstanceId === US1) throw awsError("AccessDeniedException", "not authorized: ssm:GetCommandInvocation");
      return { Status: "InProgress" };
    };
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE], aws);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("smoke: ssm:GetCommandInvocation in us-east-1: AccessDeniedException");
    const seen = polls;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(polls).toBe(seen);
    expect(polls).toBeLessThanOrEqual(4);
  });

  it("gives up on a command that never finishes", async () => {
    const aws = new StandInAws(healthyNodes());
    const original = aws.getCommandInvocation.bind(aws);
    aws.getCommandInvocation = async (region, input) =>
      input.InstanceId === US1 ? { Status: "InProgress" } : original(region, input);
    const result = await run(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--timeout", "0"], aws, {
      commandTimeoutMs: 5000,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "  - shard us-east-1-us1: no result after 5 s (command cmd-i-0f2a3b4c5d6e7f809-1: InProgress)",
    );
  });
});

describe("smoke command usage", () => {
  const aws = new StandInAws(healthyNodes());

  it.each([
    [[], "--stack is required"],
    [["--stack", "dev", "--timeout", "soon"], '--timeout must be a number of seconds (0 or more), got "soon"'],
    [["--stack", "dev", "--interval=-1"], "--interval must be a number of seconds"],
    [["--stack", "dev", "--frobnicate"], "Unknown option '--frobnicate'"],
    [["--stack", "dev", "extra"], "Unexpected argument 'extra'"],
    [
      ["--stack", "dev", "--outputs", OUTPUTS_FILE, "--region-filter", "ap-south-1,us-east-1"],
      "--region-filter: ap-south-1 not in the stack",
    ],
    [["--stack", "dev", "--outputs", OUTPUTS_FILE, "--region-filter", "eu-central-1"], "nothing to check"],
    [["--stack", "dev", "--outputs", "/nonexistent/outputs.json"], "cannot read --outputs /nonexistent/outputs.json"],
    [["--stack", "dev", "--outputs", join(FIXTURES, "jicofo-debug.json")], "the stack outputs have no `shardNodes`"],
  ])("%j exits 2 with a reason and the usage", async (argv, reason) => {
    const result = await run(argv, aws);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toContain("usage: npm run smoke -- --stack NAME");
    expect(result.stdout).toBe("");
  });

  it("--help prints the usage and exits 0", async () => {
    const result = await run(["--help"], aws);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Exit status: 0 everything healthy, 1 a problem (or AWS refused), 2 usage error.");
  });

  it("parses repeated and comma-separated region filters", () => {
    expect(parseSmokeArgs(["--stack", "s", "--region-filter", "a,b", "--region-filter", "b, c"]).regionFilter).toEqual([
      "a",
      "b",
      "c",
    ]);
    expect(() => parseSmokeArgs(["--stack", "s", "--region-filter", ","])).toThrow(UsageError);
    expect(parseSmokeArgs(["--stack", "s"])).toMatchObject({ timeoutSeconds: 600, intervalSeconds: 15 });
  });

  it("tags carry the bare stack name", () => {
    expect(stackTagValue("dev")).toBe("dev");
    expect(stackTagValue("acme/dev")).toBe("dev");
    expect(stackTagValue("acme/jitsi/dev")).toBe("dev");
  });
});

describe("stack outputs from the Pulumi CLI", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "smoke-pulumi-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakePulumi(body: string): string {
    const path = join(dir, "pulumi");
    writeFileSync(path, `#!/bin/sh\necho "$@" > "${dir}/args"\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it("runs `pulumi stack output --json --stack NAME` and reads its JSON", async () => {
    const pulumi = fakePulumi(`cat "${OUTPUTS_FILE}"`);
    const outputs = await readStackOutputs("acme/dev", undefined, { pulumi });
    expect(readFileSync(join(dir, "args"), "utf8")).toBe("stack output --json --stack acme/dev\n");
    expect(outputs).toEqual(fixture("stack-outputs.json"));
    const aws = new StandInAws(healthyNodes());
    const result = await run(["--stack", "acme/dev"], aws, {
      readOutputs: (stack, file) => readStackOutputs(stack, file, { pulumi }),
    });
    expect(result.code).toBe(0);
  });

  it("exits 1 with the CLI's complaint when it fails", async () => {
    const pulumi = fakePulumi("echo \"error: no stack named 'dev' found\" >&2; exit 255");
    const result = await run(["--stack", "dev"], new StandInAws(healthyNodes()), {
      readOutputs: (stack, file) => readStackOutputs(stack, file, { pulumi }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "smoke: pulumi stack output --json --stack dev failed: error: no stack named 'dev' found\n",
    );
  });
});
