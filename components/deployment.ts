import * as pulumi from "@pulumi/pulumi";
import { Peering } from "./peering";
import { Region } from "./region";
import { ShardRegistry } from "./registry";
import { ShardSecrets } from "./secrets";
import { Shard } from "./shard";
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
  /** Keyed by shard id. */
  public readonly shards: Readonly<Record<string, Shard>>;
  public readonly registry: ShardRegistry;

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

    // A shard's node belongs to its region (removing the region removes it); it starts only once
    // its secrets exist, since it reads them at first boot.
    this.shards = Object.fromEntries(
      topology.shards.map((shard) => {
        const region = regions[shard.region];
        const secrets = this.secrets[shard.id];
        return [
          shard.id,
          new Shard(
            `${name}-${shard.region}-shard-${shard.name}`,
            {
              shard,
              domain: topology.domain,
              stack: args.stack,
              octo: topology.octo,
              knownRegions: topology.regions.map((r) => r.name),
              parameters: {
                jvbPassword: secrets.parameterNames["jvb-password"],
                jicofoPassword: secrets.parameterNames["jicofo-password"],
              },
              provider: region.provider,
              subnetId: region.network.subnetIds[0],
              securityGroupId: region.securityGroups.ids.signalling!,
              instanceProfileName: region.roles.signalling!.instanceProfileName,
            },
            { parent: region, dependsOn: [secrets] },
          ),
        ];
      }),
    );

    const followers = topology.regions.filter((r) => r.jvb || r.edge).map((r) => r.name);
    this.registry = new ShardRegistry(
      `${name}-registry`,
      {
        stack: args.stack,
        entries: topology.shards.map((shard) =>
          this.shards[shard.id].privateIp.apply((address) => ({
            id: shard.id,
            region: shard.region,
            address,
            domain: topology.domain,
            state: shard.state,
          })),
        ),
        providers: Object.fromEntries(followers.map((r) => [r, regions[r].provider])),
      },
      { parent: this },
    );

    this.registerOutputs({ regions: Object.keys(regions), peerings: this.peerings.map((p) => p.connectionId) });
  }
}
