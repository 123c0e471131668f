import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NodeRole } from "./iam";
import type { NodeRoleName } from "./iam-policies";
import { RegionNetwork } from "./network";
import { SecurityGroups } from "./security-groups";
import { regionTags } from "./tags";
import type { RegionPlan, Topology } from "./topology";

export interface RegionArgs {
  /** What the topology decided for this region: range, subnets, roles, shards. */
  readonly plan: RegionPlan;
  /** The whole topology: security rules name the other regions' ranges. */
  readonly topology: Topology;
  /** Project and stack names, for the default tags and parameter paths. */
  readonly project: string;
  readonly stack: string;
}

/**
 * Everything the stack runs in one AWS region. Every resource in it is created with this region's
 * explicit provider (the stack disables the default aws provider), so a resource that forgets it
 * fails instead of landing in whatever region the operator's shell points at. Removing a region
 * from the config removes exactly this subtree (and the peerings and secret copies naming it).
 */
export class Region extends pulumi.ComponentResource {
  /** The AWS region code. */
  public readonly region: string;
  /** The provider that every resource of this region must use. */
  public readonly provider: aws.Provider;
  public readonly network: RegionNetwork;
  public readonly securityGroups: SecurityGroups;
  /** Instance roles of the node kinds that run here. */
  public readonly roles: Partial<Record<NodeRoleName, NodeRole>>;

  constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:Region", name, {}, opts);
    const { plan } = args;
    this.region = plan.name;
    this.provider = new aws.Provider(
      `${name}-provider`,
      {
        region: plan.name as aws.Region,
        defaultTags: { tags: regionTags(args, plan.name) },
      },
      { parent: this },
    );
    const provider = this.provider;
    this.network = new RegionNetwork(`${name}-network`, { plan, provider }, { parent: this });
    this.securityGroups = new SecurityGroups(
      `${name}-sg`,
      { topology: args.topology, plan, vpcId: this.network.vpcId, provider },
      { parent: this },
    );
    const roleOf: Record<string, NodeRoleName> = { signalling: "signalling", bridges: "bridges", edge: "edge" };
    this.roles = {};
    for (const r of plan.roles) {
      const role = roleOf[r];
      this.roles[role] = new NodeRole(
        `${name}-${role}-role`,
        { role, region: plan.name, stack: args.stack, shardIds: plan.shards.map((s) => s.id), provider },
        { parent: this },
      );
    }
    this.registerOutputs({ region: this.region, vpcId: this.network.vpcId });
  }
}
