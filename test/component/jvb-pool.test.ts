// Bridge pools as the real program registers them for the dev stack.
import { scaleInTimings } from "../../components/scaling";
import { decodeUserData } from "../../scripts/lib/plan-output";
import { planDevStackOnce, runProgram, stackOf } from "../harness";

const dev = planDevStackOnce();
const { region, ofType, byId, providerOf } = dev;

describe("bridge pools", () => {
  it("one group per bridge region, with that region's provider and subnets, sized by config and never pinned", () => {
    const groups = ofType("aws:autoscaling/group:Group");
    expect(groups.map(region)).toEqual(dev.plan.topology.relayRegions);
    for (const g of groups) {
      const r = dev.plan.topology.regions.find((x) => x.name === region(g))!;
      expect(g.provider).toBe(providerOf(r.name));
      expect([g.inputs.name, g.inputs.minSize, g.inputs.maxSize]).toEqual([
        `jitsi-dev-${r.name}-jvb`,
        r.jvb!.minSize,
        r.jvb!.maxSize,
      ]);
      expect(g.inputs).not.toHaveProperty("desiredCapacity");
      expect((g.inputs.vpcZoneIdentifiers as string[]).map((id) => region(byId(id)!))).toEqual(
        r.subnets.map(() => r.name),
      );
      expect(g.inputs.instanceRefresh).toMatchObject({ strategy: "Rolling" });
      // tags that reach the instances (provider default tags do not)
      expect(g.inputs.tags).toEqual(
        expect.arrayContaining([
          { key: "Project", value: "jitsi", propagateAtLaunch: true },
          { key: "Stack", value: "dev", propagateAtLaunch: true },
          { key: "Role", value: "bridges", propagateAtLaunch: true },
        ]),
      );
    }
  });

  it("launch bridges with IMDSv2 only, encrypted volumes, the bridge group and role, and tagged instances", () => {
    for (const t of ofType("aws:ec2/launchTemplate:LaunchTemplate")) {
      const code = region(t)!;
      expect(t.inputs.metadataOptions).toMatchObject({ httpTokens: "required" });
      expect(t.inputs.blockDeviceMappings).toEqual([
        expect.objectContaining({ ebs: expect.objectContaining({ encrypted: "true" }) }),
      ]);
      expect((t.inputs.vpcSecurityGroupIds as string[]).map((id) => byId(id)!.name)).toEqual([
        `jitsi-${code}-sg-bridges`,
      ]);
      expect((t.inputs.iamInstanceProfile as { name: string }).name).toBe(`jitsi-${code}-bridges-role`);
      expect((t.inputs.tagSpecifications as { resourceType: string }[]).map((s) => s.resourceType)).toEqual([
        "instance",
        "volume",
      ]);
      const userData = decodeUserData(t.inputs.userData as string);
      expect(userData).toMatch(/^#cloud-config\n/);
      expect(userData).not.toContain("PLAN-SECRET-");
      expect(t.options.ignoreChanges).toEqual(["imageId"]);
    }
  });

  it("scale on the pool's average stress, and hold each leaving bridge with a hook that agrees with its cap", () => {
    for (const g of ofType("aws:autoscaling/group:Group")) {
      const r = dev.plan.topology.regions.find((x) => x.name === region(g))!;
      const [policy] = ofType("aws:autoscaling/policy:Policy").filter(
        (p) => p.inputs.autoscalingGroupName === g.inputs.name,
      );
      expect(policy.inputs).toMatchObject({
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          targetValue: r.jvb!.targetStress,
          customizedMetricSpecification: {
            namespace: "Jitsi/Bridges",
            metricName: "StressLevel",
            statistic: "Average",
            metricDimensions: [{ name: "Pool", value: g.inputs.name }],
          },
        },
      });
      const [hook] = ofType("aws:autoscaling/lifecycleHook:LifecycleHook").filter(
        (h) => h.inputs.autoscalingGroupName === g.inputs.name,
      );
      const timings = scaleInTimings(r.jvb!.gracefulShutdownMinutes);
      expect(hook.inputs).toMatchObject({
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: timings.heartbeatTimeoutSeconds,
        defaultResult: "CONTINUE",
      });
    }
  });

  it("are written by the plan under rendered/<region>/jvb/", () => {
    for (const code of dev.plan.topology.relayRegions) {
      const paths = dev.plan.rendered.filter((f) => f.path.startsWith(`${code}/jvb/`)).map((f) => f.path);
      expect(paths).toContain(`${code}/jvb/user-data`);
      expect(paths.some((p) => p.endsWith("jvb.conf.template.json"))).toBe(true);
    }
  });
});

describe("spot above an on-demand base", () => {
  it("mixes instance types with capacity rebalancing only when configured", async () => {
    const { cloud } = await runProgram(
      stackOf({
        domain: "meet.example.com",
        hostedZone: "example.com",
        regions: {
          "eu-west-1": {
            cidr: "10.10.0.0/16",
            jvb: { instanceType: "c6i.large", spot: { onDemandBase: 2, instanceTypes: ["c6a.large"] } },
            edge: {},
          },
          "us-east-1": { cidr: "10.20.0.0/16", jvb: {} },
        },
        shards: [{ name: "a", region: "eu-west-1" }],
      }),
    );
    const groups = Object.fromEntries(
      cloud.resources.filter((r) => r.type === "aws:autoscaling/group:Group").map((g) => [cloud.regionOf(g), g.inputs]),
    );
    expect(groups["eu-west-1"]).toMatchObject({
      capacityRebalance: true,
      mixedInstancesPolicy: {
        instancesDistribution: { onDemandBaseCapacity: 2, onDemandPercentageAboveBaseCapacity: 0 },
        launchTemplate: { overrides: [{ instanceType: "c6i.large" }, { instanceType: "c6a.large" }] },
      },
    });
    expect(groups["eu-west-1"]).not.toHaveProperty("launchTemplate");
    expect(groups["us-east-1"]).toMatchObject({ capacityRebalance: false });
    expect(groups["us-east-1"]).not.toHaveProperty("mixedInstancesPolicy");
  });
});
