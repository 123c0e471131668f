import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GROUP_DESCRIPTIONS, egressRules, groupsOf, ingressRules, ruleSlug, type NodeGroup } from "./firewall";
import { PORTS } from "./ports";
import type { RegionPlan, Topology } from "./topology";

export interface SecurityGroupsArgs {
  readonly topology: Topology;
  readonly plan: RegionPlan;
  readonly vpcId: pulumi.Input<string>;
  readonly provider: aws.Provider;
}

/**
 * The region's security groups, one per node group that runs here, with exactly the rules of
 * firewall.ts, one resource per rule (so a preview shows a rule change as one line).
 */
export class SecurityGroups extends pulumi.ComponentResource {
  /** Keyed by node group; only the groups this region runs. */
  public readonly ids: Partial<Record<NodeGroup, pulumi.Output<string>>>;

  constructor(name: string, args: SecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:SecurityGroups", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const groups: Partial<Record<NodeGroup, aws.ec2.SecurityGroup>> = {};
    for (const group of groupsOf(args.plan)) {
      groups[group] = new aws.ec2.SecurityGroup(
        `${name}-${group}`,
        { vpcId: args.vpcId, description: GROUP_DESCRIPTIONS[group], tags: { Name: `${name}-${group}` } },
        child,
      );
    }
    const idOf = (group: NodeGroup) => groups[group]!.id;

    for (const rule of ingressRules(args.topology, args.plan)) {
      const { protocol, port } = PORTS[rule.port];
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${rule.group}-in-${ruleSlug(rule)}`,
        {
          securityGroupId: idOf(rule.group),
          ipProtocol: protocol,
          fromPort: port,
          toPort: port,
          description: rule.why,
          ...("group" in rule.from
            ? { referencedSecurityGroupId: idOf(rule.from.group) }
            : { cidrIpv4: rule.from.cidr }),
        },
        child,
      );
    }
    for (const rule of egressRules(args.plan)) {
      const target =
        rule.to === "all"
          ? { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }
          : {
              ipProtocol: PORTS[rule.to.port].protocol,
              fromPort: PORTS[rule.to.port].port,
              toPort: PORTS[rule.to.port].port,
              referencedSecurityGroupId: idOf(rule.to.group),
            };
      const slug = rule.to === "all" ? "all" : `${rule.to.group}-${PORTS[rule.to.port].port}`;
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${rule.group}-out-${slug}`,
        { securityGroupId: idOf(rule.group), description: rule.why, ...target },
        child,
      );
    }

    this.ids = Object.fromEntries(Object.entries(groups).map(([g, sg]) => [g, sg.id]));
    this.registerOutputs({ ids: this.ids });
  }
}
