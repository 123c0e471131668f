// Regional networks, the peering mesh, security groups, secrets and instance roles of the dev
// stack, as the real program registers them under the simulated cloud.
import { ingressRules } from "../../components/firewall";
import type { PlanResult } from "../../scripts/lib/plan";
import { isSecretValue, type RecordedResource } from "../../scripts/lib/simulated-cloud";
import { devStack, runProgram } from "../harness";

let plan: PlanResult;
let byId: Map<string, RecordedResource>;
let resources: RecordedResource[];

beforeAll(async () => {
  plan = await runProgram(devStack());
  resources = plan.cloud.resources;
  byId = new Map(resources.filter((r) => r.id).map((r) => [r.id!, r]));
});

const region = (r: RecordedResource) => plan.cloud.regionOf(r);
const ofType = (type: string) => resources.filter((r) => r.type === type);
const ancestors = (r: RecordedResource): RecordedResource[] => {
  const parent = resources.find((x) => x.urn === r.parent);
  return parent ? [parent, ...ancestors(parent)] : [];
};

describe("providers", () => {
  it("every aws resource uses the provider of the region it belongs to", () => {
    const aws = resources.filter((r) => r.custom && r.type.startsWith("aws:"));
    expect(aws.length).toBeGreaterThan(50);
    for (const r of aws) {
      expect(r.provider).not.toBeNull();
      const home = ancestors(r).find((a) => a.type === "jitsi:aws:Region");
      if (home) {
        expect([r.name, region(r)]).toEqual([r.name, home.name.replace(/^jitsi-/, "")]);
      } else if (r.type.startsWith("aws:route53/")) {
        // DNS is global: the stack's own DNS provider, outside every region
        expect(r.provider).toBe(resources.find((p) => p.name === "jitsi-dns-provider")!.urn);
      } else if (r.type === "aws:ec2/vpcPeeringConnection:VpcPeeringConnection") {
        expect(region(r)).toBe(
          plan.topology.peerings.find((p) => r.name.endsWith(`${p.requester}-${p.accepter}`))!.requester,
        );
      } else {
        // accepters, routes and secret copies name their region last
        expect([r.name, r.name.endsWith(`-${region(r)}`) || r.type.endsWith("VpcPeeringConnectionAccepter")]).toEqual([
          r.name,
          true,
        ]);
      }
    }
  });

  it("every id a resource refers to belongs to its own region (the peer VPC to the peer region)", () => {
    const refs = ["vpcId", "routeTableId", "subnetId", "securityGroupId", "referencedSecurityGroupId", "gatewayId"];
    let checked = 0;
    for (const r of resources) {
      for (const key of refs) {
        const target = typeof r.inputs[key] === "string" ? byId.get(r.inputs[key] as string) : undefined;
        if (!target) continue;
        expect([r.name, key, region(target)]).toEqual([r.name, key, region(r)]);
        checked++;
      }
      if (r.type === "aws:ec2/vpcPeeringConnection:VpcPeeringConnection") {
        expect(region(byId.get(r.inputs.peerVpcId as string)!)).toBe(r.inputs.peerRegion);
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe("regional networks", () => {
  it("one VPC per region with its range, a subnet per zone from the topology, in distinct zones", () => {
    for (const r of plan.topology.regions) {
      const [vpc] = ofType("aws:ec2/vpc:Vpc").filter((v) => region(v) === r.name);
      expect(vpc.inputs.cidrBlock).toBe(r.cidr);
      const subnets = ofType("aws:ec2/subnet:Subnet").filter((s) => region(s) === r.name);
      expect(subnets.map((s) => [s.inputs.cidrBlock, s.inputs.availabilityZone, s.inputs.vpcId])).toEqual(
        r.subnets.map((s, i) => [s.cidr, `${r.name}${"abc"[i]}`, vpc.id]),
      );
    }
  });

  it("routes the internet through the gateway, and has no NAT gateway", () => {
    const defaults = ofType("aws:ec2/route:Route").filter((r) => r.inputs.destinationCidrBlock === "0.0.0.0/0");
    expect(defaults).toHaveLength(plan.topology.regions.length);
    for (const r of defaults)
      expect(byId.get(r.inputs.gatewayId as string)!.type).toBe("aws:ec2/internetGateway:InternetGateway");
    expect(ofType("aws:ec2/natGateway:NatGateway")).toEqual([]);
  });
});

describe("peering mesh", () => {
  it("has exactly the pairs the topology derives, requested and accepted in the right regions, routed both ways", () => {
    const connections = ofType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    expect(connections.map((c) => [region(c), c.inputs.peerRegion])).toEqual(
      plan.topology.peerings.map((p) => [p.requester, p.accepter]),
    );
    const cidr = (name: string) => plan.topology.regions.find((r) => r.name === name)!.cidr;
    for (const c of connections) {
      const [accepter] = ofType("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter").filter(
        (a) => a.inputs.vpcPeeringConnectionId === c.id,
      );
      expect(region(accepter)).toBe(c.inputs.peerRegion);
      expect(accepter.inputs.autoAccept).toBe(true);
      const routes = ofType("aws:ec2/route:Route").filter((r) => r.inputs.vpcPeeringConnectionId === c.id);
      const requester = region(c)!;
      const peer = c.inputs.peerRegion as string;
      expect(
        routes
          .map((r) => [region(r), r.inputs.destinationCidrBlock, region(byId.get(r.inputs.routeTableId as string)!)])
          .sort(),
      ).toEqual(
        [
          [requester, cidr(peer), requester],
          [peer, cidr(requester), peer],
        ].sort(),
      );
    }
  });
});

describe("security groups", () => {
  const ingress = () => ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
  const groupOf = (rule: RecordedResource) =>
    byId.get(rule.inputs.securityGroupId as string)!.name.replace(/^.*-sg-/, "");

  it("open to the world only the bridges' media port and the load balancer's HTTPS", () => {
    const world = ingress().filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0");
    expect(world.length).toBeGreaterThan(0);
    for (const r of world) {
      expect([groupOf(r), r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort]).toEqual(
        groupOf(r) === "bridges" ? ["bridges", "udp", 10000, 10000] : ["lb", "tcp", 443, 443],
      );
    }
  });

  it("match the table rule for rule in every region, with no SSH anywhere", () => {
    const toRow = (group: string, protocol: unknown, port: unknown, from: unknown) =>
      `${group} ${protocol} ${port} ${from}`;
    for (const r of plan.topology.regions) {
      const actual = ingress()
        .filter((x) => region(x) === r.name)
        .map((x) =>
          toRow(
            groupOf(x),
            x.inputs.ipProtocol,
            x.inputs.fromPort,
            x.inputs.cidrIpv4 ??
              byId.get(x.inputs.referencedSecurityGroupId as string)!.name.replace(/^.*-sg-/, "group "),
          ),
        );
      const cidr = (name: string) => plan.topology.regions.find((x) => x.name === name)!.cidr;
      const expected: string[] = [];
      if (r.shards.length > 0) {
        for (const b of plan.topology.relayRegions) expected.push(toRow("signalling", "tcp", 5222, cidr(b)));
        for (const e of plan.topology.edgeRegions)
          expected.push(toRow("signalling", "tcp", 443, cidr(e)), toRow("signalling", "tcp", 6060, cidr(e)));
      }
      if (r.jvb) expected.push(toRow("bridges", "udp", 10000, "0.0.0.0/0"));
      if (r.edge) {
        expected.push(toRow("edge", "tcp", 80, "group lb"));
        for (const e of plan.topology.edgeRegions) expected.push(toRow("edge", "tcp", 1024, cidr(e)));
        expected.push(toRow("lb", "tcp", 443, "0.0.0.0/0"));
      }
      expect(actual.sort()).toEqual(expected.sort());
      expect(ingressRules(plan.topology, r)).toHaveLength(expected.length);
    }
    for (const x of ingress()) expect(x.inputs.fromPort).not.toBe(22);
  });

  it("describe every rule in the characters AWS accepts", () => {
    const rules = resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup"));
    for (const r of [...rules, ...ofType("aws:ec2/securityGroup:SecurityGroup")]) {
      expect(r.inputs.description).toMatch(/^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{1,255}$/);
    }
  });

  it("leave the VPC's default group without rules", () => {
    const defaults = ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
    expect(defaults).toHaveLength(plan.topology.regions.length);
    for (const d of defaults) expect([d.inputs.ingress ?? [], d.inputs.egress ?? []]).toEqual([[], []]);
  });
});

describe("secrets", () => {
  it("every SecureString parameter's value is a secret, under the stack's path", () => {
    const parameters = ofType("aws:ssm/parameter:Parameter").filter((p) => p.inputs.type === "SecureString");
    expect(parameters.length).toBeGreaterThan(0);
    for (const p of parameters) {
      expect(isSecretValue(p.inputs.value)).toBe(true);
      expect(p.inputs.name).toMatch(/^\/jitsi\/dev\//);
    }
  });

  it("puts each shard's bridge password in its region and every bridge region, its jicofo password only at home", () => {
    const where = (name: string) =>
      ofType("aws:ssm/parameter:Parameter")
        .filter((p) => p.inputs.name === name)
        .map((p) => region(p))
        .sort();
    for (const shard of plan.topology.shards) {
      expect(where(`/jitsi/dev/shards/${shard.id}/jvb-password`)).toEqual(
        [...new Set([shard.region, ...plan.topology.relayRegions])].sort(),
      );
      expect(where(`/jitsi/dev/shards/${shard.id}/jicofo-password`)).toEqual([shard.region]);
    }
  });

  it("no generated secret appears in clear anywhere in the plan's inventory or rendered files", () => {
    const text = JSON.stringify(plan.planned) + plan.rendered.map((f) => f.content).join("\n");
    expect(resources.some((r) => r.type === "random:index/randomPassword:RandomPassword")).toBe(true);
    expect(text).not.toContain("PLAN-SECRET-");
  });
});

describe("instance roles", () => {
  const policies = () =>
    ofType("aws:iam/rolePolicy:RolePolicy").map((p) => ({
      role: p.inputs.role as string,
      region: region(p),
      doc: JSON.parse(p.inputs.policy as string) as {
        Statement: { Action: string[]; Resource: string[]; Condition?: unknown }[];
      },
    }));

  it("exist per node kind and region, with Session Manager and no wildcard action or bare wildcard resource", () => {
    const roles = ofType("aws:iam/role:Role").map((r) => `${region(r)} ${r.name}`);
    const expected = plan.topology.regions.flatMap((r) =>
      r.roles.map((role) => `${r.name} jitsi-${r.name}-${role === "bridges" ? "bridges" : role}-role`),
    );
    expect(roles.sort()).toEqual(expected.sort());
    expect(ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn)).toEqual(
      roles.map(() => "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
    );
    for (const { doc } of policies()) {
      for (const st of doc.Statement) {
        for (const action of st.Action) expect(action).not.toContain("*");
        for (const resource of st.Resource) {
          if (resource === "*") {
            // only where AWS has no resource-level permission, and then narrowed by a condition
            expect([st.Action, st.Condition]).toEqual([
              ["cloudwatch:PutMetricData"],
              { StringEquals: { "cloudwatch:namespace": "Jitsi/Bridges" } },
            ]);
          } else {
            expect(resource).toMatch(
              /^arn:aws:(ssm:[a-z0-9-]+:123456789012:parameter\/jitsi\/dev\/.+|autoscaling:[a-z0-9-]+:123456789012:autoScalingGroup:\*:autoScalingGroupName\/jitsi-dev-[a-z0-9-]+-jvb)$/,
            );
          }
        }
      }
    }
  });

  it("let a signalling node read only its own shards' secrets, and bridges only the bridge accounts", () => {
    for (const { role, region: r, doc } of policies()) {
      const resourcesOf = doc.Statement.flatMap((s) => s.Resource);
      if (role.includes("signalling")) {
        const own = plan.topology.shards
          .filter((s) => s.region === r)
          .map((s) => `arn:aws:ssm:${r}:123456789012:parameter/jitsi/dev/shards/${s.id}/*`);
        expect(resourcesOf).toEqual(own);
      }
      if (role.includes("bridges")) {
        expect(resourcesOf).toContain(`arn:aws:ssm:${r}:123456789012:parameter/jitsi/dev/shards/*/jvb-password`);
        expect(resourcesOf.filter((x) => x.includes("/shards/"))).toHaveLength(1);
      }
    }
  });
});
