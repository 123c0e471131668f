import fc from "fast-check";
import { parseSettings, type Settings } from "../../components/config";
import { contains, overlaps, parseCidr } from "../../components/ipv4";
import { buildTopology, peeringPairs, regionSubnets, type RegionRole } from "../../components/topology";

function settings(overrides: Record<string, unknown> = {}): Settings {
  return parseSettings({
    domain: "meet.example.com",
    hostedZone: "example.com",
    regions: {
      "us-east-1": { cidr: "10.20.0.0/16", jvb: {} },
      "eu-west-1": { cidr: "10.10.0.0/16", jvb: {}, edge: {}, availabilityZones: 3 },
      "eu-central-1": { cidr: "10.11.0.0/16", jvb: {} },
    },
    shards: [
      { name: "eu1", region: "eu-west-1" },
      { name: "us1", region: "us-east-1", state: "drain" },
    ],
    ...overrides,
  });
}

describe("buildTopology", () => {
  it("lists regions sorted by code with their roles and shards", () => {
    const t = buildTopology(settings());
    expect(t.regions.map((r) => [r.name, r.roles, r.shards.map((s) => s.id)])).toEqual([
      ["eu-central-1", ["bridges"], []],
      ["eu-west-1", ["signalling", "bridges", "edge"], ["eu-west-1-eu1"]],
      ["us-east-1", ["signalling", "bridges"], ["us-east-1-us1"]],
    ]);
    expect(t.relayRegions).toEqual(["eu-central-1", "eu-west-1", "us-east-1"]);
    expect(t.edgeRegions).toEqual(["eu-west-1"]);
  });

  it("gives shards stable ids that name their region, keeping state and instance type", () => {
    expect(buildTopology(settings()).shards).toEqual([
      // eu-west-1 has 3 zones, us-east-1 2: the zone is a hash of the name over them
      {
        name: "eu1",
        id: "eu-west-1-eu1",
        region: "eu-west-1",
        instanceType: "m6i.large",
        state: "ready",
        subnetIndex: 2,
      },
      {
        name: "us1",
        id: "us-east-1-us1",
        region: "us-east-1",
        instanceType: "m6i.large",
        state: "drain",
        subnetIndex: 0,
      },
    ]);
  });

  it("carves one subnet per availability zone from the front of the region's range", () => {
    const eu = buildTopology(settings()).regions.find((r) => r.name === "eu-west-1")!;
    expect(eu.subnets).toEqual([
      { azIndex: 0, cidr: "10.10.0.0/20" },
      { azIndex: 1, cidr: "10.10.16.0/20" },
      { azIndex: 2, cidr: "10.10.32.0/20" },
    ]);
  });

  it("does not depend on the order regions are listed in", () => {
    const a = settings();
    const reversed = Object.fromEntries(Object.entries(a.regions).reverse());
    expect(buildTopology({ ...a, regions: reversed })).toEqual(buildTopology(a));
  });

  it("peers bridge regions and edge regions with every shard region, and edges with each other", () => {
    expect(buildTopology(settings()).peerings).toEqual([
      { requester: "eu-central-1", accepter: "eu-west-1", reasons: ["bridges-to-signalling"] },
      { requester: "eu-central-1", accepter: "us-east-1", reasons: ["bridges-to-signalling"] },
      { requester: "eu-west-1", accepter: "us-east-1", reasons: ["bridges-to-signalling", "edge-to-signalling"] },
    ]);
  });

  it("needs no peering when everything runs in one region", () => {
    const one = settings({
      regions: { "eu-west-1": { cidr: "10.10.0.0/16", jvb: {}, edge: {} } },
      shards: [{ name: "a", region: "eu-west-1" }],
    });
    expect(buildTopology(one).peerings).toEqual([]);
  });

  it("peers two edge regions even when neither holds a shard", () => {
    const t = buildTopology(
      settings({
        regions: {
          "eu-west-1": { cidr: "10.10.0.0/16", edge: {} },
          "us-east-1": { cidr: "10.20.0.0/16", edge: {} },
          "eu-central-1": { cidr: "10.11.0.0/16", jvb: {} },
        },
        shards: [{ name: "a", region: "eu-central-1" }],
      }),
    );
    expect(t.peerings).toEqual([
      { requester: "eu-central-1", accepter: "eu-west-1", reasons: ["edge-to-signalling"] },
      { requester: "eu-central-1", accepter: "us-east-1", reasons: ["edge-to-signalling"] },
      { requester: "eu-west-1", accepter: "us-east-1", reasons: ["edge-to-edge"] },
    ]);
  });
});

describe("peeringPairs (property)", () => {
  const roles: RegionRole[] = ["signalling", "bridges", "edge"];
  const region = (i: number) => `r${String(i).padStart(2, "0")}`;
  const regionsArb = fc
    .array(fc.subarray(roles), { minLength: 1, maxLength: 12 })
    .map((list) => list.map((r, i) => ({ name: region(i), roles: r })));

  it("holds exactly the pairs that must talk, once each, ordered, never a region with itself", () => {
    fc.assert(
      fc.property(regionsArb, (regions) => {
        const pairs = peeringPairs(regions);
        const has = (name: string, role: RegionRole) => regions.find((r) => r.name === name)!.roles.includes(role);
        const mustTalk = (a: string, b: string) =>
          (has(a, "signalling") && (has(b, "bridges") || has(b, "edge"))) ||
          (has(b, "signalling") && (has(a, "bridges") || has(a, "edge"))) ||
          (has(a, "edge") && has(b, "edge"));
        const expected: string[] = [];
        for (const a of regions)
          for (const b of regions)
            if (a.name < b.name && mustTalk(a.name, b.name)) expected.push(`${a.name}|${b.name}`);
        expect(pairs.map((p) => `${p.requester}|${p.accepter}`)).toEqual(expected);
        for (const p of pairs) expect(p.reasons.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe("regionSubnets (property)", () => {
  it("stay inside the VPC range, never overlap, and keep their place when zones are added", () => {
    const vpc = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 22 }))
      .map(([b, c, prefix]) => {
        const block = parseCidr(`10.${b}.${c}.0/${prefix}`)!.block;
        return `${[24, 16, 8, 0].map((s) => Math.floor(block.base / 2 ** s) % 256).join(".")}/${prefix}`;
      });
    fc.assert(
      fc.property(vpc, fc.integer({ min: 2, max: 6 }), (cidr, zones) => {
        const outer = parseCidr(cidr)!.block;
        const subnets = regionSubnets(cidr, zones).map((s) => parseCidr(s.cidr)!.block);
        expect(subnets).toHaveLength(zones);
        subnets.forEach((s, i) => {
          expect(contains(outer, s)).toBe(true);
          expect(s.prefix).toBeLessThanOrEqual(26);
          subnets.slice(i + 1).forEach((t) => expect(overlaps(s, t)).toBe(false));
        });
        expect(regionSubnets(cidr, zones + 1).slice(0, zones)).toEqual(regionSubnets(cidr, zones));
      }),
    );
  });
});

describe("edge nodes", () => {
  it("spread over the zones with fixed addresses past AWS's reserved ones, named uniquely across regions", () => {
    const t = buildTopology(
      settings({
        regions: {
          "eu-west-1": { cidr: "10.10.0.0/16", jvb: {}, edge: { nodes: 3 } },
          "us-east-1": { cidr: "10.20.0.0/16", edge: { nodes: 1 } },
        },
        shards: [{ name: "a", region: "eu-west-1" }],
      }),
    );
    expect(t.edgeNodes).toEqual([
      { name: "eu-west-1-edge-0", node: "edge-0", region: "eu-west-1", subnetIndex: 0, address: "10.10.0.20" },
      { name: "eu-west-1-edge-1", node: "edge-1", region: "eu-west-1", subnetIndex: 1, address: "10.10.16.20" },
      { name: "eu-west-1-edge-2", node: "edge-2", region: "eu-west-1", subnetIndex: 0, address: "10.10.0.21" },
      { name: "us-east-1-edge-0", node: "edge-0", region: "us-east-1", subnetIndex: 0, address: "10.20.0.20" },
    ]);
  });
});

describe("protection", () => {
  it("is on for regions that hold a shard or an edge, off elsewhere, unless configured", () => {
    const t = buildTopology(settings());
    expect(t.regions.map((r) => [r.name, r.protect])).toEqual([
      ["eu-central-1", false],
      ["eu-west-1", true],
      ["us-east-1", true],
    ]);
    const lifted = buildTopology(
      settings({
        regions: {
          "us-east-1": { cidr: "10.20.0.0/16", jvb: {}, protect: false },
          "eu-west-1": { cidr: "10.10.0.0/16", jvb: {}, edge: {} },
          "eu-central-1": { cidr: "10.11.0.0/16", jvb: {}, protect: true },
        },
      }),
    );
    expect(lifted.regions.map((r) => [r.name, r.protect])).toEqual([
      ["eu-central-1", true],
      ["eu-west-1", true],
      ["us-east-1", false],
    ]);
  });
});

describe("shard placement", () => {
  it("depends on the shard's own name only: adding or removing other shards moves none", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), { minLength: 2, maxLength: 8 }),
        (names) => {
          const place = (list: string[]) =>
            Object.fromEntries(
              buildTopology(settings({ shards: list.map((name) => ({ name, region: "eu-west-1" })) })).shards.map(
                (s) => [s.name, s.subnetIndex],
              ),
            );
          const all = place(names);
          const fewer = place(names.slice(1));
          for (const name of names.slice(1)) expect(fewer[name]).toBe(all[name]);
          for (const index of Object.values(all)) expect(index).toBeLessThan(3);
        },
      ),
      { numRuns: 50 },
    );
  });
});
