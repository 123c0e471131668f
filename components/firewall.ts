// Which node groups exist in a region and who may reach them: the security groups' rules as plain
// data, derived from the topology. Least privilege: everything not listed here is closed, and the
// only sources open to the world are the bridges' media port and the load balancer's HTTPS.
// Pure: no Pulumi import.

import { PORTS, type PortName } from "./ports";
import type { RegionPlan, Topology } from "./topology";

export type NodeGroup = "signalling" | "bridges" | "edge" | "lb";

export const WORLD = "0.0.0.0/0";

export interface IngressRule {
  readonly group: NodeGroup;
  readonly port: PortName;
  /** A CIDR block, or another group of the same region. */
  readonly from: { readonly cidr: string; readonly region?: string } | { readonly group: NodeGroup };
  /** Why the rule exists; becomes the rule's description (AWS allows a restricted ASCII set). */
  readonly why: string;
}

export interface EgressRule {
  readonly group: NodeGroup;
  /** "all": any protocol to anywhere; otherwise one port to another group of the region. */
  readonly to: "all" | { readonly group: NodeGroup; readonly port: PortName };
  readonly why: string;
}

/** The groups a region needs, in a fixed order. */
export function groupsOf(region: RegionPlan): NodeGroup[] {
  const groups: NodeGroup[] = [];
  if (region.roles.includes("signalling")) groups.push("signalling");
  if (region.roles.includes("bridges")) groups.push("bridges");
  if (region.roles.includes("edge")) groups.push("edge", "lb");
  return groups;
}

export const GROUP_DESCRIPTIONS: Record<NodeGroup, string> = {
  signalling: "Jitsi signalling node: prosody, jicofo, nginx",
  bridges: "Jitsi videobridges",
  edge: "HAProxy nodes in front of the shards",
  lb: "Network load balancer in front of HAProxy",
};

export function ingressRules(topology: Topology, region: RegionPlan): IngressRule[] {
  const groups = groupsOf(region);
  const cidrOf = (name: string) => topology.regions.find((r) => r.name === name)!.cidr;
  const rules: IngressRule[] = [];
  if (groups.includes("signalling")) {
    for (const r of topology.relayRegions) {
      rules.push({
        group: "signalling",
        port: "xmppClient",
        from: { cidr: cidrOf(r), region: r },
        why: `XMPP from the bridges in ${r} to prosody`,
      });
    }
    for (const r of topology.edgeRegions) {
      rules.push({
        group: "signalling",
        port: "shardHttps",
        from: { cidr: cidrOf(r), region: r },
        why: `HTTPS from HAProxy in ${r} to nginx`,
      });
      rules.push({
        group: "signalling",
        port: "shardAgentCheck",
        from: { cidr: cidrOf(r), region: r },
        why: `HAProxy agent check from ${r}: up, drain or down`,
      });
    }
  }
  if (groups.includes("bridges")) {
    rules.push({
      group: "bridges",
      port: "media",
      from: { cidr: WORLD },
      why: "Media from clients and relay from bridges in other regions",
    });
  }
  if (groups.includes("edge")) {
    rules.push({
      group: "edge",
      port: "edgeHttp",
      from: { group: "lb" },
      why: "Requests and health checks from the load balancer",
    });
    for (const r of topology.edgeRegions) {
      rules.push({
        group: "edge",
        port: "haproxyPeers",
        from: { cidr: cidrOf(r), region: r },
        why: `Stick table sync from HAProxy peers in ${r}`,
      });
    }
    rules.push({ group: "lb", port: "publicHttps", from: { cidr: WORLD }, why: "HTTPS from users" });
  }
  return rules;
}

export function egressRules(region: RegionPlan): EgressRule[] {
  const rules: EgressRule[] = [];
  for (const group of groupsOf(region)) {
    if (group === "lb") {
      rules.push({ group, to: { group: "edge", port: "edgeHttp" }, why: "Forward to HAProxy" });
    } else {
      // Bridges start relays from ephemeral ports; every node reaches apt, SSM and its peers.
      rules.push({ group, to: "all", why: "Outbound: packages, SSM, peers and relays" });
    }
  }
  return rules;
}

/** A short, stable slug for a rule, used in resource names (so URNs say what a rule is). */
export function ruleSlug(rule: IngressRule): string {
  const { protocol, port } = PORTS[rule.port];
  const from =
    "group" in rule.from ? rule.from.group : rule.from.cidr === WORLD ? "world" : (rule.from.region ?? rule.from.cidr);
  return `${protocol}-${port}-from-${from}`;
}
