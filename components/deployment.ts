import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Edge } from "./edge";
import { JvbPool } from "./jvb-pool";
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
  /** Keyed by region code: the regions with bridges. */
  public readonly pools: Readonly<Record<string, JvbPool>>;
  /** Keyed by region code: the regions with an edge. */
  public readonly edges: Readonly<Record<string, Edge>>;

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
              subnetId: region.network.subnetIds[shard.subnetIndex],
              securityGroupId: region.securityGroups.ids.signalling!,
              instanceProfileName: region.roles.signalling!.instanceProfileName,
              protect: topology.regions.find((r) => r.name === shard.region)!.protect,
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

    // Bridges read the registry at first boot, so a pool starts once the registry exists.
    this.pools = Object.fromEntries(
      topology.regions
        .filter((r) => r.jvb)
        .map((plan) => {
          const region = regions[plan.name];
          return [
            plan.name,
            new JvbPool(
              `${name}-${plan.name}-jvb`,
              {
                region: plan.name,
                stack: args.stack,
                project: args.project,
                jvb: plan.jvb!,
                registryParameter: this.registry.parameterName,
                provider: region.provider,
                subnetIds: region.network.subnetIds,
                securityGroupId: region.securityGroups.ids.bridges!,
                instanceProfileName: region.roles.bridges!.instanceProfileName,
              },
              { parent: region, dependsOn: [this.registry] },
            ),
          ];
        }),
    );

    this.edges = this.buildEdges(name, args, regions);

    this.registerOutputs({ regions: Object.keys(regions), peerings: this.peerings.map((p) => p.connectionId) });
  }

  /**
   * Certificates (issued through the hosted zone, or given in config) and one Edge per edge
   * region. DNS is global: the zone lookup and the certificates' validation record use a provider
   * of their own, so that removing any region leaves them alone.
   */
  private buildEdges(name: string, args: DeploymentArgs, regions: Record<string, Region>): Record<string, Edge> {
    const { topology } = args;
    let zoneId: pulumi.Output<string> | undefined;
    let validationFqdn: pulumi.Output<string> | undefined;
    const certificates: Record<string, aws.acm.Certificate> = {};
    if (topology.hostedZone) {
      const dns = new aws.Provider(
        `${name}-dns-provider`,
        {
          region: "us-east-1",
          defaultTags: { tags: { Project: args.project, Stack: args.stack, ManagedBy: "pulumi" } },
        },
        { parent: this },
      );
      zoneId = aws.route53.getZoneOutput(
        { name: topology.hostedZone, privateZone: false },
        { parent: this, provider: dns },
      ).zoneId;
      for (const region of topology.edgeRegions) {
        certificates[region] = new aws.acm.Certificate(
          `${name}-${region}-certificate`,
          { domainName: topology.domain, validationMethod: "DNS", tags: { Role: "edge" } },
          { parent: regions[region], provider: regions[region].provider },
        );
      }
      // ACM asks for the same record for one domain in every region of an account: write it once.
      const option = Object.values(certificates)[0].domainValidationOptions[0];
      validationFqdn = new aws.route53.Record(
        `${name}-certificate-validation`,
        {
          zoneId,
          name: option.resourceRecordName,
          type: option.resourceRecordType,
          records: [option.resourceRecordValue],
          ttl: 300,
          allowOverwrite: true,
        },
        { parent: this, provider: dns },
      ).fqdn;
    }

    const shards = topology.shards.map((shard) =>
      this.shards[shard.id].privateIp.apply((address) => ({ id: shard.id, address, state: shard.state })),
    );
    return Object.fromEntries(
      topology.regions
        .filter((plan) => plan.edge)
        .map((plan) => {
          const region = regions[plan.name];
          const certificateArn = topology.hostedZone
            ? new aws.acm.CertificateValidation(
                `${name}-${plan.name}-certificate-validation`,
                { certificateArn: certificates[plan.name].arn, validationRecordFqdns: [validationFqdn!] },
                { parent: region, provider: region.provider },
              ).certificateArn
            : pulumi.output(topology.certificateArns[plan.name]);
          return [
            plan.name,
            new Edge(
              `${name}-${plan.name}-edge`,
              {
                plan,
                topology,
                stack: args.stack,
                shards,
                provider: region.provider,
                subnetIds: region.network.subnetIds,
                vpcId: region.network.vpcId,
                edgeSecurityGroupId: region.securityGroups.ids.edge!,
                lbSecurityGroupId: region.securityGroups.ids.lb!,
                instanceProfileName: region.roles.edge!.instanceProfileName,
                certificateArn,
                ...(zoneId ? { hostedZoneId: zoneId } : {}),
              },
              { parent: region },
            ),
          ];
        }),
    );
  }
}
