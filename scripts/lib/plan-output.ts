// What the offline plan writes, computed from the simulated cloud's records: the resource
// inventory, the rendered files as instances receive them, and the summary for reviewers.

import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import type { Topology } from "../../components/topology";
import type { RecordedResource } from "./simulated-cloud";
import { isSecretValue } from "./simulated-cloud";

export const REDACTED = "[secret]";

/** One entry of resources.json. */
export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string | null;
  readonly provider: string | null;
  readonly region: string | null;
  readonly inputs: unknown;
}

export interface RenderedFile {
  /** Relative to the plan's rendered/ folder: `<region>/<node>/<file>`, e.g. `eu-west-1/shard-eu1/user-data`. */
  readonly path: string;
  readonly content: string;
}

/** Replaces every secret value, however deep, with "[secret]". */
export function redact(value: unknown): unknown {
  if (isSecretValue(value)) return REDACTED;
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}

export function inventory(
  resources: readonly RecordedResource[],
  regionOf: (r: RecordedResource) => string | null,
): PlannedResource[] {
  return resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    provider: r.provider,
    region: regionOf(r),
    inputs: redact(r.inputs),
  }));
}

function plainString(value: unknown): string | undefined {
  if (isSecretValue(value)) return undefined; // a secret is never written to disk
  return typeof value === "string" ? value : undefined;
}

/**
 * The folder of a node's files under rendered/<region>/: `shard-<name>` for a signalling node,
 * `jvb` for a bridge pool, `edge-<n>` for an HAProxy node; from the `Shard`, `Node` and `Role` tags.
 */
function nodeFolder(inputs: Record<string, unknown>): string | undefined {
  const tags = (inputs.tags ?? {}) as Record<string, unknown>;
  const safe = (v: unknown) => (typeof v === "string" && /^[a-z0-9-]+$/.test(v) ? v : undefined);
  const shard = safe(tags.Shard);
  if (shard) return `shard-${shard}`;
  const node = safe(tags.Node);
  if (node) return node;
  const role = safe(tags.Role);
  return role === "bridges" ? "jvb" : role;
}

/** Keeps a path inside its folder: no absolute paths, no "..". */
function safeRelative(path: string): string {
  return path
    .split("/")
    .filter((part) => part !== "" && part !== "." && part !== "..")
    .join("/");
}

/**
 * Every file an instance receives: user-data (decoded from base64 where the API takes it encoded),
 * each `write_files` entry of a `#cloud-config` user-data, and plain (non-secret) SSM parameters
 * that nodes read at run time, such as the shard registry.
 */
export function renderedFiles(
  resources: readonly RecordedResource[],
  regionOf: (r: RecordedResource) => string | null,
): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const resource of resources) {
    const region = regionOf(resource) ?? "global";
    const inputs = resource.inputs;
    let userData: string | undefined;
    if (resource.type === "aws:ec2/instance:Instance") {
      userData = plainString(inputs.userData);
      const encoded = plainString(inputs.userDataBase64);
      if (userData === undefined && encoded !== undefined) userData = decodeUserData(encoded);
    } else if (resource.type === "aws:ec2/launchTemplate:LaunchTemplate") {
      const encoded = plainString(inputs.userData);
      if (encoded !== undefined) userData = decodeUserData(encoded);
    } else if (resource.type === "aws:ssm/parameter:Parameter" && inputs.type === "String") {
      const value = plainString(inputs.insecureValue) ?? plainString(inputs.value);
      const name = plainString(inputs.name) ?? resource.name;
      // a node's own parameter (an edge node's haproxy.cfg) goes with the node's other files
      const node = nodeFolder(inputs);
      const path = node ? `${region}/${node}/${name.split("/").pop()}` : `${region}/ssm/${safeRelative(name)}`;
      if (value === undefined) continue;
      files.push({ path, content: value });
      // a bundle of files the node's agent writes (shard settings): each file where it lands
      const tags = (inputs.tags ?? {}) as Record<string, unknown>;
      if (node && tags.Bundle === "files") {
        for (const [file, content] of Object.entries(bundleFiles(value))) {
          files.push({ path: `${region}/${node}/files/${safeRelative(file)}`, content });
        }
      }
      continue;
    }
    if (userData === undefined) continue;
    const node = nodeFolder(inputs);
    const folder = node ? `${region}/${node}` : `${region}/other/${resource.name}`;
    files.push({ path: `${folder}/user-data`, content: userData });
    for (const file of cloudConfigFiles(userData)) {
      files.push({ path: `${folder}/files/${safeRelative(file.path)}`, content: file.content });
    }
  }
  return files;
}

/** The files of a `{ files: { <path>: <content> } }` parameter; none when it is not one. */
function bundleFiles(text: string): Record<string, string> {
  try {
    const files = (JSON.parse(text) as { files?: unknown }).files;
    if (typeof files !== "object" || files === null) return {};
    return Object.fromEntries(Object.entries(files).filter(([, c]) => typeof c === "string")) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Base64 user-data as the instance gets it: gzip (which cloud-init unpacks) undone too. */
export function decodeUserData(encoded: string): string {
  const bytes = Buffer.from(encoded, "base64");
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** The `write_files` entries of a `#cloud-config` document (plain or base64 encoded). */
export function cloudConfigFiles(userData: string): { path: string; content: string }[] {
  if (!userData.startsWith("#cloud-config")) return [];
  const doc = parseYaml(userData) as { write_files?: { path?: string; content?: string; encoding?: string }[] } | null;
  return (doc?.write_files ?? [])
    .filter((f) => typeof f.path === "string" && typeof f.content === "string")
    .map((f) => ({
      path: f.path!,
      content:
        f.encoding === "b64" || f.encoding === "base64"
          ? Buffer.from(f.content!, "base64").toString("utf8")
          : f.content!,
    }));
}

/** Counts per region and type, sorted, for the summary and for PR comments that compare plans. */
export function countsByRegionAndType(
  planned: readonly PlannedResource[],
): { region: string; type: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of planned) {
    const key = `${r.region ?? "global"}\t${r.type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([key, count]) => {
      const [region, type] = key.split("\t");
      return { region, type, count };
    })
    .sort((a, b) => a.region.localeCompare(b.region) || a.type.localeCompare(b.type));
}

/** Mermaid identifiers must be plain words. */
function mermaidId(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, "_");
}

/** Above this many bridge regions the relay mesh is one note instead of n(n-1)/2 links. */
const RELAY_LINKS_DRAWN_UP_TO = 6;

/**
 * The topology as a Mermaid flowchart: regions with what runs in them, users to the edge, the
 * private peering links (labelled with why each exists) and the public relay mesh between bridges.
 * Links are per region pair, so a large stack stays within what Mermaid draws.
 */
export function topologyDiagram(topology: Topology): string {
  const lines = ["flowchart LR", `  users(["users: ${topology.domain}"])`];
  for (const region of topology.regions) {
    const id = mermaidId(region.name);
    lines.push(`  subgraph ${id}["${region.name} ${region.cidr}"]`);
    if (region.edge)
      lines.push(`    ${id}_edge["edge: NLB + ${region.edge.nodes} x HAProxy ${region.edge.instanceType}"]`);
    if (region.shards.length > 0) {
      const shards = region.shards.map((s) => (s.state === "drain" ? `${s.name} (draining)` : s.name));
      lines.push(`    ${id}_shards["shards: ${shards.join(", ")}"]`);
    }
    if (region.jvb)
      lines.push(`    ${id}_jvb["bridges: ${region.jvb.minSize}..${region.jvb.maxSize} x ${region.jvb.instanceType}"]`);
    lines.push("  end");
  }
  for (const region of topology.edgeRegions) lines.push(`  users --> ${mermaidId(region)}_edge`);
  for (const p of topology.peerings) {
    lines.push(`  ${mermaidId(p.requester)} ---|"peering: ${p.reasons.join(", ")}"| ${mermaidId(p.accepter)}`);
  }
  const relay = topology.relayRegions;
  if (relay.length <= RELAY_LINKS_DRAWN_UP_TO) {
    for (let i = 0; i < relay.length; i++) {
      for (let j = i + 1; j < relay.length; j++) {
        lines.push(`  ${mermaidId(relay[i])}_jvb <-.->|relay UDP 10000| ${mermaidId(relay[j])}_jvb`);
      }
    }
  } else {
    lines.push(`  relay{{"relay mesh: bridges of all ${relay.length} bridge regions, UDP 10000"}}`);
  }
  return lines.join("\n");
}

export interface SummaryInput {
  readonly stack: string;
  readonly configFile: string;
  readonly topology: Topology;
  readonly planned: readonly PlannedResource[];
  readonly rendered: readonly RenderedFile[];
  /** Resource name by the id the simulated cloud gave it, to name what a rule or route points at. */
  readonly namesById: ReadonlyMap<string, string>;
}

function inputsOf(r: PlannedResource): Record<string, unknown> {
  return (r.inputs ?? {}) as Record<string, unknown>;
}

/** Every security group rule, as reviewers read a firewall: group, direction, port, peer, why. */
export function firewallTable(planned: readonly PlannedResource[], namesById: ReadonlyMap<string, string>): string[] {
  const nameOf = (id: unknown) => (typeof id === "string" ? (namesById.get(id) ?? id) : "?");
  const rows = planned
    .filter(
      (r) =>
        r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" ||
        r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    )
    .map((r) => {
      const i = inputsOf(r);
      const inbound = r.type.includes("Ingress");
      const protocol = i.ipProtocol === "-1" ? "all" : `${String(i.ipProtocol)} ${String(i.fromPort)}`;
      const peer =
        i.referencedSecurityGroupId !== undefined ? `group ${nameOf(i.referencedSecurityGroupId)}` : String(i.cidrIpv4);
      return `| ${r.region ?? "global"} | ${nameOf(i.securityGroupId)} | ${inbound ? "in" : "out"} | ${protocol} | ${inbound ? "from" : "to"} ${peer} | ${String(i.description ?? "")} |`;
    });
  if (rows.length === 0) return ["No security groups."];
  rows.sort();
  return ["| region | group | dir | protocol, port | peer | why |", "| --- | --- | --- | --- | --- | --- |", ...rows];
}

/** Parameters per region (never their values) and instance roles with what their policies allow. */
export function parametersAndRoles(
  planned: readonly PlannedResource[],
  namesById: ReadonlyMap<string, string>,
): string[] {
  const parameters = planned
    .filter((r) => r.type === "aws:ssm/parameter:Parameter")
    .map((r) => `| ${r.region ?? "global"} | \`${String(inputsOf(r).name)}\` | ${String(inputsOf(r).type)} |`);
  const policies = planned
    .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")
    .flatMap((r) => {
      const i = inputsOf(r);
      const role = typeof i.role === "string" ? (namesById.get(i.role) ?? i.role) : "?";
      const doc =
        typeof i.policy === "string"
          ? (JSON.parse(i.policy) as { Statement?: { Action: string[]; Resource: string[] }[] })
          : {};
      return (doc.Statement ?? []).map(
        (st) =>
          `| ${r.region ?? "global"} | ${role} | ${st.Action.join(", ")} | ${st.Resource.map((x) => `\`${x}\``).join("<br>")} |`,
      );
    });
  return [
    ...(parameters.length === 0
      ? ["No parameters."]
      : ["| region | parameter | type |", "| --- | --- | --- |", ...parameters]),
    "",
    ...(policies.length === 0
      ? ["No instance roles."]
      : [
          "Instance roles (each also has AmazonSSMManagedInstanceCore for Session Manager):",
          "",
          "| region | role | actions | resources |",
          "| --- | --- | --- | --- |",
          ...policies,
        ]),
  ];
}

export function summaryMarkdown(input: SummaryInput): string {
  const { topology, planned } = input;
  const custom = planned.filter((r) => !r.type.startsWith("jitsi:")).length;
  const out: string[] = [
    `# Offline plan: stack \`${input.stack}\``,
    "",
    `Config: \`${input.configFile}\`. Domain: \`${topology.domain}\`${topology.hostedZone ? ` (zone \`${topology.hostedZone}\`)` : " (no hosted zone: DNS records are created by hand)"}.`,
    `${planned.length} resources (${custom} cloud resources and providers, ${planned.length - custom} components) in ${topology.regions.length} regions; ${input.rendered.length} rendered files.`,
    "",
    "## Regions",
    "",
    "| region | VPC range | subnets | roles | shards |",
    "| --- | --- | --- | --- | --- |",
    ...topology.regions.map(
      (r) =>
        `| ${r.name} | ${r.cidr} | ${r.subnets.map((s) => s.cidr).join(", ")} | ${r.roles.join(", ")} | ${r.shards.map((s) => s.id).join(", ") || "-"} |`,
    ),
    "",
    "## Peering",
    "",
    ...(topology.peerings.length === 0
      ? ["No peering: everything that talks privately lives in one region."]
      : [
          "| requester | accepter | why |",
          "| --- | --- | --- |",
          ...topology.peerings.map((p) => `| ${p.requester} | ${p.accepter} | ${p.reasons.join(", ")} |`),
        ]),
    "",
    "## Topology",
    "",
    "```mermaid",
    topologyDiagram(topology),
    "```",
    "",
    "## Security groups",
    "",
    ...firewallTable(planned, input.namesById),
    "",
    "## Parameters and instance roles",
    "",
    ...parametersAndRoles(planned, input.namesById),
    "",
    "## Resources per region and type",
    "",
    "| region | type | count |",
    "| --- | --- | ---: |",
    ...countsByRegionAndType(planned).map((c) => `| ${c.region} | \`${c.type}\` | ${c.count} |`),
    "",
  ];
  return out.join("\n");
}
