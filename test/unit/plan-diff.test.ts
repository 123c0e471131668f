// Comparing two offline plans for a pull request comment: added, changed and removed resources,
// grouped per region and type, and the head's topology.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  canonical,
  commentMarker,
  diffMarkdown,
  diffPlans,
  groupByRegionAndType,
  mermaidBlock,
} from "../../scripts/lib/plan-diff";
import type { PlannedResource } from "../../scripts/lib/plan-output";
import { ROOT } from "../harness";

const urn = (type: string, name: string) => `urn:pulumi:dev::jitsi::${type}::${name}`;
const provider = (region: string) => urn("pulumi:providers:aws", `jitsi-${region}-provider`);

function resource(type: string, name: string, region: string | null, inputs: unknown): PlannedResource {
  return { urn: urn(type, name), type, name, parent: null, provider: region && provider(region), region, inputs };
}

const SG_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const PARAMETER = "aws:ssm/parameter:Parameter";
const VPC = "aws:ec2/vpc:Vpc";

const base: PlannedResource[] = [
  resource(VPC, "jitsi-eu-west-1-network-vpc", "eu-west-1", { cidrBlock: "10.10.0.0/16", tags: { Name: "a" } }),
  resource(VPC, "jitsi-ap-south-1-network-vpc", "ap-south-1", { cidrBlock: "10.30.0.0/16" }),
  resource(SG_RULE, "jitsi-eu-west-1-sg-signalling-in-tcp-5222-from-ap-south-1", "eu-west-1", {
    ipProtocol: "tcp",
    fromPort: 5222,
    toPort: 5222,
    cidrIpv4: "10.30.0.0/16",
  }),
  resource(PARAMETER, "jitsi-registry-eu-west-1", "eu-west-1", { type: "String", insecureValue: '{"version":1}' }),
];

const head: PlannedResource[] = [
  // same inputs, other key order: unchanged
  resource(VPC, "jitsi-eu-west-1-network-vpc", "eu-west-1", { tags: { Name: "a" }, cidrBlock: "10.10.0.0/16" }),
  resource(VPC, "jitsi-us-east-1-network-vpc", "us-east-1", { cidrBlock: "10.20.0.0/16" }),
  resource(SG_RULE, "jitsi-eu-west-1-sg-signalling-in-tcp-5222-from-us-east-1", "eu-west-1", {
    ipProtocol: "tcp",
    fromPort: 5222,
    toPort: 5222,
    cidrIpv4: "10.20.0.0/16",
  }),
  resource(PARAMETER, "jitsi-registry-eu-west-1", "eu-west-1", { type: "String", insecureValue: '{"version":2}' }),
];

describe("diffPlans", () => {
  it("finds what was added, changed (by inputs) and removed, keyed by URN", () => {
    const diff = diffPlans(base, head);
    expect(diff.added.map((r) => r.name)).toEqual([
      "jitsi-us-east-1-network-vpc",
      "jitsi-eu-west-1-sg-signalling-in-tcp-5222-from-us-east-1",
    ]);
    expect(diff.removed.map((r) => r.name)).toEqual([
      "jitsi-ap-south-1-network-vpc",
      "jitsi-eu-west-1-sg-signalling-in-tcp-5222-from-ap-south-1",
    ]);
    expect(diff.changed.map((c) => [c.after.name, c.keys])).toEqual([["jitsi-registry-eu-west-1", ["insecureValue"]]]);
    expect(diff.unchanged).toBe(1);
  });

  it("sees a new provider as a change even when the inputs are equal", () => {
    const moved = { ...base[0], provider: provider("eu-central-1") };
    expect(diffPlans([base[0]], [moved]).changed.map((c) => c.keys)).toEqual([["(provider)"]]);
  });

  it("reports nothing for equal plans", () => {
    expect(diffPlans(base, [...base].reverse())).toEqual({ added: [], removed: [], changed: [], unchanged: 4 });
  });

  it("compares values, not key order", () => {
    expect(canonical({ b: [1, { d: 1, c: 2 }], a: null })).toBe(canonical({ a: null, b: [1, { c: 2, d: 1 }] }));
    expect(canonical({ a: 1, b: undefined })).toBe(canonical({ a: 1 }));
  });
});

describe("the pull request comment", () => {
  const summary = [
    "# Offline plan",
    "",
    "## Topology",
    "",
    "```mermaid",
    "flowchart LR",
    '  users(["users: meet.example.com"])',
    "```",
    "",
    "## Security groups",
  ].join("\n");

  it("groups changes per region and type", () => {
    expect(groupByRegionAndType(diffPlans(base, head))).toEqual([
      { region: "ap-south-1", type: VPC, added: 0, changed: 0, removed: 1 },
      { region: "eu-west-1", type: PARAMETER, added: 0, changed: 1, removed: 0 },
      { region: "eu-west-1", type: SG_RULE, added: 1, changed: 0, removed: 1 },
      { region: "us-east-1", type: VPC, added: 1, changed: 0, removed: 0 },
    ]);
  });

  it("takes the topology diagram from the head's summary.md", () => {
    expect(mermaidBlock(summary)).toBe('```mermaid\nflowchart LR\n  users(["users: meet.example.com"])\n```');
    expect(mermaidBlock("# no diagram")).toBeUndefined();
  });

  it("says what changes, per region and type, lists each resource and shows the head's topology", () => {
    const md = diffMarkdown({
      diff: diffPlans(base, head),
      stack: "dev",
      base: "main",
      head: "abc1234",
      headSummary: summary,
    });
    expect(md.startsWith(`${commentMarker("dev")}\n### Offline plan of stack \`dev\`: \`main\` → \`abc1234\``)).toBe(
      true,
    );
    expect(md).toContain("**2 to add, 1 to change, 2 to remove** (1 unchanged).");
    expect(md).toContain(`| eu-west-1 | \`${SG_RULE}\` | +1 |  | -1 |`);
    expect(md).toContain(`| eu-west-1 | \`${PARAMETER}\` |  | ~1 |  |`);
    expect(md).toContain(`- \`jitsi-registry-eu-west-1\` (eu-west-1, \`${PARAMETER}\`): \`insecureValue\``);
    expect(md).toContain("<details><summary>Removed (2)</summary>");
    expect(md).toContain("#### Topology at `abc1234`\n\n```mermaid\nflowchart LR");
  });

  it("says so when nothing changes, and cuts long lists", () => {
    expect(diffMarkdown({ diff: diffPlans(base, base), stack: "dev", base: "a", head: "b" })).toContain(
      "No resource changes (4 unchanged).",
    );
    const md = diffMarkdown({ diff: diffPlans([], head), stack: "dev", base: "a", head: "b", maxListed: 1 });
    expect(md).toContain("<details><summary>Added (4)</summary>");
    expect(md).toContain("- … and 3 more");
  });
});

describe("scripts/plan-diff.ts", () => {
  const run = promisify(execFile);

  it("reads two plan folders and writes the comment; a base without a plan compares as empty", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-diff-"));
    for (const [name, plan] of [
      ["base", base],
      ["head", head],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "resources.json"), JSON.stringify(plan));
    }
    writeFileSync(join(dir, "head", "summary.md"), "```mermaid\nflowchart LR\n```\n");
    const cli = [join(ROOT, "scripts/run-ts.js"), join(ROOT, "scripts/plan-diff.ts")];
    const { stdout } = await run(process.execPath, [...cli, "--base", join(dir, "base"), "--head", join(dir, "head")]);
    expect(stdout).toContain("**2 to add, 1 to change, 2 to remove**");
    expect(stdout).toContain("```mermaid\nflowchart LR\n```");

    const missing = await run(process.execPath, [...cli, "--base", join(dir, "none"), "--head", join(dir, "head")]);
    expect(missing.stdout).toContain("> The base could not be planned, so every resource of the head counts as added.");
    expect(missing.stdout).toContain("**4 to add, 0 to change, 0 to remove**");
  });
});
