// The edge as the real program registers it for the dev stack: HAProxy nodes, their configuration
// parameters, the network load balancer, certificates and DNS.
import { edgeLoadBalancerName } from "../../components/edge";
import { decodeUserData } from "../../scripts/lib/plan-output";
import { planDevStackOnce, runProgram, stackOf } from "../harness";

const dev = planDevStackOnce();
const { region, ofType, byId, providerOf } = dev;

describe("edge nodes", () => {
  it("run the configured number of HAProxy nodes per edge region at their fixed addresses, IMDSv2, encrypted", () => {
    const nodes = ofType("aws:ec2/instance:Instance").filter(
      (i) => (i.inputs.tags as Record<string, string>).Role === "edge",
    );
    expect(nodes.map((n) => [region(n), n.inputs.privateIp])).toEqual(
      dev.plan.topology.edgeNodes.map((e) => [e.region, e.address]),
    );
    for (const n of nodes) {
      expect(n.provider).toBe(providerOf(region(n)!));
      expect(n.inputs.metadataOptions).toMatchObject({ httpTokens: "required" });
      expect(n.inputs.rootBlockDevice).toMatchObject({ encrypted: true });
      expect((n.inputs.vpcSecurityGroupIds as string[]).map((g) => byId(g)!.name)).toEqual([
        `jitsi-${region(n)}-sg-edge`,
      ]);
      // a fixed address is held by one instance at a time
      expect(n.options.deleteBeforeReplace).toBe(true);
      const userData = decodeUserData(n.inputs.userDataBase64 as string);
      expect(userData).toContain(`/jitsi/dev/edge/${region(n)}-edge-`);
      // the configuration itself is not in user-data: shard changes never replace an edge node
      expect(userData).not.toContain("backend ");
    }
  });

  it("each follow their own haproxy.cfg parameter, which lists every shard at its address", () => {
    for (const e of dev.plan.topology.edgeNodes) {
      const [param] = ofType("aws:ssm/parameter:Parameter").filter(
        (p) => p.inputs.name === `/jitsi/dev/edge/${e.name}/haproxy.cfg`,
      );
      expect(region(param)).toBe(e.region);
      const cfg = param.inputs.insecureValue as string;
      expect(cfg).toContain(`localpeer ${e.name}`);
      for (const s of dev.plan.topology.shards) expect(cfg).toContain(s.id);
      expect(dev.plan.rendered.find((f) => f.path === `${e.region}/${e.node}/haproxy.cfg`)?.content).toBe(cfg);
    }
  });
});

describe("load balancer, certificate and DNS", () => {
  it("per edge region: an internet-facing NLB with a TLS listener on 443 to the nodes, in that region", () => {
    for (const code of dev.plan.topology.edgeRegions) {
      const [nlb] = ofType("aws:lb/loadBalancer:LoadBalancer").filter((l) => region(l) === code);
      expect(nlb.provider).toBe(providerOf(code));
      expect(nlb.inputs).toMatchObject({
        loadBalancerType: "network",
        internal: false,
        name: edgeLoadBalancerName("dev"),
      });
      expect(nlb.options.protect).toBe(true);
      const [listener] = ofType("aws:lb/listener:Listener").filter((l) => region(l) === code);
      expect(listener.inputs).toMatchObject({ port: 443, protocol: "TLS" });
      const [validation] = ofType("aws:acm/certificateValidation:CertificateValidation").filter(
        (v) => region(v) === code,
      );
      expect(listener.inputs.certificateArn).toBe(validation.inputs.certificateArn);
      const attachments = ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment").filter(
        (a) => region(a) === code,
      );
      expect(attachments).toHaveLength(dev.plan.topology.regions.find((r) => r.name === code)!.edge!.nodes);
    }
  });

  it("per edge region: a latency record for the domain with the balancer's health evaluated", () => {
    const records = ofType("aws:route53/record:Record").filter((r) => r.inputs.type === "A");
    expect(records.map((r) => [r.inputs.name, r.inputs.setIdentifier, region(r)])).toEqual(
      dev.plan.topology.edgeRegions.map((code) => ["meet-dev.example.com", code, code]),
    );
    for (const r of records) {
      expect(r.inputs.latencyRoutingPolicies).toEqual([{ region: r.inputs.setIdentifier }]);
      expect(r.inputs.aliases).toEqual([expect.objectContaining({ evaluateTargetHealth: true })]);
    }
  });

  it("without a hosted zone, uses the given certificates and creates no DNS record", async () => {
    const arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-0a1b-4c5d-8e9f-0a1b2c3d4e5f";
    const { cloud } = await runProgram(
      stackOf({
        domain: "meet.example.com",
        certificateArns: { "eu-west-1": arn },
        regions: { "eu-west-1": { cidr: "10.10.0.0/16", jvb: {}, edge: { nodes: 1 } } },
        shards: [{ name: "a", region: "eu-west-1" }],
      }),
    );
    const types = cloud.resources.map((r) => r.type);
    expect(types).not.toContain("aws:route53/record:Record");
    expect(types).not.toContain("aws:acm/certificate:Certificate");
    expect(cloud.resources.find((r) => r.type === "aws:lb/listener:Listener")!.inputs.certificateArn).toBe(arn);
  });
});

describe("load balancer names", () => {
  it("fit AWS's 32 characters whatever the stack is called", () => {
    expect(edgeLoadBalancerName("dev")).toBe("jitsi-dev-edge");
    const long = edgeLoadBalancerName("production-europe-and-americas");
    expect(long).toMatch(/^jitsi-[0-9a-f]{12}-edge$/);
    expect(long.length).toBeLessThanOrEqual(32);
  });
});
