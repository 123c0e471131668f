// The teardown guard on `pulumi preview --json` documents. The fixtures in test/fixtures/previews
// were made from the dev stack's offline plans with and without a region (every resource's URN
// and input change as the program produces them), in the shape `pulumi preview --json` prints:
// - bridge-region-replaces-shards: removing eu-central-1 (bridges only) as the program does today:
//   both shards' user-data lists the regions, so their signalling nodes would be replaced;
// - bridge-region-clean: the same teardown without those replacements;
// - shard-region: removing us-east-1 and its shard us1 (the shard registry and the HAProxy
//   configurations in SSM lose it; the eu-west-1 shard's replacement left out);
// - nothing-to-delete: the plan compared with itself.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  belongsTo,
  checkTeardown,
  parseUrn,
  type PreviewJson,
  type TeardownVerdict,
} from "../../scripts/lib/teardown-check";
import { removeRegion } from "../../scripts/lib/stack-config-edit";
import { ROOT } from "../harness";

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(ROOT, "test/fixtures/previews", `${name}.json`), "utf8")) as PreviewJson;
const reasons = (verdict: TeardownVerdict) => (verdict.ok ? [] : verdict.reasons);

const URN = "urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:Peering$aws:ec2/route:Route::";

describe("which region a resource belongs to", () => {
  it("reads a URN's parent types, type and name", () => {
    expect(parseUrn(`${URN}jitsi-peering-eu-central-1-eu-west-1-route-eu-west-1`)).toEqual({
      stack: "dev",
      project: "jitsi",
      types: ["jitsi:aws:Deployment", "jitsi:aws:Peering", "aws:ec2/route:Route"],
      type: "aws:ec2/route:Route",
      name: "jitsi-peering-eu-central-1-eu-west-1-route-eu-west-1",
    });
    expect(() => parseUrn("jitsi-eu-west-1-vpc")).toThrow("not a Pulumi URN");
  });

  it("matches the region as whole hyphen-delimited parts of the name, anywhere in it", () => {
    const name = (n: string) => `urn:pulumi:dev::jitsi::aws:ec2/vpc:Vpc::${n}`;
    expect(belongsTo(name("jitsi-eu-west-1-network-vpc"), "eu-west-1")).toBe(true);
    expect(belongsTo(name("jitsi-peering-eu-central-1-eu-west-1"), "eu-west-1")).toBe(true);
    expect(belongsTo(name("jitsi-us-east-1-us1-secrets-jvb-password-eu-central-1"), "eu-central-1")).toBe(true);
    expect(belongsTo(name("jitsi-eu-west-1-sg-signalling-in-tcp-5222-from-us-east-1"), "us-east-1")).toBe(true);
    expect(belongsTo(name("jitsi-xeu-west-1-network-vpc"), "eu-west-1")).toBe(false);
    expect(belongsTo(name("jitsi-eu-west-10-network-vpc"), "eu-west-1")).toBe(false);
    expect(belongsTo(name("jitsi-registry"), "eu-west-1")).toBe(false);
  });
});

describe("checkTeardown", () => {
  it("allows a clean teardown: every step deletes a resource of the region, or changes nothing", () => {
    const preview = fixture("bridge-region-clean");
    const verdict = checkTeardown(preview, { region: "eu-central-1", force: false });
    expect(verdict).toEqual({
      ok: true,
      deletes: preview.steps!.filter((s) => s.op === "delete").map((s) => s.urn),
      updates: [],
      summary: "41 resource(s) of eu-central-1 to delete",
    });
    if (!verdict.ok) return;
    // its own parts, its peerings (both sides), other regions' firewall rules for it
    const names = verdict.deletes.map((u) => parseUrn(u).name);
    expect(names).toEqual(
      expect.arrayContaining([
        "jitsi-eu-central-1",
        "jitsi-eu-central-1-provider",
        "jitsi-peering-eu-central-1-eu-west-1-accept",
        "jitsi-eu-west-1-sg-signalling-in-tcp-5222-from-eu-central-1",
        "jitsi-us-east-1-us1-secrets-jvb-password-eu-central-1",
        "jitsi-registry-eu-central-1",
      ]),
    );
  });

  it("refuses a teardown that would also replace resources in other regions, naming each once", () => {
    expect(
      reasons(checkTeardown(fixture("bridge-region-replaces-shards"), { region: "eu-central-1", force: true })),
    ).toEqual([
      'replace aws:ec2/instance:Instance "jitsi-eu-west-1-shard-eu1-node" (because of userDataBase64): a teardown only deletes, and only in eu-central-1',
      'replace aws:ec2/instance:Instance "jitsi-us-east-1-shard-us1-node" (because of userDataBase64): a teardown only deletes, and only in eu-central-1',
    ]);
  });

  it("refuses updates and creates anywhere, and deletes outside the region", () => {
    const stack = "urn:pulumi:dev::jitsi::";
    const preview: PreviewJson = {
      steps: [
        { op: "delete", urn: `${stack}aws:ec2/vpc:Vpc::jitsi-eu-central-1-network-vpc` },
        {
          op: "update",
          urn: `${stack}aws:ec2/securityGroup:SecurityGroup::jitsi-eu-west-1-sg-bridges`,
          diffReasons: ["description"],
        },
        { op: "create", urn: `${stack}aws:ec2/vpc:Vpc::jitsi-eu-central-1-network-vpc2` },
        { op: "delete", urn: `${stack}aws:ec2/vpc:Vpc::jitsi-us-east-1-network-vpc` },
      ],
    };
    expect(reasons(checkTeardown(preview, { region: "eu-central-1", force: true }))).toEqual([
      'update aws:ec2/securityGroup:SecurityGroup "jitsi-eu-west-1-sg-bridges" (description): a teardown only deletes, and only in eu-central-1',
      'create aws:ec2/vpc:Vpc "jitsi-eu-central-1-network-vpc2": a teardown only deletes, and only in eu-central-1',
      'delete aws:ec2/vpc:Vpc "jitsi-us-east-1-network-vpc": not part of eu-central-1',
    ]);
  });

  it("refuses an empty preview: nothing to tear down", () => {
    const message = "nothing to tear down: the preview deletes nothing (is eu-central-1 still in the stack's config?)";
    expect(reasons(checkTeardown(fixture("nothing-to-delete"), { region: "eu-central-1", force: false }))).toEqual([
      message,
    ]);
    expect(reasons(checkTeardown({}, { region: "eu-central-1", force: true }))).toEqual([message]);
  });

  it("refuses a failed preview with its errors", () => {
    const preview: PreviewJson = {
      diagnostics: [
        { severity: "warning", message: "a warning" },
        { severity: "error", message: "jitsi:regions: at least one region needs an edge\n" },
      ],
    };
    expect(reasons(checkTeardown(preview, { region: "eu-west-1", force: true }))).toEqual([
      "the preview failed: jitsi:regions: at least one region needs an edge",
    ]);
  });

  it("refuses a region that holds a shard unless forced, and the shard list update that comes with it", () => {
    expect(reasons(checkTeardown(fixture("shard-region"), { region: "us-east-1", force: false }))).toEqual([
      'update aws:ssm/parameter:Parameter "jitsi-registry-eu-central-1" (insecureValue): configuration other regions follow changes (only --force removes a shard or an edge)',
      'update aws:ssm/parameter:Parameter "jitsi-registry-eu-west-1" (insecureValue): configuration other regions follow changes (only --force removes a shard or an edge)',
      'update aws:ssm/parameter:Parameter "jitsi-eu-west-1-edge-edge-0-config" (insecureValue): configuration other regions follow changes (only --force removes a shard or an edge)',
      'update aws:ssm/parameter:Parameter "jitsi-eu-west-1-edge-edge-1-config" (insecureValue): configuration other regions follow changes (only --force removes a shard or an edge)',
      "us-east-1 holds a shard that other regions' bridges and edges use (jitsi-us-east-1-shard-us1): drain it first, then pass --force",
    ]);
  });

  it("refuses changes to followed configuration when the region holds no shard or edge, even forced", () => {
    const preview: PreviewJson = {
      steps: [
        { op: "delete", urn: "urn:pulumi:dev::jitsi::aws:ec2/vpc:Vpc::jitsi-eu-central-1-network-vpc" },
        {
          op: "update",
          urn: "urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:ShardRegistry$aws:ssm/parameter:Parameter::jitsi-registry-eu-west-1",
          diffReasons: ["insecureValue"],
        },
      ],
    };
    expect(reasons(checkTeardown(preview, { region: "eu-central-1", force: true }))).toEqual([
      'update aws:ssm/parameter:Parameter "jitsi-registry-eu-west-1" (insecureValue): configuration other regions follow changes, though eu-central-1 holds no shard or edge',
    ]);
  });

  it("allows a region that holds a shard with --force", () => {
    const verdict = checkTeardown(fixture("shard-region"), { region: "us-east-1", force: true });
    expect(verdict).toEqual(
      expect.objectContaining({ ok: true, summary: "60 resource(s) of us-east-1 to delete (forced: shard included)" }),
    );
  });

  it("refuses a region that holds an edge unless forced", () => {
    const edge = "urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:Region$jitsi:aws:Edge";
    const preview: PreviewJson = {
      steps: [
        { op: "same", urn: "urn:pulumi:dev::jitsi::pulumi:pulumi:Stack::jitsi-dev" },
        { op: "delete", urn: `${edge}$aws:lb/loadBalancer:LoadBalancer::jitsi-ap-south-1-edge-nlb` },
        { op: "delete", urn: `${edge}::jitsi-ap-south-1-edge` },
      ],
    };
    expect(reasons(checkTeardown(preview, { region: "ap-south-1", force: false }))).toEqual([
      "ap-south-1 holds an edge that users enter by (jitsi-ap-south-1-edge-nlb, jitsi-ap-south-1-edge): make sure users reach another edge, then pass --force",
    ]);
    expect(checkTeardown(preview, { region: "ap-south-1", force: true }).ok).toBe(true);
  });
});

describe("removeRegion (the stack file edit)", () => {
  const dev = readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8");

  it("removes the region and its place in the region groups, keeping comments and layout", () => {
    const { text, shards, regionGroups } = removeRegion(dev, "eu-central-1");
    expect(shards).toEqual([]);
    expect(regionGroups).toBe(true);
    expect(text).not.toContain("eu-central-1");
    // every comment line survives, and nothing else moves
    const comments = (t: string) => t.split("\n").filter((l) => l.trim().startsWith("#"));
    expect(comments(text)).toEqual(comments(dev));
    const removed = dev.split("\n").filter((l) => !text.split("\n").includes(l));
    expect(removed).toEqual(["    eu-central-1:", "      cidr: 10.11.0.0/16", "      - [eu-west-1, eu-central-1]"]);
    expect(text).toContain("      - [eu-west-1]\n");
  });

  it("removes the shards homed in the region and a region group left empty", () => {
    const { text, shards } = removeRegion(dev, "us-east-1");
    expect(shards).toEqual(["us1"]);
    expect(text).not.toContain("us-east-1");
    expect(text).not.toContain("name: us1");
    expect(text).toContain("name: eu1");
  });

  it("refuses a region that is not configured, naming those that are", () => {
    expect(() => removeRegion(dev, "ap-south-1")).toThrow(
      "ap-south-1 is not in jitsi:regions (configured: eu-west-1, eu-central-1, us-east-1)",
    );
  });
});

describe("shard settings that list the region", () => {
  it("are updated in place as part of a clean teardown, and targeted with it", () => {
    const settings =
      "urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:Region$jitsi:aws:Shard$aws:ssm/parameter:Parameter::jitsi-us-east-1-shard-us1-settings";
    const verdict = checkTeardown(
      {
        steps: [
          { op: "delete", urn: "urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:Region::jitsi-eu-central-1" },
          { op: "update", urn: settings, diffReasons: ["insecureValue"] },
          { op: "same", urn: "urn:pulumi:dev::jitsi::jitsi:aws:Deployment::jitsi" },
        ],
      },
      { region: "eu-central-1", force: false },
    );
    expect(verdict).toEqual({
      ok: true,
      deletes: ["urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:Region::jitsi-eu-central-1"],
      updates: [settings],
      summary: "1 resource(s) of eu-central-1 to delete, 1 shard settings updated in place",
    });
  });

  it("do not let anything else of a shard change", () => {
    const node =
      "urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:Region$jitsi:aws:Shard$aws:ec2/instance:Instance::jitsi-us-east-1-shard-us1-node";
    const verdict = checkTeardown(
      {
        steps: [
          { op: "delete", urn: "urn:pulumi:dev::jitsi::jitsi:aws:Deployment$jitsi:aws:Region::jitsi-eu-central-1" },
          { op: "replace", urn: node, replaceReasons: ["userDataBase64"] },
        ],
      },
      { region: "eu-central-1", force: false },
    );
    expect(verdict.ok).toBe(false);
  });
});
