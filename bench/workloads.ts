// The benchmark's workloads: the dev stack as committed, and a generated topology of any size up to
// 20 regions. Each is a StackConfig, exactly what the engine would hand to the program.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromPulumiConfig, parseSettings } from "../components/config";
import { parseStackFiles, readStackFiles, type StackConfig } from "../scripts/lib/stack-files";

export const REPO_ROOT = join(__dirname, "..");
const PROJECT_FILE = join(REPO_ROOT, "Pulumi.yaml");

/** 20 real AWS region codes, in the order the generated topology takes them. */
export const GENERATED_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "sa-east-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "me-central-1",
] as const;

/** Shards per region in the generated topology (40 shards over 20 regions). */
export const SHARDS_PER_REGION = 2;
/** One region in this many also runs an edge (4 of 20). */
export const EDGE_EVERY = 5;

/** A workload id: "dev", or "gen-<regions>" for the generated topology. */
export type WorkloadId = "dev" | `gen-${number}`;

export function generatedId(regions: number): WorkloadId {
  return `gen-${regions}`;
}

/** The dev stack: Pulumi.dev.yaml over Pulumi.yaml, as `npm run plan` reads it. */
export function devStack(): StackConfig {
  return readStackFiles(PROJECT_FILE, join(REPO_ROOT, "Pulumi.dev.yaml"));
}

function continentOf(region: string): string {
  if (/^(us|ca|sa)-/.test(region)) return "americas";
  if (region.startsWith("eu-")) return "europe";
  return "asia";
}

/**
 * The generated topology: the first `regionCount` of GENERATED_REGIONS, every one with bridges,
 * every EDGE_EVERY-th also with an edge, SHARDS_PER_REGION shards per region spread round-robin
 * (s01, s02, …), one VPC range 10.<i>.0.0/16 each, relay groups by continent, the edges'
 * certificates issued through a hosted zone (example.com) as in the dev stack.
 */
export function generatedStack(regionCount: number): StackConfig {
  if (!Number.isInteger(regionCount) || regionCount < 1 || regionCount > GENERATED_REGIONS.length) {
    throw new Error(`the generated topology has 1 to ${GENERATED_REGIONS.length} regions (got ${regionCount})`);
  }
  const names = GENERATED_REGIONS.slice(0, regionCount);
  const regions: Record<string, unknown> = {};
  names.forEach((name, i) => {
    regions[name] = {
      cidr: `10.${i + 1}.0.0/16`,
      jvb: { instanceType: "c6i.large", minSize: 1, maxSize: 4 },
      ...(i % EDGE_EVERY === 0 ? { edge: { nodes: 2, instanceType: "c6i.large" } } : {}),
    };
  });
  const shardCount = regionCount * SHARDS_PER_REGION;
  const width = Math.max(2, String(shardCount).length);
  const shards = Array.from({ length: shardCount }, (_, i) => ({
    name: `s${String(i + 1).padStart(width, "0")}`,
    region: names[i % regionCount],
  }));
  const groups = new Map<string, string[]>();
  for (const name of names) groups.set(continentOf(name), [...(groups.get(continentOf(name)) ?? []), name]);

  // Project-level config (disabled default providers, declared defaults) comes from Pulumi.yaml.
  const base = parseStackFiles(readFileSync(PROJECT_FILE, "utf8"), "config: {}\n", "bench");
  const config: Record<string, string> = {
    ...base.config,
    "jitsi:domain": "meet-bench.example.com",
    // As in the dev stack: the stack issues the edges' certificates through this Route53 zone.
    "jitsi:hostedZone": "example.com",
    "jitsi:regions": JSON.stringify(regions),
    "jitsi:shards": JSON.stringify(shards),
    "jitsi:octo": JSON.stringify({
      selectionStrategy: "RegionBasedBridgeSelectionStrategy",
      regionGroups: [...groups.values()],
    }),
  };
  return { ...base, config };
}

export function workloadStack(id: WorkloadId): StackConfig {
  if (id === "dev") return devStack();
  const match = /^gen-(\d+)$/.exec(id);
  if (!match) throw new Error(`unknown workload ${id} (dev or gen-<regions>)`);
  return generatedStack(Number(match[1]));
}

/** Throws ConfigError if the workload's config would not pass the program's own validation. */
export function validateWorkload(id: WorkloadId): void {
  parseSettings(fromPulumiConfig(workloadStack(id).config));
}
