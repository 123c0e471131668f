// The Pulumi program: read the stack config, build the deployment, export what operators need.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, fromPulumiConfig, parseSettings } from "./components/config";
import { Deployment } from "./components/deployment";
import { buildTopology } from "./components/topology";

function settingsOrExit() {
  try {
    return parseSettings(fromPulumiConfig(pulumi.runtime.allConfig()));
  } catch (err) {
    // RunError prints the message without a stack trace: the problem lines are the whole story.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const topology = buildTopology(settingsOrExit());
const deployment = new Deployment("jitsi", {
  topology,
  project: pulumi.getProject(),
  stack: pulumi.getStack(),
});

export const domain = topology.domain;
export const regions = topology.regions.map((r) => ({ region: r.name, cidr: r.cidr, roles: r.roles }));
export const shards = topology.shards.map((s) => ({ id: s.id, region: s.region, state: s.state }));
export const peerings = topology.peerings.map((p) => `${p.requester} <-> ${p.accepter}`);
export const networks = Object.fromEntries(
  Object.entries(deployment.regions).map(([name, region]) => [
    name,
    { vpcId: region.network.vpcId, subnetIds: region.network.subnetIds },
  ]),
);
/** Parameter names (never values) of each shard's secrets; the same name in every region holding a copy. */
export const shardSecretParameters = Object.fromEntries(
  Object.entries(deployment.secrets).map(([id, secrets]) => [id, secrets.parameterNames]),
);
export const deploymentUrn = deployment.urn;
/** Per shard: where its signalling node runs and how to open a shell on it (no SSH: Session Manager). */
export const shardNodes = Object.fromEntries(
  Object.entries(deployment.shards).map(([id, shard]) => [
    id,
    {
      region: shard.region,
      instanceId: shard.instanceId,
      privateIp: shard.privateIp,
      session: pulumi.interpolate`aws ssm start-session --region ${shard.region} --target ${shard.instanceId}`,
    },
  ]),
);
export const shardRegistryParameter = deployment.registry.parameterName;
/** Per region with bridges: the autoscaling group that target tracking sizes. */
export const bridgePools = Object.fromEntries(
  Object.entries(deployment.pools).map(([region, pool]) => [
    region,
    { autoScalingGroupName: pool.autoScalingGroupName },
  ]),
);
/**
 * Per edge region: the load balancer users reach and its HAProxy nodes. Without a hosted zone the
 * stack writes no DNS record: `dnsRecord` says what to create.
 */
export const edges = Object.fromEntries(
  Object.entries(deployment.edges).map(([region, edge]) => [
    region,
    {
      loadBalancer: edge.loadBalancerDnsName,
      nodes: topology.edgeNodes.filter((n) => n.region === region).map((n) => ({ name: n.name, address: n.address })),
      dnsRecord: topology.hostedZone
        ? `managed by the stack: latency record ${topology.domain} (set ${region}) in ${topology.hostedZone}`
        : pulumi.interpolate`create it yourself: ${topology.domain} CNAME ${edge.loadBalancerDnsName} (latency-routed for ${region} if your DNS can)`,
    },
  ]),
);
