import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { architectureOf, debianAmiParameter } from "./ami";
import type { JvbSettings } from "./config";
import { shardSecretPath } from "./parameters";
import { renderBridgeUserData } from "./render/bridge-user-data";
import { encodeUserData } from "./render/cloud-config";
import { BRIDGE_METRICS, bridgeLifecycleHookName, bridgePoolName, scaleInTimings } from "./scaling";

export interface JvbPoolArgs {
  readonly region: string;
  readonly stack: string;
  readonly project: string;
  readonly jvb: JvbSettings;
  /** The shard registry parameter the bridges follow. */
  readonly registryParameter: string;
  readonly provider: aws.Provider;
  readonly subnetIds: pulumi.Input<string>[];
  readonly securityGroupId: pulumi.Input<string>;
  readonly instanceProfileName: pulumi.Input<string>;
}

/**
 * A region's bridges: an autoscaling group over the region's subnets, launched from a template
 * whose user-data (render/bridge-*) installs jitsi-videobridge2, turns relay on for this region,
 * follows the shard registry and publishes the bridges' stress. Target tracking on that stress
 * owns the group's size (nothing here pins a desired capacity); a termination lifecycle hook
 * gives each bridge time to let its conferences end before the instance goes.
 */
export class JvbPool extends pulumi.ComponentResource {
  public readonly autoScalingGroupName: pulumi.Output<string>;
  public readonly launchTemplateId: pulumi.Output<string>;

  constructor(name: string, args: JvbPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:JvbPool", name, {}, opts);
    const { jvb, provider, region, stack } = args;
    const child = { parent: this, provider };
    const poolName = bridgePoolName(stack, region);
    const hookName = bridgeLifecycleHookName(stack, region);
    const timings = scaleInTimings(jvb.gracefulShutdownMinutes);
    const tags = { Name: poolName, Project: args.project, Stack: stack, Region: region, Role: "bridges" };

    const image = aws.ssm.getParameterOutput(
      { name: debianAmiParameter(architectureOf(jvb.instanceType)) },
      { parent: this, provider },
    );
    const userData = renderBridgeUserData({
      region,
      stack,
      poolName,
      autoScalingGroupName: poolName,
      lifecycleHookName: hookName,
      registryParameter: args.registryParameter,
      jvbPasswordParameterTemplate: shardSecretPath(stack, "{shard}", "jvb-password"),
      gracefulShutdownSeconds: timings.capSeconds,
      heartbeatIntervalSeconds: timings.heartbeatIntervalSeconds,
      metrics: {
        namespace: BRIDGE_METRICS.namespace,
        stress: BRIDGE_METRICS.stress,
        participants: BRIDGE_METRICS.participants,
      },
    });

    const template = new aws.ec2.LaunchTemplate(
      `${name}-template`,
      {
        description: `Jitsi bridges of stack ${stack} in ${region}`,
        imageId: image.value,
        instanceType: jvb.instanceType,
        iamInstanceProfile: { name: args.instanceProfileName },
        vpcSecurityGroupIds: [args.securityGroupId],
        userData: encodeUserData(userData),
        // IMDSv2 only; the agents on the bridge call it from the host, one hop.
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: { volumeType: "gp3", volumeSize: 16, encrypted: "true", deleteOnTermination: "true" },
          },
        ],
        // Provider default tags do not reach what an autoscaling group launches; these do.
        tagSpecifications: [
          { resourceType: "instance", tags },
          { resourceType: "volume", tags },
        ],
        updateDefaultVersion: true,
        tags: { Role: "bridges" },
      },
      // A newer monthly Debian image alone does not roll the pool; the next template change does.
      { ...child, ignoreChanges: ["imageId"] },
    );

    const launchTemplate = { id: template.id, version: template.latestVersion.apply((v) => `${v}`) };
    const group = new aws.autoscaling.Group(
      `${name}-group`,
      {
        name: poolName,
        minSize: jvb.minSize,
        maxSize: jvb.maxSize,
        vpcZoneIdentifiers: args.subnetIds,
        healthCheckType: "EC2",
        healthCheckGracePeriod: 300,
        // Bridges that are shutting down gracefully must not be replaced as unhealthy meanwhile.
        defaultInstanceWarmup: 300,
        capacityRebalance: jvb.spot !== undefined,
        ...(jvb.spot
          ? {
              mixedInstancesPolicy: {
                launchTemplate: {
                  launchTemplateSpecification: { launchTemplateId: template.id, version: launchTemplate.version },
                  overrides: [jvb.instanceType, ...jvb.spot.instanceTypes.filter((t) => t !== jvb.instanceType)].map(
                    (instanceType) => ({ instanceType }),
                  ),
                },
                instancesDistribution: {
                  onDemandBaseCapacity: jvb.spot.onDemandBase,
                  onDemandPercentageAboveBaseCapacity: 0,
                  spotAllocationStrategy: "price-capacity-optimized",
                },
              },
            }
          : { launchTemplate }),
        // A new template version rolls the pool; each replaced bridge drains through the hook.
        instanceRefresh: {
          strategy: "Rolling",
          preferences: { minHealthyPercentage: 90, instanceWarmup: "300", skipMatching: true },
        },
        terminationPolicies: ["OldestLaunchTemplate", "Default"],
        enabledMetrics: ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupTerminatingInstances"],
        tags: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      },
      child,
    );

    new aws.autoscaling.LifecycleHook(
      `${name}-drain`,
      {
        name: hookName,
        autoscalingGroupName: group.name,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: timings.heartbeatTimeoutSeconds,
        // If the watcher is gone, let the instance go rather than keep paying for it.
        defaultResult: "CONTINUE",
      },
      child,
    );

    new aws.autoscaling.Policy(
      `${name}-stress`,
      {
        autoscalingGroupName: group.name,
        policyType: "TargetTrackingScaling",
        estimatedInstanceWarmup: 300,
        targetTrackingConfiguration: {
          targetValue: jvb.targetStress,
          customizedMetricSpecification: {
            namespace: BRIDGE_METRICS.namespace,
            metricName: BRIDGE_METRICS.stress,
            statistic: "Average",
            metricDimensions: [{ name: BRIDGE_METRICS.dimension, value: poolName }],
          },
        },
      },
      child,
    );

    this.autoScalingGroupName = group.name;
    this.launchTemplateId = template.id;
    this.registerOutputs({ autoScalingGroupName: this.autoScalingGroupName, launchTemplateId: this.launchTemplateId });
  }
}
