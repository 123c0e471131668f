// The real program (index.ts) under the simulated cloud: providers per region, URN stability,
// invalid config creating nothing, and the simulated cloud's own strictness.
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { devStack, runProgram, stackOf, ROOT } from "../harness";

const base = {
  domain: "meet.example.com",
  hostedZone: "example.com",
  regions: {
    "eu-west-1": { cidr: "10.10.0.0/16", jvb: {}, edge: {} },
    "us-east-1": { cidr: "10.20.0.0/16", jvb: {} },
  },
  shards: [{ name: "eu1", region: "eu-west-1" }],
};

describe("the dev stack", () => {
  it("has one explicit aws provider per region, tagged, inside that region's component", async () => {
    const { cloud, topology } = await runProgram(devStack());
    const all = cloud.resources.filter((r) => r.type === "pulumi:providers:aws");
    // Route53 is global: the stack's DNS provider lives beside the regions, not in one of them
    const dns = all.filter((p) => p.name === "jitsi-dns-provider");
    expect(dns.map((p) => [p.inputs.region, p.parent])).toEqual([
      ["us-east-1", "urn:pulumi:dev::jitsi::jitsi:aws:Deployment::jitsi"],
    ]);
    const providers = all.filter((p) => !dns.includes(p));
    expect(providers.map((p) => p.inputs.region).sort()).toEqual(topology.regions.map((r) => r.name));
    for (const p of providers) {
      expect(JSON.parse(p.inputs.defaultTags as string)).toEqual({
        tags: { Project: "jitsi", Stack: "dev", Region: p.inputs.region, ManagedBy: "pulumi" },
      });
      // the provider lives inside its region's component, so removing the region removes it
      const parent = cloud.resources.find((r) => r.urn === p.parent)!;
      expect(parent.type).toBe("jitsi:aws:Region");
      expect(parent.name).toBe(`jitsi-${p.inputs.region}`);
    }
  });

  it("exports the regions, shards and peerings an operator reads after `pulumi up`", async () => {
    const { outputs } = await runProgram(devStack());
    expect(outputs.domain).toBe("meet-dev.example.com");
    expect(outputs.shards).toEqual([
      { id: "eu-west-1-eu1", region: "eu-west-1", state: "ready" },
      { id: "us-east-1-us1", region: "us-east-1", state: "ready" },
    ]);
    expect(outputs.peerings).toEqual([
      "eu-central-1 <-> eu-west-1",
      "eu-central-1 <-> us-east-1",
      "eu-west-1 <-> us-east-1",
    ]);
  });
});

describe("URNs are an API", () => {
  // Every resource that exists because of a region names it (its own parts, its peerings, its
  // copies of secrets, other regions' firewall rules for it).
  const urnsIn = (urns: string[], region: string) => urns.filter((u) => u.split("::").pop()!.includes(region));

  it("adding a region adds its own resources and changes no URN of the others", async () => {
    const before = (await runProgram(stackOf(base))).cloud.resources.map((r) => r.urn);
    const after = (
      await runProgram(
        stackOf({ ...base, regions: { ...base.regions, "ap-south-1": { cidr: "10.30.0.0/16", jvb: {} } } }),
      )
    ).cloud.resources.map((r) => r.urn);
    expect(after).toEqual(expect.arrayContaining(before));
    const added = after.filter((u) => !before.includes(u));
    expect(added.length).toBeGreaterThan(0);
    expect(added).toEqual(urnsIn(after, "ap-south-1"));
  });

  it("removing a region removes only its own resources", async () => {
    const before = (await runProgram(stackOf(base))).cloud.resources.map((r) => r.urn);
    const { "us-east-1": _removed, ...rest } = base.regions;
    const after = (await runProgram(stackOf({ ...base, regions: rest }))).cloud.resources.map((r) => r.urn);
    const removed = before.filter((u) => !after.includes(u));
    expect(removed).toEqual(urnsIn(before, "us-east-1"));
    expect(removed.length).toBeGreaterThan(0);
    expect(after.every((u) => before.includes(u))).toBe(true);
  });
});

describe("invalid config", () => {
  it("stops index.ts with every problem before a single resource is registered", async () => {
    let cloudResources: unknown[] = ["not run"];
    let error: Error | undefined;
    await jest.isolateModulesAsync(async () => {
      const { SimulatedCloud } = await import("../../scripts/lib/simulated-cloud");
      const bad = stackOf({ ...base, shards: [{ name: "Bad_Name", region: "mars-1" }] });
      const cloud = await SimulatedCloud.install(bad);
      try {
        await import("../../index");
      } catch (err) {
        error = err as Error;
      }
      await cloud.settle();
      cloudResources = cloud.resources;
    });
    // a RunError is printed by the engine as its message alone, without a stack trace
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(error?.message).toContain('jitsi:shards[0].name: "Bad_Name" is not DNS-safe');
    expect(error?.message).toContain('jitsi:shards[0].region: "mars-1" is not in jitsi:regions (eu-west-1, us-east-1)');
    expect(cloudResources).toEqual([]);
  });
});

describe("the simulated cloud is strict", () => {
  it("refuses an aws resource without an explicit provider, as disable-default-providers would", async () => {
    await expect(runProgram(stackOf(base), undefined, join(ROOT, "test/fixtures/forgets-provider.ts"))).rejects.toThrow(
      'aws:s3/bucket:Bucket "orphan" has no explicit provider',
    );
  });

  it("fails on an invoke it does not know instead of answering something made up", async () => {
    // Called directly: inside a program the SDK turns the failure into a rejected Output, which
    // jest would report against whichever test runs next.
    await jest.isolateModulesAsync(async () => {
      const { SimulatedCloud } = await import("../../scripts/lib/simulated-cloud");
      const cloud = await SimulatedCloud.install(stackOf(base));
      expect(() => cloud.call({ token: "aws:ec2/getVpcs:getVpcs", inputs: {} })).toThrow(
        "the simulated cloud does not know the invoke aws:ec2/getVpcs:getVpcs; add its answer to the invoke table",
      );
      expect(cloud.violations).toHaveLength(1);
      // and a known regional invoke without a provider is flagged, since it would hit the default region
      cloud.call({ token: "aws:index/getAvailabilityZones:getAvailabilityZones", inputs: {} });
      expect(cloud.violations[1]).toBe(
        "invoke aws:index/getAvailabilityZones:getAvailabilityZones has no explicit provider; it would run against the default region",
      );
    });
  });
});

describe("removing a region from the dev stack", () => {
  it("changes nothing of the other regions but the shards' settings parameters", async () => {
    const dev = devStack();
    const before = (await runProgram(dev)).planned;
    const regions = JSON.parse(dev.config["jitsi:regions"]) as Record<string, unknown>;
    delete regions["eu-central-1"];
    const octo = JSON.parse(dev.config["jitsi:octo"]) as { regionGroups: string[][] };
    octo.regionGroups = octo.regionGroups.map((g) => g.filter((r) => r !== "eu-central-1"));
    const after = (
      await runProgram({
        ...dev,
        config: { ...dev.config, "jitsi:regions": JSON.stringify(regions), "jitsi:octo": JSON.stringify(octo) },
      })
    ).planned;
    const afterByUrn = new Map(after.map((r) => [r.urn, r]));
    const changed = before
      .filter(
        (r) => afterByUrn.has(r.urn) && JSON.stringify(afterByUrn.get(r.urn)!.inputs) !== JSON.stringify(r.inputs),
      )
      .map((r) => r.name);
    expect(changed.sort()).toEqual(["jitsi-eu-west-1-shard-eu1-settings", "jitsi-us-east-1-shard-us1-settings"]);
    const gone = before.filter((r) => !afterByUrn.has(r.urn)).map((r) => r.name);
    expect(gone.length).toBeGreaterThan(0);
    for (const name of gone) expect(name).toContain("eu-central-1");
    expect(after.every((r) => before.some((b) => b.urn === r.urn))).toBe(true);
  });
});
