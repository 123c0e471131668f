import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** One side of a peering: a region's VPC and the route table its subnets use. */
export interface PeeringSide {
  readonly region: string;
  readonly provider: aws.Provider;
  readonly vpcId: pulumi.Input<string>;
  readonly cidr: string;
  readonly routeTableId: pulumi.Input<string>;
}

export interface PeeringArgs {
  /** Requests the connection (the topology makes it the region first in name order). */
  readonly requester: PeeringSide;
  /** Accepts it, with its own region's provider. */
  readonly accepter: PeeringSide;
}

/**
 * A VPC peering between two regions: requested with one region's provider, accepted with the
 * other's, and a route each way so that private addresses reach across.
 */
export class Peering extends pulumi.ComponentResource {
  public readonly connectionId: pulumi.Output<string>;

  constructor(name: string, args: PeeringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:Peering", name, {}, opts);
    const { requester, accepter } = args;
    const connection = new aws.ec2.VpcPeeringConnection(
      `${name}`,
      {
        vpcId: requester.vpcId,
        peerVpcId: accepter.vpcId,
        peerRegion: accepter.region,
        // cross-region peering cannot be auto-accepted by the requester; the accepter does it
        autoAccept: false,
        tags: { Name: name },
      },
      { parent: this, provider: requester.provider },
    );
    const accepted = new aws.ec2.VpcPeeringConnectionAccepter(
      `${name}-accept`,
      { vpcPeeringConnectionId: connection.id, autoAccept: true, tags: { Name: name } },
      { parent: this, provider: accepter.provider },
    );
    for (const [side, other] of [
      [requester, accepter],
      [accepter, requester],
    ] as const) {
      new aws.ec2.Route(
        `${name}-route-${side.region}`,
        {
          routeTableId: side.routeTableId,
          destinationCidrBlock: other.cidr,
          vpcPeeringConnectionId: accepted.vpcPeeringConnectionId,
        },
        { parent: this, provider: side.provider },
      );
    }
    this.connectionId = connection.id;
    this.registerOutputs({ connectionId: this.connectionId });
  }
}
