import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionTags } from "./tags";
import type { RegionPlan } from "./topology";

export interface RegionArgs {
  /** What the topology decided for this region: range, subnets, roles, shards. */
  readonly plan: RegionPlan;
  /** Project and stack names, for the default tags. */
  readonly project: string;
  readonly stack: string;
}

/**
 * Everything the stack runs in one AWS region. Every resource in it is created with this region's
 * explicit provider (the stack disables the default aws provider), so a resource that forgets it
 * fails instead of landing in whatever region the operator's shell points at. Removing a region
 * from the config removes exactly this subtree.
 */
export class Region extends pulumi.ComponentResource {
  /** The AWS region code. */
  public readonly region: string;
  /** The provider that every resource of this region must use. */
  public readonly provider: aws.Provider;

  constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:Region", name, {}, opts);
    this.region = args.plan.name;
    this.provider = new aws.Provider(
      `${name}-provider`,
      {
        region: args.plan.name as aws.Region,
        defaultTags: { tags: regionTags(args, args.plan.name) },
      },
      { parent: this },
    );
    this.registerOutputs({ region: this.region });
  }
}
