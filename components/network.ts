import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RegionPlan } from "./topology";

export interface RegionNetworkArgs {
  /** The region's range and subnets, from the topology. */
  readonly plan: RegionPlan;
  /** The region's explicit provider. */
  readonly provider: aws.Provider;
}

/**
 * A region's VPC: public subnets in the first availability zones the region offers, one route
 * table with the internet gateway as default route (peering routes are added by Peering), and
 * the VPC's default security group stripped of its rules. No NAT gateways: nodes live in public
 * subnets and are reachable only as their security groups allow.
 */
export class RegionNetwork extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidr: string;
  public readonly subnetIds: pulumi.Output<string>[];
  /** The route table of every subnet; Peering adds its routes here. */
  public readonly routeTableId: pulumi.Output<string>;

  constructor(name: string, args: RegionNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:RegionNetwork", name, {}, opts);
    const { plan, provider } = args;
    const child = { parent: this, provider };
    this.cidr = plan.cidr;

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: plan.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: name } },
      child,
    );
    this.vpcId = vpc.id;

    // A VPC's default group allows all traffic between its members; nothing here uses it, so
    // adopting it with no rules closes that door (CIS AWS Foundations 5.4).
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: vpc.id, tags: { Name: `${name}-default-unused` } },
      child,
    );

    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: name } }, child);
    const routeTable = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, tags: { Name: `${name}-public` } },
      child,
    );
    new aws.ec2.Route(
      `${name}-default-route`,
      { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway.id },
      child,
    );
    this.routeTableId = routeTable.id;

    // Only zones that need no opt-in: Local Zones and Wavelength Zones lack the instance types used here.
    const zones = aws.getAvailabilityZonesOutput(
      { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
      { parent: this, provider },
    );
    this.subnetIds = plan.subnets.map((s) => {
      const zone = zones.names.apply((names) => {
        if (s.azIndex >= names.length) {
          throw new Error(
            `${plan.name} offers ${names.length} availability zones; jitsi:regions.${plan.name}.availabilityZones asks for more`,
          );
        }
        return names[s.azIndex];
      });
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${s.azIndex}`,
        {
          vpcId: vpc.id,
          cidrBlock: s.cidr,
          availabilityZone: zone,
          mapPublicIpOnLaunch: true,
          tags: { Name: `${name}-public-${s.azIndex}` },
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${s.azIndex}`,
        { subnetId: subnet.id, routeTableId: routeTable.id },
        child,
      );
      return subnet.id;
    });

    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds, routeTableId: this.routeTableId });
  }
}
