import { gzipSync } from "node:zlib";
// What the offline plan writes, from recorded resources: redaction, rendered files, the summary.
import { parseSettings } from "../../components/config";
import { buildTopology } from "../../components/topology";
import {
  REDACTED,
  cloudConfigFiles,
  countsByRegionAndType,
  inventory,
  redact,
  renderedFiles,
  summaryMarkdown,
  topologyDiagram,
} from "../../scripts/lib/plan-output";
import type { RecordedResource } from "../../scripts/lib/simulated-cloud";

// The wire form of a secret value, as the SDK deserializes it (runtime/rpc.ts).
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

function resource(type: string, name: string, inputs: Record<string, unknown>, region = "eu-west-1"): RecordedResource {
  return {
    urn: `urn:pulumi:dev::jitsi::${type}::${name}`,
    id: `${name}-id`,
    type,
    name,
    custom: true,
    parent: null,
    provider: `urn:pulumi:dev::jitsi::pulumi:providers:aws::${region}`,
    inputs,
    options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], aliases: 0 },
  };
}
const inEuWest1 = () => "eu-west-1";

describe("redact", () => {
  it("replaces secrets at any depth and leaves everything else alone", () => {
    expect(redact({ a: secret("x"), b: [1, { c: secret({ d: 1 }) }], e: "PLAN-SECRET-leaked" })).toEqual({
      a: REDACTED,
      b: [1, { c: REDACTED }],
      // a secret that escaped into plain text stays visible: that is how a leak is found
      e: "PLAN-SECRET-leaked",
    });
  });

  it("is applied to resources.json entries", () => {
    const [entry] = inventory(
      [resource("aws:ssm/parameter:Parameter", "p", { type: "SecureString", value: secret("s") })],
      inEuWest1,
    );
    expect(entry).toMatchObject({ region: "eu-west-1", inputs: { type: "SecureString", value: REDACTED } });
  });
});

describe("renderedFiles", () => {
  const cloudConfig = [
    "#cloud-config",
    "write_files:",
    "  - path: /etc/jitsi/jicofo/jicofo.conf",
    "    content: |",
    "      jicofo { octo { enabled = true } }",
    "  - path: /etc/jitsi/shard-status",
    "    encoding: b64",
    `    content: ${Buffer.from("ready\n").toString("base64")}`,
    "",
  ].join("\n");

  it("writes instance user-data as sent, and each cloud-config file, under rendered/<region>/shard-<name>/", () => {
    const files = renderedFiles(
      [
        resource("aws:ec2/instance:Instance", "jitsi-eu-west-1-shard-eu1-node", {
          userData: cloudConfig,
          tags: { Role: "signalling", Shard: "eu1" },
        }),
      ],
      inEuWest1,
    );
    expect(files).toEqual([
      { path: "eu-west-1/shard-eu1/user-data", content: cloudConfig },
      {
        path: "eu-west-1/shard-eu1/files/etc/jitsi/jicofo/jicofo.conf",
        content: "jicofo { octo { enabled = true } }\n",
      },
      { path: "eu-west-1/shard-eu1/files/etc/jitsi/shard-status", content: "ready\n" },
    ]);
  });

  it("decodes gzip-compressed base64 user-data, as cloud-init does", () => {
    const text = "#!/bin/bash\necho compressed\n";
    const encoded = gzipSync(Buffer.from(text)).toString("base64");
    const files = renderedFiles(
      [resource("aws:ec2/instance:Instance", "n", { userDataBase64: encoded, tags: { Role: "edge" } })],
      inEuWest1,
    );
    expect(files).toEqual([{ path: "eu-west-1/edge/user-data", content: text }]);
  });

  it("decodes a launch template's base64 user-data", () => {
    const script = "#!/bin/bash\nset -euo pipefail\n";
    const files = renderedFiles(
      [
        resource("aws:ec2/launchTemplate:LaunchTemplate", "jvb", {
          userData: Buffer.from(script).toString("base64"),
          tags: { Role: "bridges" },
        }),
      ],
      inEuWest1,
    );
    expect(files).toEqual([{ path: "eu-west-1/jvb/user-data", content: script }]);
  });

  it("writes plain SSM parameters (the registry) and never a SecureString or a secret value", () => {
    const files = renderedFiles(
      [
        resource("aws:ssm/parameter:Parameter", "registry", {
          name: "/jitsi/dev/shards",
          type: "String",
          insecureValue: "[]",
        }),
        resource("aws:ssm/parameter:Parameter", "password", {
          name: "/jitsi/dev/jvb",
          type: "SecureString",
          value: secret("pw"),
        }),
        resource("aws:ssm/parameter:Parameter", "odd", { name: "/jitsi/dev/odd", type: "String", value: secret("pw") }),
        resource("aws:ec2/instance:Instance", "n", { userData: secret("#!/bin/sh\n") }),
      ],
      inEuWest1,
    );
    expect(files).toEqual([{ path: "eu-west-1/ssm/jitsi/dev/shards", content: "[]" }]);
  });

  it("keeps paths inside the plan folder", () => {
    expect(cloudConfigFiles("#cloud-config\nwrite_files:\n  - path: ../../etc/x\n    content: y\n")).toEqual([
      { path: "../../etc/x", content: "y" },
    ]);
    const files = renderedFiles(
      [
        resource("aws:ec2/instance:Instance", "n", {
          userData: "#cloud-config\nwrite_files:\n  - path: ../../x\n    content: y\n",
        }),
      ],
      inEuWest1,
    );
    expect(files.map((f) => f.path)).toEqual(["eu-west-1/other/n/user-data", "eu-west-1/other/n/files/x"]);
  });
});

describe("summary", () => {
  const topology = buildTopology(
    parseSettings({
      domain: "meet.example.com",
      hostedZone: "example.com",
      regions: {
        "eu-west-1": { cidr: "10.10.0.0/16", jvb: {}, edge: {} },
        "us-east-1": { cidr: "10.20.0.0/16", jvb: { minSize: 2, maxSize: 6 } },
      },
      shards: [
        { name: "eu1", region: "eu-west-1" },
        { name: "us1", region: "us-east-1", state: "drain" },
      ],
    }),
  );

  it("draws regions, what runs in them, peerings with their reasons, and the relay mesh", () => {
    expect(topologyDiagram(topology)).toBe(
      [
        "flowchart LR",
        '  users(["users: meet.example.com"])',
        '  subgraph eu_west_1["eu-west-1 10.10.0.0/16"]',
        '    eu_west_1_edge["edge: NLB + 2 x HAProxy c6i.large"]',
        '    eu_west_1_shards["shards: eu1"]',
        '    eu_west_1_jvb["bridges: 1..10 x c6i.xlarge"]',
        "  end",
        '  subgraph us_east_1["us-east-1 10.20.0.0/16"]',
        '    us_east_1_shards["shards: us1 (draining)"]',
        '    us_east_1_jvb["bridges: 2..6 x c6i.xlarge"]',
        "  end",
        "  users --> eu_west_1_edge",
        '  eu_west_1 ---|"peering: bridges-to-signalling, edge-to-signalling"| us_east_1',
        "  eu_west_1_jvb <-.->|relay UDP 10000| us_east_1_jvb",
      ].join("\n"),
    );
  });

  it("counts resources per region and type, and says what is in the plan", () => {
    const planned = inventory(
      [
        resource("aws:ec2/vpc:Vpc", "a", {}),
        resource("aws:ec2/subnet:Subnet", "b", {}),
        resource("aws:ec2/subnet:Subnet", "c", {}),
      ],
      inEuWest1,
    );
    expect(countsByRegionAndType(planned)).toEqual([
      { region: "eu-west-1", type: "aws:ec2/subnet:Subnet", count: 2 },
      { region: "eu-west-1", type: "aws:ec2/vpc:Vpc", count: 1 },
    ]);
    const md = summaryMarkdown({
      stack: "dev",
      configFile: "Pulumi.dev.yaml",
      topology,
      planned,
      rendered: [],
      namesById: new Map(),
    });
    expect(md).toContain("3 resources (3 cloud resources and providers, 0 components) in 2 regions; 0 rendered files.");
    expect(md).toContain(
      "| eu-west-1 | 10.10.0.0/16 | 10.10.0.0/20, 10.10.16.0/20 | signalling, bridges, edge | eu-west-1-eu1 |",
    );
    expect(md).toContain("| eu-west-1 | `aws:ec2/subnet:Subnet` | 2 |");
    expect(md).toContain("```mermaid\nflowchart LR");
  });
});
