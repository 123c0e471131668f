import * as pulumi from "@pulumi/pulumi";
import { Region } from "./region";
import type { Topology } from "./topology";

export interface DeploymentArgs {
  /** The validated, derived picture of the stack (see topology.ts). */
  readonly topology: Topology;
  /** Project and stack names, for tags and parameter paths. */
  readonly project: string;
  readonly stack: string;
}

/**
 * The root of the stack: one Region per configured region, and the parts that span regions.
 * Children are named `${name}-<region>` so that adding or removing a region leaves every other
 * region's URNs untouched.
 */
export class Deployment extends pulumi.ComponentResource {
  /** Keyed by region code. */
  public readonly regions: Readonly<Record<string, Region>>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:Deployment", name, {}, opts);
    const regions: Record<string, Region> = {};
    for (const plan of args.topology.regions) {
      regions[plan.name] = new Region(
        `${name}-${plan.name}`,
        { plan, project: args.project, stack: args.stack },
        { parent: this },
      );
    }
    this.regions = regions;
    this.registerOutputs({ regions: Object.keys(regions) });
  }
}
