// The smoke check as a function of its arguments and a few dependencies (AWS, the stack outputs, a clock, the output
// streams), so that a test can run the whole command against stand-ins. scripts/smoke.ts wires the real ones.
//
// Each round: find the edge nodes (EC2, by tags) unless an output lists them, run the node scripts
// (smoke-commands.ts) on every shard's signalling node and every edge node through SSM Run Command, one command per
// instance (a SendCommand naming an instance SSM does not manage fails as a whole), parse and judge the answers
// (smoke-parse.ts, smoke-report.ts). Rounds repeat until everything is healthy or --timeout has passed; between
// rounds one progress line goes to stderr. The final tables go to stdout.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { HAPROXY_NAMES } from "../../components/render/haproxy";
import { edgeCheckScript, runShellScriptCommands, shardCheckScript } from "./smoke-commands";
import {
  edgeInstancesFrom,
  invocationFrom,
  missingEdgeNodes,
  OutputsError,
  parseStackOutputs,
  type DescribeInstancesAnswer,
  type EdgeTarget,
  type InvocationAnswer,
  type SmokeTargets,
} from "./smoke-parse";
import {
  evaluate,
  observeEdge,
  observeShard,
  progressLine,
  renderReport,
  type NodeOutcome,
  type SmokeReport,
} from "./smoke-report";

// ---------------------------------------------------------------------------------------------------------------
// Dependencies

/** The three AWS calls, in the SDK's request and response shapes (scripts/lib/smoke-aws.ts wraps the SDK v3). */
export interface SmokeAws {
  sendCommand(
    region: string,
    input: {
      DocumentName: string;
      InstanceIds: string[];
      Parameters: Record<string, string[]>;
      Comment?: string;
      TimeoutSeconds?: number;
    },
  ): Promise<{ Command?: { CommandId?: string } }>;
  getCommandInvocation(region: string, input: { CommandId: string; InstanceId: string }): Promise<InvocationAnswer>;
  describeInstances(
    region: string,
    input: { Filters: { Name: string; Values: string[] }[]; NextToken?: string },
  ): Promise<DescribeInstancesAnswer>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface SmokeDeps {
  readonly aws: SmokeAws;
  /** The stack's outputs: from `file` when given, else from the Pulumi CLI. */
  readonly readOutputs: (stack: string, file: string | undefined) => Promise<unknown>;
  readonly clock: Clock;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The Project tag's value when --project is not given (the project's name in Pulumi.yaml). */
  readonly defaultProject: string;
  /** How often to ask SSM whether a command has finished (ms). */
  readonly invocationPollMs?: number;
  /** How long one command may take before it counts as failed (ms). */
  readonly commandTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Arguments

export const USAGE = `usage: npm run smoke -- --stack NAME [--timeout SECONDS] [--region-filter REGION[,REGION...]]
                     [--outputs FILE] [--interval SECONDS] [--project NAME]

  --stack          the Pulumi stack (its outputs name the nodes; its name is the Stack tag)
  --timeout        how long to wait for everything to become healthy (default 600)
  --region-filter  check only the shards and edge nodes in these regions (repeatable, comma-separated)
  --outputs        read the stack outputs from this file (\`pulumi stack output --json\`) instead of the CLI
  --interval       seconds between rounds while waiting (default 15)
  --project        the Project tag of the stack's instances (default: the name in Pulumi.yaml)

Exit status: 0 everything healthy, 1 a problem (or AWS refused), 2 usage error.
`;

export class UsageError extends Error {}

export interface SmokeArgs {
  readonly stack: string;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  readonly regionFilter: readonly string[];
  readonly outputsFile?: string;
  readonly project?: string;
  readonly help: boolean;
}

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} must be a number of seconds (0 or more), got ${JSON.stringify(value)}`);
  }
  return n;
}

export function parseSmokeArgs(argv: readonly string[]): SmokeArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        timeout: { type: "string" },
        interval: { type: "string" },
        "region-filter": { type: "string", multiple: true },
        outputs: { type: "string" },
        project: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { stack: "", timeoutSeconds: 0, intervalSeconds: 0, regionFilter: [], help: true };
  if (!v.stack) throw new UsageError("--stack is required");
  const regionFilter = (v["region-filter"] ?? [])
    .flatMap((r) => r.split(","))
    .map((r) => r.trim())
    .filter((r) => r !== "");
  if (v["region-filter"] && regionFilter.length === 0) throw new UsageError("--region-filter names no region");
  return {
    stack: v.stack,
    timeoutSeconds: seconds("timeout", v.timeout, 600),
    intervalSeconds: seconds("interval", v.interval, 15),
    regionFilter: [...new Set(regionFilter)],
    outputsFile: v.outputs,
    project: v.project,
    help: false,
  };
}

/** The Stack tag: Pulumi tags resources with the bare stack name, never `org/` or `org/project/`. */
export function stackTagValue(stack: string): string {
  return stack.split("/").pop() ?? stack;
}

// ---------------------------------------------------------------------------------------------------------------
// Stack outputs

/** `pulumi stack output --json --stack NAME` (the CLI must be logged in to the stack's backend), or a saved file. */
export async function readStackOutputs(
  stack: string,
  file: string | undefined,
  options: { env?: NodeJS.ProcessEnv; pulumi?: string } = {},
): Promise<unknown> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read --outputs ${file}: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--outputs ${file} is not JSON: ${(err as Error).message}`);
    }
  }
  const text = await new Promise<string>((resolve, reject) => {
    execFile(
      options.pulumi ?? "pulumi",
      ["stack", "output", "--json", "--stack", stack],
      { env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const why = (stderr || err.message).trim().split("\n").slice(-3).join(" ");
          reject(new Error(`pulumi stack output --json --stack ${stack} failed: ${why}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`pulumi stack output printed something that is not JSON: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// AWS

/** Errors that waiting will not cure: missing or refused credentials and permissions. */
const FATAL_AWS_ERRORS = new Set([
  "CredentialsProviderError",
  "AccessDeniedException",
  "AccessDenied",
  "UnauthorizedOperation",
  "AuthFailure",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidSignatureException",
]);

class FatalAwsError extends Error {}

function awsMessage(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`.replace(/\s+/g, " ").trim();
}

function rethrowFatal(err: unknown, what: string, stop: { fatal: boolean }): void {
  if (FATAL_AWS_ERRORS.has((err as { name?: string })?.name ?? "")) {
    stop.fatal = true;
    throw new FatalAwsError(`${what}: ${awsMessage(err)}`);
  }
}

interface RunContext {
  readonly aws: SmokeAws;
  readonly clock: Clock;
  readonly pollMs: number;
  readonly commandTimeoutMs: number;
  readonly stack: string;
  /** Set when one call met a fatal error: the other commands stop waiting (the process can exit at once). */
  readonly stop: { fatal: boolean };
}

/** Runs one script on one instance and waits for its result (or gives up after commandTimeoutMs). */
async function runOnInstance(
  ctx: RunContext,
  region: string,
  instanceId: string,
  script: string,
): Promise<NodeOutcome> {
  let commandId: string | undefined;
  try {
    const sent = await ctx.aws.sendCommand(region, {
      DocumentName: "AWS-RunShellScript",
      InstanceIds: [instanceId],
      Parameters: {
        commands: runShellScriptCommands(script),
        executionTimeout: [String(Math.max(30, Math.ceil(ctx.commandTimeoutMs / 1000)))],
      },
      Comment: `jitsi smoke check (${ctx.stack})`.slice(0, 100),
      TimeoutSeconds: 60,
    });
    commandId = sent.Command?.CommandId;
  } catch (err) {
    rethrowFatal(err, `ssm:SendCommand in ${region}`, ctx.stop);
    return { error: `ssm:SendCommand: ${awsMessage(err)}` };
  }
  if (!commandId) return { error: "ssm:SendCommand returned no command id" };
  const deadline = ctx.clock.now() + ctx.commandTimeoutMs;
  let last = "Pending";
  for (;;) {
    await ctx.clock.sleep(ctx.pollMs);
    if (ctx.stop.fatal) return { error: "stopped" };
    try {
      const answer = await ctx.aws.getCommandInvocation(region, { CommandId: commandId, InstanceId: instanceId });
      const invocation = invocationFrom(answer);
      if (invocation.done) return { invocation };
      last = answer.Status ?? last;
    } catch (err) {
      rethrowFatal(err, `ssm:GetCommandInvocation in ${region}`, ctx.stop);
      // Right after SendCommand the invocation may not exist yet.
      if ((err as { name?: string })?.name !== "InvocationDoesNotExist") {
        return { error: `ssm:GetCommandInvocation: ${awsMessage(err)}` };
      }
    }
    if (ctx.clock.now() >= deadline) {
      return { error: `no result after ${Math.round(ctx.commandTimeoutMs / 1000)} s (command ${commandId}: ${last})` };
    }
  }
}

/** The stack's edge instances in one region, by tags (every page of DescribeInstances). */
async function discoverEdges(ctx: RunContext, project: string, region: string): Promise<EdgeTarget[]> {
  const nodes: EdgeTarget[] = [];
  let token: string | undefined;
  do {
    let answer: DescribeInstancesAnswer;
    try {
      answer = await ctx.aws.describeInstances(region, {
        Filters: [
          { Name: "tag:Project", Values: [project] },
          { Name: "tag:Stack", Values: [stackTagValue(ctx.stack)] },
          { Name: "tag:Role", Values: ["edge"] },
          { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
        ],
        NextToken: token,
      });
    } catch (err) {
      rethrowFatal(err, `ec2:DescribeInstances in ${region}`, ctx.stop);
      throw new Error(`ec2:DescribeInstances in ${region}: ${awsMessage(err)}`);
    }
    nodes.push(...edgeInstancesFrom(region, answer));
    token = answer.NextToken;
  } while (token);
  return nodes.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------------
// The command

interface Plan {
  readonly targets: SmokeTargets;
  readonly shards: SmokeTargets["shards"];
  readonly edgeRegions: readonly string[];
  readonly project: string;
}

async function checkOnce(ctx: RunContext, plan: Plan): Promise<SmokeReport> {
  const general: string[] = [];
  const edgeRegions: { region: string; found: number }[] = [];
  let edges: EdgeTarget[] = [];
  if (plan.targets.edgeNodes) {
    edges = plan.targets.edgeNodes.filter((e) => plan.edgeRegions.includes(e.region));
    for (const region of plan.edgeRegions) {
      edgeRegions.push({ region, found: edges.filter((e) => e.region === region).length });
    }
  } else {
    const found = await Promise.all(
      plan.edgeRegions.map(async (region) => {
        try {
          return await discoverEdges(ctx, plan.project, region);
        } catch (err) {
          if (err instanceof FatalAwsError) throw err;
          general.push((err as Error).message);
          return undefined;
        }
      }),
    );
    plan.edgeRegions.forEach((region, i) => {
      const list = found[i];
      if (list) {
        edges.push(...list);
        edgeRegions.push({ region, found: list.length });
        const expected = plan.targets.expectedEdgeNodes.filter((e) => e.region === region);
        for (const missing of missingEdgeNodes(expected, list)) {
          const address = missing.address ? ` (${missing.address})` : "";
          general.push(`edge node ${missing.name}${address}: no instance with the stack's tags`);
        }
      }
    });
  }
  const shardScript = shardCheckScript();
  const edgeScript = edgeCheckScript();
  const [shardOutcomes, edgeOutcomes] = await Promise.all([
    Promise.all(plan.shards.map((s) => runOnInstance(ctx, s.region, s.instanceId, shardScript))),
    Promise.all(
      edges.map((e) =>
        e.state === undefined || e.state === "running"
          ? runOnInstance(ctx, e.region, e.instanceId, edgeScript)
          : Promise.resolve<NodeOutcome>({ error: `instance is ${e.state}` }),
      ),
    ),
  ]);
  return evaluate({
    stack: ctx.stack,
    allShards: plan.targets.shards,
    shards: plan.shards.map((s, i) => observeShard(s, shardOutcomes[i])),
    edges: edges.map((e, i) => observeEdge(e, edgeOutcomes[i], HAPROXY_NAMES.backend)),
    bridgeRegions: plan.targets.bridgeRegions,
    edgeRegions,
    general,
  });
}

/** Runs the smoke check; resolves to the exit status (0 healthy, 1 not, 2 usage). */
export async function runSmoke(argv: readonly string[], deps: SmokeDeps): Promise<number> {
  let args: SmokeArgs;
  let plan: Plan;
  try {
    args = parseSmokeArgs(argv);
    if (args.help) {
      deps.stdout(USAGE);
      return 0;
    }
    let targets: SmokeTargets;
    try {
      targets = parseStackOutputs(await deps.readOutputs(args.stack, args.outputsFile));
    } catch (err) {
      if (err instanceof OutputsError && args.outputsFile !== undefined) throw new UsageError(err.message);
      throw err;
    }
    const unknown = args.regionFilter.filter((r) => !targets.regions.includes(r));
    if (unknown.length > 0) {
      throw new UsageError(
        `--region-filter: ${unknown.join(", ")} not in the stack (regions: ${targets.regions.join(", ")})`,
      );
    }
    const keep = (region: string) => args.regionFilter.length === 0 || args.regionFilter.includes(region);
    plan = {
      targets,
      shards: targets.shards.filter((s) => keep(s.region)),
      edgeRegions: targets.edgeRegions.filter(keep),
      project: args.project ?? deps.defaultProject,
    };
    if (plan.shards.length === 0 && plan.edgeRegions.length === 0) {
      throw new UsageError(`nothing to check: no shard and no edge in ${args.regionFilter.join(", ") || "the stack"}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      deps.stderr(`smoke: ${err.message}\n${USAGE}`);
      return 2;
    }
    deps.stderr(`smoke: ${(err as Error).message}\n`);
    return 1;
  }

  const ctx: RunContext = {
    aws: deps.aws,
    clock: deps.clock,
    pollMs: deps.invocationPollMs ?? 1000,
    commandTimeoutMs: deps.commandTimeoutMs ?? 90_000,
    stack: args.stack,
    stop: { fatal: false },
  };
  const notes: string[] = [];
  if (plan.targets.bridgeRegions.length === 0) notes.push("the stack has no bridge pool: no bridge was expected");
  if (args.regionFilter.length > 0) notes.push(`only regions ${args.regionFilter.join(", ")} were checked`);
  const deadline = deps.clock.now() + args.timeoutSeconds * 1000;
  let report: SmokeReport;
  let round = 0;
  for (;;) {
    round += 1;
    try {
      report = await checkOnce(ctx, plan);
    } catch (err) {
      if (!(err instanceof FatalAwsError)) throw err;
      deps.stderr(`smoke: ${err.message}\n`);
      deps.stderr("smoke: the operator needs ssm:SendCommand, ssm:GetCommandInvocation and ec2:DescribeInstances\n");
      return 1;
    }
    if (report.ok) break;
    const left = deadline - deps.clock.now();
    if (left <= 0) {
      if (round > 1 || args.timeoutSeconds > 0) notes.push(`still not healthy after ${args.timeoutSeconds} s`);
      break;
    }
    deps.stderr(`${progressLine(report, round, left)}\n`);
    await deps.clock.sleep(Math.min(args.intervalSeconds * 1000, left));
  }
  deps.stdout(renderReport(report, notes));
  return report.ok ? 0 : 1;
}
