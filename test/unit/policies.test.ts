// The guardrails as plain functions, without the Pulumi CLI: inputs that pass and inputs that fail,
// with the messages an operator would read in `pulumi preview --policy-pack policy`.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PORTS } from "../../components/ports";
import {
  NOT_TAGGABLE,
  RESOURCE_CHECKS,
  STACK_CHECKS,
  encryptedVolumes,
  imdsv2Required,
  noPinnedDesiredCapacity,
  noSsh,
  noWorldIngress,
  projectAndStackTags,
  type StackResource,
} from "../../policy/policies";
import { ROOT } from "../harness";

const INSTANCE = "aws:ec2/instance:Instance";
const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const VOLUME = "aws:ebs/volume:Volume";
const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const GROUP = "aws:ec2/securityGroup:SecurityGroup";
const ASG = "aws:autoscaling/group:Group";

const imdsv2 = { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 };

describe("imdsv2-required", () => {
  it("passes instances and launch templates that require tokens", () => {
    expect(imdsv2Required(INSTANCE, { metadataOptions: imdsv2 })).toEqual([]);
    expect(imdsv2Required(TEMPLATE, { metadataOptions: imdsv2 })).toEqual([]);
  });

  it("fails optional tokens and a missing metadataOptions, naming the value", () => {
    expect(imdsv2Required(INSTANCE, { metadataOptions: { httpTokens: "optional" } })).toEqual([
      'Instance must require IMDSv2: set metadataOptions.httpTokens to "required" (it is "optional")',
    ]);
    expect(imdsv2Required(TEMPLATE, {})).toEqual([
      'LaunchTemplate must require IMDSv2: set metadataOptions.httpTokens to "required" (it is unset, which allows IMDSv1)',
    ]);
  });

  it("ignores other types", () => {
    expect(imdsv2Required(VOLUME, {})).toEqual([]);
  });
});

describe("encrypted-volumes", () => {
  it("passes encrypted instance volumes, template mappings (the provider's string booleans too) and volumes", () => {
    expect(
      encryptedVolumes(INSTANCE, {
        rootBlockDevice: { encrypted: true, volumeSize: 20 },
        ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }],
      }),
    ).toEqual([]);
    expect(
      encryptedVolumes(TEMPLATE, { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }] }),
    ).toEqual([]);
    expect(encryptedVolumes(VOLUME, { encrypted: true, size: 10 })).toEqual([]);
    // an instance launched from a template takes its volumes from the template
    expect(encryptedVolumes(INSTANCE, { launchTemplate: { id: "lt-1" } })).toEqual([]);
  });

  it("fails each unencrypted volume, naming its device", () => {
    expect(
      encryptedVolumes(INSTANCE, {
        rootBlockDevice: { encrypted: false },
        ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }, { deviceName: "/dev/sdg" }],
      }),
    ).toEqual([
      "Instance root volume is not encrypted: set rootBlockDevice.encrypted to true",
      "Instance volume ebsBlockDevices[1] (/dev/sdg) is not encrypted: set encrypted to true",
    ]);
    expect(encryptedVolumes(INSTANCE, {})).toEqual([
      "Instance has no rootBlockDevice: its root volume would be unencrypted; set rootBlockDevice.encrypted to true",
    ]);
    expect(
      encryptedVolumes(TEMPLATE, { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }] }),
    ).toEqual(["LaunchTemplate volume blockDeviceMappings[0] (/dev/xvda) is not encrypted: set ebs.encrypted to true"]);
    expect(encryptedVolumes(TEMPLATE, {})).toEqual([
      "LaunchTemplate maps no EBS volume: instances would boot on the image's unencrypted root volume; add blockDeviceMappings with ebs.encrypted true",
    ]);
    expect(encryptedVolumes(VOLUME, { size: 10 })).toEqual(["Volume is not encrypted: set encrypted to true"]);
  });
});

describe("no-world-ingress", () => {
  const allowed = "only udp 10000 (bridge media) and tcp 443 (load balancer HTTPS) may be open to the world";

  it("reads the ports it allows from components/ports.ts", () => {
    expect([PORTS.media, PORTS.publicHttps]).toEqual([
      { protocol: "udp", port: 10000 },
      { protocol: "tcp", port: 443 },
    ]);
  });

  it("passes the media and HTTPS ports from anywhere, and anything from private ranges or groups", () => {
    const rules = [
      { ipProtocol: "udp", fromPort: 10000, toPort: 10000, cidrIpv4: "0.0.0.0/0" },
      { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" },
      { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv6: "::/0" },
      { ipProtocol: "tcp", fromPort: 5222, toPort: 5222, cidrIpv4: "10.20.0.0/16" },
      { ipProtocol: "tcp", fromPort: 80, toPort: 80, referencedSecurityGroupId: "sg-1" },
    ];
    for (const rule of rules) expect(noWorldIngress(INGRESS_RULE, rule)).toEqual([]);
    // egress is not this policy's business
    expect(
      noWorldIngress(GROUP_RULE, { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }),
    ).toEqual([]);
  });

  it("fails any other port, a range around an allowed port, or all traffic from anywhere, on every rule shape", () => {
    expect(
      noWorldIngress(INGRESS_RULE, { ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" }),
    ).toEqual([`SecurityGroupIngressRule opens tcp 80 to 0.0.0.0/0; ${allowed}`]);
    expect(
      noWorldIngress(INGRESS_RULE, { ipProtocol: "udp", fromPort: 10000, toPort: 10100, cidrIpv6: "::/0" }),
    ).toEqual([`SecurityGroupIngressRule opens udp 10000-10100 to ::/0; ${allowed}`]);
    expect(noWorldIngress(INGRESS_RULE, { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" })).toEqual([
      `SecurityGroupIngressRule opens all traffic to 0.0.0.0/0; ${allowed}`,
    ]);
    // tcp 10000 is not udp 10000
    expect(
      noWorldIngress(GROUP_RULE, {
        type: "ingress",
        protocol: "6",
        fromPort: 10000,
        toPort: 10000,
        cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"],
      }),
    ).toEqual([`SecurityGroupRule opens tcp 10000 to 0.0.0.0/0; ${allowed}`]);
    expect(
      noWorldIngress(GROUP, {
        ingress: [
          { protocol: "udp", fromPort: 10000, toPort: 10000, cidrBlocks: ["0.0.0.0/0"] },
          { protocol: "tcp", fromPort: 3478, toPort: 3478, ipv6CidrBlocks: ["::/0"] },
        ],
      }),
    ).toEqual([`SecurityGroup (ingress[1]) opens tcp 3478 to ::/0; ${allowed}`]);
  });
});

describe("no-ssh", () => {
  const ssh = "the stack has no SSH: open a shell with SSM Session Manager";

  it("passes ingress that does not reach TCP 22", () => {
    expect(noSsh(INGRESS_RULE, { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "10.0.0.0/8" })).toEqual([]);
    expect(noSsh(INGRESS_RULE, { ipProtocol: "udp", fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/8" })).toEqual([]);
    expect(noSsh(INGRESS_RULE, { ipProtocol: "tcp", fromPort: 23, toPort: 1024, cidrIpv4: "10.0.0.0/8" })).toEqual([]);
    expect(
      noSsh(GROUP_RULE, { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }),
    ).toEqual([]);
  });

  it("fails port 22, ranges that cover it and all-traffic rules, from any source", () => {
    expect(noSsh(INGRESS_RULE, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/8" })).toEqual([
      `SecurityGroupIngressRule allows tcp 22, which includes SSH (tcp 22); ${ssh}`,
    ]);
    expect(
      noSsh(GROUP_RULE, { type: "ingress", protocol: "tcp", fromPort: 0, toPort: 1024, sourceSecurityGroupId: "sg-1" }),
    ).toEqual([`SecurityGroupRule allows tcp 0-1024, which includes SSH (tcp 22); ${ssh}`]);
    expect(noSsh(INGRESS_RULE, { ipProtocol: "-1", referencedSecurityGroupId: "sg-1" })).toEqual([
      `SecurityGroupIngressRule allows all traffic, which includes SSH (tcp 22); ${ssh}`,
    ]);
    expect(noSsh(GROUP, { ingress: [{ protocol: "all", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] })).toEqual(
      [`SecurityGroup (ingress[0]) allows all traffic, which includes SSH (tcp 22); ${ssh}`],
    );
  });
});

describe("asg-desired-capacity-not-pinned", () => {
  it("passes a group sized by min and max only", () => {
    expect(noPinnedDesiredCapacity(ASG, { minSize: 1, maxSize: 4 })).toEqual([]);
  });

  it("fails a pinned desired capacity", () => {
    expect(noPinnedDesiredCapacity(ASG, { minSize: 1, maxSize: 4, desiredCapacity: 2 })).toEqual([
      "autoscaling group pins desiredCapacity (2): the scaling policy owns the size, and every `pulumi up` would reset it; remove desiredCapacity",
    ]);
  });
});

describe("project-and-stack-tags", () => {
  const tags = { Project: "jitsi", Stack: "dev", Region: "eu-west-1", ManagedBy: "pulumi" };
  // The provider's nested config reaches policies as JSON text, as the SDK serialises it.
  type Provider = NonNullable<StackResource["provider"]>;
  const tagged: Provider = {
    type: "pulumi:providers:aws",
    urn: "urn:pulumi:dev::jitsi::pulumi:providers:aws::tagged",
    name: "tagged",
    props: { region: "eu-west-1", defaultTags: JSON.stringify({ tags }) },
  };
  const bare: Provider = {
    type: "pulumi:providers:aws",
    urn: "urn:pulumi:dev::jitsi::pulumi:providers:aws::bare",
    name: "bare",
    props: { region: "eu-west-1" },
  };
  const vpc = (provider: Provider, own: Record<string, string> = {}): StackResource => ({
    type: "aws:ec2/vpc:Vpc",
    urn: `urn:pulumi:dev::jitsi::aws:ec2/vpc:Vpc::vpc-${provider.name}`,
    name: `vpc-${provider.name}`,
    props: { cidrBlock: "10.10.0.0/16", tags: own },
    provider,
  });
  const asg = (groupTags: unknown[]): StackResource => ({
    type: ASG,
    urn: "urn:pulumi:dev::jitsi::aws:autoscaling/group:Group::pool",
    name: "pool",
    props: { minSize: 1, maxSize: 4, tags: groupTags },
    provider: tagged,
  });

  it("passes resources whose provider has default tags (as JSON text or as an object), or that tag themselves", () => {
    expect(projectAndStackTags([tagged, vpc(tagged)])).toEqual([]);
    expect(projectAndStackTags([vpc({ ...tagged, props: { defaultTags: { tags } } })])).toEqual([]);
    expect(projectAndStackTags([bare, vpc(bare, { Project: "jitsi", Stack: "dev" })])).toEqual([]);
  });

  it("looks the provider up in the stack when the resource carries only its URN", () => {
    const withoutProps = { ...vpc(tagged), provider: { ...tagged, props: undefined as never } };
    expect(projectAndStackTags([tagged, withoutProps])).toEqual([]);
  });

  it("fails a taggable resource whose provider has no default tags and which has none itself", () => {
    expect(projectAndStackTags([bare, vpc(bare, { Project: "jitsi" })])).toEqual([
      {
        urn: "urn:pulumi:dev::jitsi::aws:ec2/vpc:Vpc::vpc-bare",
        message:
          'Vpc "vpc-bare" has no Stack tag: set it in its provider "bare"\'s defaultTags.tags, or in the resource\'s own tags',
      },
    ]);
  });

  it("skips resources that take no tags", () => {
    const route: StackResource = {
      type: "aws:ec2/route:Route",
      urn: "urn:pulumi:dev::jitsi::aws:ec2/route:Route::r",
      name: "r",
      props: { destinationCidrBlock: "0.0.0.0/0" },
      provider: bare,
    };
    expect(projectAndStackTags([bare, route])).toEqual([]);
  });

  it("requires autoscaling groups to propagate Project and Stack to the instances they launch", () => {
    const good = [
      { key: "Project", value: "jitsi", propagateAtLaunch: true },
      { key: "Stack", value: "dev", propagateAtLaunch: true },
    ];
    expect(projectAndStackTags([tagged, asg(good)])).toEqual([]);
    // the provider's default tags do not count: they never reach the instances
    expect(projectAndStackTags([tagged, asg([])])).toEqual([
      {
        urn: "urn:pulumi:dev::jitsi::aws:autoscaling/group:Group::pool",
        message:
          'autoscaling group "pool" must tag Project and Stack with propagateAtLaunch: true (provider default tags do not reach the instances it launches)',
      },
    ]);
    expect(
      projectAndStackTags([tagged, asg([good[0], { key: "Stack", value: "dev", propagateAtLaunch: false }])]),
    ).toEqual([expect.objectContaining({ message: expect.stringContaining("must tag Stack with propagateAtLaunch") })]);
  });

  it("exempts only types that really take no tags (checked against @pulumi/aws's type definitions)", () => {
    const argsHaveTags = (type: string) => {
      // "aws:ec2/route:Route" is declared in @pulumi/aws/ec2/route.d.ts as RouteArgs
      const [, path, cls] = type.split(":");
      const file = join(ROOT, "node_modules/@pulumi/aws", `${path}.d.ts`);
      expect(existsSync(file)).toBe(true);
      const source = readFileSync(file, "utf8");
      const args = source.slice(source.indexOf(`export interface ${cls}Args {`));
      return /^\s+tags\?:/m.test(args.slice(0, args.indexOf("\n}")));
    };
    expect(argsHaveTags("aws:ec2/vpc:Vpc")).toBe(true);
    for (const type of NOT_TAGGABLE) expect([type, argsHaveTags(type)]).toEqual([type, false]);
  });
});

describe("the pack's contents", () => {
  it("has unique names and a description for every policy", () => {
    const names = [...RESOURCE_CHECKS, ...STACK_CHECKS].map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      "imdsv2-required",
      "encrypted-volumes",
      "no-world-ingress",
      "no-ssh",
      "asg-desired-capacity-not-pinned",
      "project-and-stack-tags",
    ]);
    for (const p of [...RESOURCE_CHECKS, ...STACK_CHECKS]) expect(p.description.length).toBeGreaterThan(20);
  });

  it("lists the types each resource policy looks at, and each reports nothing for others", () => {
    for (const p of RESOURCE_CHECKS) {
      expect(p.types.length).toBeGreaterThan(0);
      expect(p.check("aws:s3/bucketV2:BucketV2", { tags: {} })).toEqual([]);
    }
  });
});
