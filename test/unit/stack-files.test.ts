import { parseStackFiles, stackNameOf } from "../../scripts/lib/stack-files";

const project = [
  "name: jitsi",
  "runtime: nodejs",
  "config:",
  "  pulumi:disable-default-providers:",
  "    value: [aws]",
  "  domain:",
  "    type: string",
  "  hostedZone:",
  "    type: string",
  '    default: ""',
  "",
].join("\n");

describe("reading Pulumi.yaml and a stack file as the engine does", () => {
  it("merges project values and defaults with the stack's values, full keys, structured values as JSON", () => {
    const stack = [
      "config:",
      "  jitsi:domain: meet.example.com",
      "  jitsi:regions:",
      "    eu-west-1: { cidr: 10.10.0.0/16 }",
      "  jitsi:shards:",
      "    - { name: a, region: eu-west-1 }",
      "  aws:region: eu-west-1",
      "",
    ].join("\n");
    expect(parseStackFiles(project, stack, "dev")).toEqual({
      project: "jitsi",
      stack: "dev",
      config: {
        "pulumi:disable-default-providers": '["aws"]',
        "jitsi:hostedZone": "",
        "jitsi:domain": "meet.example.com",
        "jitsi:regions": '{"eu-west-1":{"cidr":"10.10.0.0/16"}}',
        "jitsi:shards": '[{"name":"a","region":"eu-west-1"}]',
        "aws:region": "eu-west-1",
      },
      secretKeys: [],
    });
  });

  it("stands a marked placeholder in for an encrypted value it cannot read", () => {
    const parsed = parseStackFiles(project, "config:\n  jitsi:token:\n    secure: AAABADF=\n", "dev");
    expect(parsed.config["jitsi:token"]).toBe("PLAN-SECRET-config-jitsi-token");
    expect(parsed.secretKeys).toEqual(["jitsi:token"]);
  });

  it("names the stack after its file", () => {
    expect(stackNameOf("/x/Pulumi.prod-eu.yaml")).toBe("prod-eu");
    expect(stackNameOf("stack.yaml")).toBeUndefined();
  });

  it("refuses a project file without a name", () => {
    expect(() => parseStackFiles("runtime: nodejs\n", "config: {}\n", "dev")).toThrow(
      "Pulumi.yaml has no project name",
    );
  });
});
