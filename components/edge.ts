import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { architectureOf, debianAmiParameter } from "./ami";
import { stackPath } from "./parameters";
import { PORTS } from "./ports";
import { encodeUserData } from "./render/cloud-config";
import { renderEdgeUserData } from "./render/edge-node";
import type { EdgeShard } from "./render/edge-values";
import { EDGE_HEALTH_URI, renderHaproxyConfig } from "./render/haproxy";
import type { RegionPlan, Topology } from "./topology";

/** Where an edge node's rendered haproxy.cfg lives: `/jitsi/<stack>/edge/<peer name>/haproxy.cfg`. */
export function edgeConfigParameter(stack: string, nodeName: string): string {
  return `${stackPath(stack)}/edge/${nodeName}/haproxy.cfg`;
}

/**
 * Load balancer and target group names: at most 32 characters, unique per account and region.
 * `jitsi-<stack>-edge` when it fits, else the stack name's hash stands in for it.
 */
export function edgeLoadBalancerName(stack: string): string {
  const plain = `jitsi-${stack}-edge`;
  if (plain.length <= 32 && /^[a-zA-Z0-9-]+$/.test(plain)) return plain;
  return `jitsi-${createHash("sha256").update(stack).digest("hex").slice(0, 12)}-edge`;
}

export interface EdgeArgs {
  readonly plan: RegionPlan;
  readonly topology: Topology;
  readonly stack: string;
  /** Every shard as the registry lists it (addresses resolve once the nodes exist). */
  readonly shards: pulumi.Input<EdgeShard>[];
  readonly provider: aws.Provider;
  readonly subnetIds: pulumi.Input<string>[];
  readonly vpcId: pulumi.Input<string>;
  readonly edgeSecurityGroupId: pulumi.Input<string>;
  readonly lbSecurityGroupId: pulumi.Input<string>;
  readonly instanceProfileName: pulumi.Input<string>;
  /** The certificate's ARN once usable: issued through the zone, or given in config. */
  readonly certificateArn: pulumi.Input<string>;
  /** Present when the stack manages DNS: the latency record for this region goes there. */
  readonly hostedZoneId?: pulumi.Input<string>;
}

/**
 * A region's way in: HAProxy nodes (fixed private addresses, so that every node's peers section
 * can name them), each following its own haproxy.cfg in SSM, behind an internet-facing network
 * load balancer whose TLS listener forwards plain HTTP to them; and, with a hosted zone, this
 * region's latency record for the domain, with the load balancer's health evaluated.
 */
export class Edge extends pulumi.ComponentResource {
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  public readonly loadBalancerZoneId: pulumi.Output<string>;
  public readonly loadBalancerArn: pulumi.Output<string>;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:Edge", name, {}, opts);
    const { plan, provider, stack } = args;
    const child = { parent: this, provider };
    const edge = plan.edge!;
    const shards = pulumi.all(args.shards);
    const image = aws.ssm.getParameterOutput(
      { name: debianAmiParameter(architectureOf(edge.instanceType)) },
      { parent: this, provider },
    );

    const lbName = edgeLoadBalancerName(stack);
    const targets = new aws.lb.TargetGroup(
      `${name}-targets`,
      {
        name: lbName,
        port: PORTS.edgeHttp.port,
        protocol: "TCP",
        targetType: "instance",
        vpcId: args.vpcId,
        // websockets live long; a node leaving gets a minute to hand them over
        deregistrationDelay: 60,
        healthCheck: {
          protocol: "HTTP",
          path: EDGE_HEALTH_URI,
          port: "traffic-port",
          interval: 10,
          healthyThreshold: 2,
          unhealthyThreshold: 2,
        },
        tags: { Role: "edge" },
      },
      child,
    );

    plan.edgeNodes.forEach((node, n) => {
      const parameterName = edgeConfigParameter(stack, node.name);
      new aws.ssm.Parameter(
        `${name}-${n}-config`,
        {
          name: parameterName,
          type: "String",
          tier: "Intelligent-Tiering",
          // plain: the SDK would treat `value` as a secret and hide the configuration from previews
          insecureValue: shards.apply((list) =>
            renderHaproxyConfig({
              domain: args.topology.domain,
              region: plan.name,
              nodeName: node.name,
              nodeAddress: node.address,
              peers: args.topology.edgeNodes.map((p) => ({ name: p.name, address: p.address })),
              shards: [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
            }),
          ),
          description: `HAProxy configuration of Jitsi edge node ${node.name}`,
          tags: { Role: "edge", Node: node.node },
        },
        child,
      );
      const instance = new aws.ec2.Instance(
        `${name}-${n}`,
        {
          ami: image.value,
          instanceType: edge.instanceType,
          subnetId: args.subnetIds[node.subnetIndex],
          privateIp: node.address,
          vpcSecurityGroupIds: [args.edgeSecurityGroupId],
          iamInstanceProfile: args.instanceProfileName,
          userDataBase64: encodeUserData(
            renderEdgeUserData({ region: plan.name, stack, nodeName: node.name, configParameter: parameterName }),
          ),
          userDataReplaceOnChange: true,
          metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
          rootBlockDevice: { volumeType: "gp3", volumeSize: 10, encrypted: true, deleteOnTermination: true },
          tags: { Name: `jitsi-${stack}-${node.name}`, Role: "edge", Node: node.node },
          volumeTags: { Name: `jitsi-${stack}-${node.name}`, Role: "edge", Node: node.node },
        },
        // The fixed address can be held by one instance at a time: the old node goes first.
        { ...child, ignoreChanges: ["ami"], deleteBeforeReplace: true },
      );
      new aws.lb.TargetGroupAttachment(
        `${name}-${n}`,
        { targetGroupArn: targets.arn, targetId: instance.id, port: PORTS.edgeHttp.port },
        child,
      );
    });

    const balancer = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        name: lbName,
        loadBalancerType: "network",
        internal: false,
        subnets: args.subnetIds,
        securityGroups: [args.lbSecurityGroupId],
        enableCrossZoneLoadBalancing: true,
        tags: { Role: "edge" },
      },
      // users enter here: a delete fails until the region's protection is lifted
      { ...child, protect: plan.protect },
    );
    new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: balancer.arn,
        port: PORTS.publicHttps.port,
        protocol: "TLS",
        certificateArn: args.certificateArn,
        sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        defaultActions: [{ type: "forward", targetGroupArn: targets.arn }],
      },
      child,
    );

    if (args.hostedZoneId !== undefined) {
      new aws.route53.Record(
        `${name}-latency`,
        {
          zoneId: args.hostedZoneId,
          name: args.topology.domain,
          type: "A",
          setIdentifier: plan.name,
          latencyRoutingPolicies: [{ region: plan.name }],
          // an unhealthy region's record is skipped: users go to the next nearest edge
          aliases: [{ name: balancer.dnsName, zoneId: balancer.zoneId, evaluateTargetHealth: true }],
        },
        child,
      );
    }

    this.loadBalancerDnsName = balancer.dnsName;
    this.loadBalancerZoneId = balancer.zoneId;
    this.loadBalancerArn = balancer.arn;
    this.registerOutputs({ loadBalancerDnsName: this.loadBalancerDnsName });
  }
}
