import * as pulumi from "@pulumi/pulumi";
import { Peering } from "./peering";
import { Region } from "./region";
import { ShardSecrets } from "./secrets";
import type { Topology } from "./topology";

export interface DeploymentArgs {
  /** The validated, derived picture of the stack (see topology.ts). */
  readonly topology: Topology;
  /** Project and stack names, for tags and parameter paths. */
  readonly project: string;
  readonly stack: string;
}

/**
 * The root of the stack: one Region per configured region, and the parts that span regions (the
 * peering mesh, each shard's secrets). Children are named after the regions they touch, so that
 * adding or removing a region leaves every other region's URNs untouched.
 */
export class Deployment extends pulumi.ComponentResource {
  /** Keyed by region code. */
  public readonly regions: Readonly<Record<string, Region>>;
  public readonly peerings: readonly Peering[];
  /** Keyed by shard id. */
  public readonly secrets: Readonly<Record<string, ShardSecrets>>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:Deployment", name, {}, opts);
    const { topology } = args;
    const regions: Record<string, Region> = {};
    for (const plan of topology.regions) {
      regions[plan.name] = new Region(
        `${name}-${plan.name}`,
        { plan, topology, project: args.project, stack: args.stack },
        { parent: this },
      );
    }
    this.regions = regions;

    const side = (region: string) => ({
      region,
      provider: regions[region].provider,
      vpcId: regions[region].network.vpcId,
      cidr: regions[region].network.cidr,
      routeTableId: regions[region].network.routeTableId,
    });
    this.peerings = topology.peerings.map(
      (p) =>
        new Peering(
          `${name}-peering-${p.requester}-${p.accepter}`,
          { requester: side(p.requester), accepter: side(p.accepter) },
          { parent: this },
        ),
    );

    const providers = Object.fromEntries(Object.entries(regions).map(([r, region]) => [r, region.provider]));
    this.secrets = Object.fromEntries(
      topology.shards.map((shard) => [
        shard.id,
        new ShardSecrets(
          `${name}-${shard.id}-secrets`,
          { shard, stack: args.stack, providers, bridgeRegions: topology.relayRegions },
          { parent: this },
        ),
      ]),
    );

    this.registerOutputs({ regions: Object.keys(regions), peerings: this.peerings.map((p) => p.connectionId) });
  }
}
