// Signalling nodes and the shard registry, as the real program registers them.
import { GENERATED_REGIONS } from "../../bench/workloads";
import { USER_DATA_LIMIT_BYTES, encodeUserData } from "../../components/render/cloud-config";
import { renderShardSettings } from "../../components/render/shard-settings";
import type { ShardRenderValues } from "../../components/render/shard-values";
import { renderShardUserData } from "../../components/render/shard-user-data";
import { decodeUserData } from "../../scripts/lib/plan-output";
import { planDevStackOnce } from "../harness";

const dev = planDevStackOnce();
const { region, ofType, providerOf } = dev;
const byId = (id: unknown) => dev.byId(id)!;
const instances = () =>
  ofType("aws:ec2/instance:Instance").filter((r) => (r.inputs.tags as Record<string, string>).Role === "signalling");

describe("signalling nodes", () => {
  it("one instance per shard, in its home region, with that region's provider, subnet, group and role", () => {
    expect(instances().map((i) => [i.name, region(i)])).toEqual(
      dev.plan.topology.shards.map((s) => [`jitsi-${s.region}-shard-${s.name}-node`, s.region]),
    );
    for (const i of instances()) {
      const home = region(i);
      expect(i.provider).toBe(providerOf(home!));
      expect(region(byId(i.inputs.subnetId))).toBe(home);
      expect((i.inputs.vpcSecurityGroupIds as string[]).map((g) => byId(g).name)).toEqual([
        `jitsi-${home}-sg-signalling`,
      ]);
      expect(byId(i.inputs.iamInstanceProfile)?.name ?? i.inputs.iamInstanceProfile).toBe(
        `jitsi-${home}-signalling-role`,
      );
    }
  });

  it("require IMDSv2, encrypt the root volume, boot Debian 12 for their architecture, and keep their AMI", () => {
    for (const i of instances()) {
      expect(i.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpEndpoint: "enabled" });
      expect(i.inputs.rootBlockDevice).toMatchObject({ encrypted: true, volumeType: "gp3" });
      expect(i.inputs.ami).toBe("ami-plan-debian-release-bookworm-latest-amd64");
      // a new monthly image must not replace a running shard; a changed user-data must
      expect(i.options.ignoreChanges).toEqual(["ami"]);
      // regions that hold a shard are protected: a delete fails until the protection is lifted
      expect(i.options.protect).toBe(true);
      expect(i.inputs.userDataReplaceOnChange).toBe(true);
    }
  });

  it("carry parameter names in their user-data, never a secret", () => {
    for (const i of instances()) {
      const userData = decodeUserData(i.inputs.userDataBase64 as string);
      expect(userData).toMatch(/^#cloud-config\n/);
      expect(userData).toContain("/jitsi/dev/shards/");
      expect(userData).not.toContain("PLAN-SECRET-");
    }
  });

  it("get the stack-wide settings (regions, Octo) from a parameter, so changing them never replaces a node", () => {
    for (const s of dev.plan.topology.shards) {
      const [param] = dev.resources.filter(
        (r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.name === `/jitsi/dev/shards/${s.id}/settings`,
      );
      expect([region(param), param.inputs.type]).toEqual([s.region, "String"]);
      const settings = JSON.parse(param.inputs.insecureValue as string) as { files: Record<string, string> };
      expect(Object.keys(settings.files).sort()).toEqual([
        "/etc/jitsi/jicofo/jicofo.conf.template.json",
        "/etc/nginx/jitsi-shard-regions.conf",
      ]);
      expect(settings.files["/etc/nginx/jitsi-shard-regions.conf"]).toContain('"~^eu-central-1$" "eu-central-1";');
    }
    // the user-data of a node does not change with the stack's regions or Octo settings
    const values = {
      domain: "meet-dev.example.com",
      shardId: "eu-west-1-eu1",
      region: "eu-west-1",
      stack: "dev",
      parameters: { jvbPassword: "/a", jicofoPassword: "/b" },
    };
    const one = renderShardUserData({ ...values, knownRegions: ["eu-west-1"], octo: dev.plan.topology.octo }, "/s");
    const other = renderShardUserData(
      {
        ...values,
        knownRegions: ["eu-west-1", "us-east-1"],
        octo: {
          selectionStrategy: "SplitBridgeSelectionStrategy",
          regionGroups: [["eu-west-1", "us-east-1"]],
          maxBridgeParticipants: 40,
        },
      },
      "/s",
    );
    expect(other).toBe(one);
  });

  it("are written by the plan under rendered/<region>/shard-<name>/", () => {
    for (const s of dev.plan.topology.shards) {
      const folder = `${s.region}/shard-${s.name}/`;
      const paths = dev.plan.rendered.filter((f) => f.path.startsWith(folder)).map((f) => f.path.slice(folder.length));
      expect(paths).toEqual(
        expect.arrayContaining([
          "user-data",
          "files/etc/jitsi/jicofo/jicofo.conf.template.json",
          "files/etc/nginx/jitsi-shard-regions.conf",
          "settings",
          "files/usr/local/sbin/jitsi-shard-settings-agent",
          "files/etc/nginx/sites-available/jitsi-shard.conf",
          "files/etc/prosody/conf.d/jitsi-shard.cfg.lua",
          "files/usr/local/sbin/jitsi-shard-bootstrap",
          "files/usr/local/bin/jitsi-shard-agent",
          "files/usr/local/sbin/jitsi-shard-drain",
        ]),
      );
    }
  });
});

describe("shard registry", () => {
  it("is a plain parameter in every region with bridges or an edge, listing every shard with its private address", () => {
    const params = dev.resources.filter(
      (r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.name === "/jitsi/dev/registry/shards",
    );
    expect(params.map(region).sort()).toEqual(
      dev.plan.topology.regions.filter((r) => r.jvb || r.edge).map((r) => r.name),
    );
    for (const p of params) {
      expect(p.inputs.type).toBe("String");
      const registry = JSON.parse(p.inputs.insecureValue as string) as { shards: Record<string, unknown>[] };
      expect(registry.shards).toEqual(
        dev.plan.topology.shards.map((s) => ({
          id: s.id,
          region: s.region,
          // the node's private address, inside the first subnet of its home region
          address: expect.stringMatching(
            new RegExp(
              `^${dev.plan.topology.regions
                .find((r) => r.name === s.region)!
                .subnets[0].cidr.split(".")
                .slice(0, 2)
                .join("\\.")}\\.`,
            ),
          ),
          domain: "meet-dev.example.com",
          state: "ready",
        })),
      );
    }
  });
});

describe("user-data size", () => {
  it("stays under EC2's 16 KiB with a quarter to spare on the largest config of the tests", () => {
    // 20 regions, all in one region group, long names: the longest nginx region map and jicofo groups.
    // the benchmark's large topology: 20 regions
    const codes = [...GENERATED_REGIONS];
    const shardId = "ap-southeast-2-shard-with-a-long-name-39";
    const values: ShardRenderValues = {
      domain: "meet.a-rather-long-subdomain.example.com",
      shardId,
      region: "ap-southeast-2",
      knownRegions: codes,
      octo: {
        selectionStrategy: "RegionBasedBridgeSelectionStrategy",
        regionGroups: [codes],
        maxBridgeParticipants: 80,
      },
      stack: "production-europe",
      parameters: {
        jvbPassword: `/jitsi/production-europe/shards/${shardId}/jvb-password`,
        jicofoPassword: `/jitsi/production-europe/shards/${shardId}/jicofo-password`,
      },
    };
    const userData = renderShardUserData(values, `/jitsi/production-europe/shards/${shardId}/settings`);
    // what EC2 counts: the bytes before base64 (gzip, which cloud-init unpacks)
    const size = Buffer.from(encodeUserData(userData), "base64").length;
    expect(size).toBeLessThan(USER_DATA_LIMIT_BYTES * 0.75);
    // the settings parameter (plain text, not compressed) fits the advanced tier's 8 KB
    expect(Buffer.byteLength(renderShardSettings(values))).toBeLessThan(8 * 1024);
    // and the dev stack's nodes carry exactly this kind of document
    for (const i of instances())
      expect(decodeUserData(i.inputs.userDataBase64 as string)).toMatch(/^#cloud-config\nwrite_files:/);
  });
});
