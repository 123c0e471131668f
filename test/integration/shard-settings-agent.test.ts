// The shard settings agent, run for real with bash and jq, against a stand-in for the AWS CLI
// (answers `ssm get-parameter` as the real CLI prints a value with --output text) and stand-ins
// for `nginx -t`, the nginx reload and the jicofo restart that record their calls.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { renderShardSettings, renderShardSettingsAgent } from "../../components/render/shard-settings";
import { SHARD_VALUES } from "../fixtures/shard-values";

const run = promisify(execFile);
const PARAMETER = "/jitsi/dev/shards/eu-west-1-eu1/settings";

describe("shard settings agent", () => {
  const dir = mkdtempSync(join(tmpdir(), "shard-settings-"));
  const root = join(dir, "root");
  const calls = join(dir, "calls.log");
  const settings = join(dir, "settings.json");
  const stub = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    return path;
  };
  const agent = join(dir, "agent");
  let env: NodeJS.ProcessEnv;
  const logged = () => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []);

  beforeAll(() => {
    mkdirSync(root);
    writeFileSync(agent, renderShardSettingsAgent(SHARD_VALUES, PARAMETER), { mode: 0o755 });
    env = {
      PATH: process.env.PATH,
      JITSI_SHARD_ROOT: root,
      JITSI_AWS_CLI: stub(
        "aws",
        `echo "aws $*" >>${calls}
case "$*" in
  *jicofo-password*) echo "s3cret-with-'quotes\\"" ;;
  *${PARAMETER}*) cat ${settings} ;;
  *) exit 254 ;;
esac`,
      ),
      JITSI_NGINX_TEST: stub(
        "nginx-test",
        `echo "nginx -t" >>${calls}; [ ! -f ${dir}/nginx-rejects ] || { echo "emerg: bad map" >&2; exit 1; }`,
      ),
      JITSI_NGINX_RELOAD: stub("nginx-reload", `echo "nginx reload" >>${calls}`),
      JITSI_JICOFO_RESTART: stub("jicofo-restart", `echo "jicofo restart" >>${calls}`),
    };
  });

  const runAgent = async () => {
    rmSync(calls, { force: true });
    try {
      const { stdout, stderr } = await run(agent, [], { env, timeout: 20_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const onNode = (path: string) => readFileSync(join(root, path), "utf8");

  it("writes the region map and jicofo.conf with its password, then reloads nginx and restarts jicofo", async () => {
    writeFileSync(settings, renderShardSettings(SHARD_VALUES));
    const r = await runAgent();
    expect(r.code).toBe(0);
    expect(onNode("/etc/nginx/jitsi-shard-regions.conf")).toContain('"~^us-east-1$" "us-east-1";');
    const jicofo = JSON.parse(onNode("/etc/jitsi/jicofo/jicofo.conf")) as {
      jicofo: { xmpp: { client: { password: string } } };
    };
    expect(jicofo.jicofo.xmpp.client.password).toBe("s3cret-with-'quotes\"");
    expect(logged()).toEqual([
      `aws ssm get-parameter --region eu-west-1 --name ${PARAMETER} --query Parameter.Value --output text`,
      "nginx -t",
      "nginx reload",
      "aws ssm get-parameter --region eu-west-1 --with-decryption --name /jitsi/dev/shards/eu-west-1-eu1/jicofo-password --query Parameter.Value --output text",
      "jicofo restart",
    ]);
  });

  it("does nothing but read the parameter when nothing changed", async () => {
    expect((await runAgent()).code).toBe(0);
    expect(logged()).toEqual([
      `aws ssm get-parameter --region eu-west-1 --name ${PARAMETER} --query Parameter.Value --output text`,
    ]);
  });

  it("reloads nginx only when only the regions changed", async () => {
    writeFileSync(
      settings,
      renderShardSettings({ ...SHARD_VALUES, knownRegions: [...SHARD_VALUES.knownRegions, "ap-south-1"] }),
    );
    // the jicofo template does not name the known regions, so jicofo keeps running
    expect((await runAgent()).code).toBe(0);
    expect(logged().slice(1)).toEqual(["nginx -t", "nginx reload"]);
    expect(onNode("/etc/nginx/jitsi-shard-regions.conf")).toContain("ap-south-1");
  });

  it("restarts jicofo only when jicofo's settings changed", async () => {
    writeFileSync(
      settings,
      renderShardSettings({
        ...SHARD_VALUES,
        knownRegions: [...SHARD_VALUES.knownRegions, "ap-south-1"],
        octo: { ...SHARD_VALUES.octo, maxBridgeParticipants: 40 },
      }),
    );
    expect((await runAgent()).code).toBe(0);
    expect(
      logged()
        .slice(1)
        .map((l) => l.split(" --")[0]),
    ).toEqual(["aws ssm get-parameter", "jicofo restart"]);
  });

  it("keeps the old region map when nginx rejects the new one", async () => {
    const before = onNode("/etc/nginx/jitsi-shard-regions.conf");
    writeFileSync(join(dir, "nginx-rejects"), "");
    try {
      writeFileSync(settings, renderShardSettings({ ...SHARD_VALUES, knownRegions: ["eu-west-1"] }));
      const r = await runAgent();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("jitsi-shard-settings-agent: nginx rejects the new region map; keeping the old one:");
      expect(onNode("/etc/nginx/jitsi-shard-regions.conf")).toBe(before);
      expect(logged()).not.toContain("nginx reload");
    } finally {
      rmSync(join(dir, "nginx-rejects"));
    }
  });

  it.each([
    ["malformed JSON", "{ not json"],
    ["another version", JSON.stringify({ version: 2, files: {} })],
    ["a missing file", JSON.stringify({ version: 1, files: { "/etc/nginx/jitsi-shard-regions.conf": "" } })],
  ])("changes nothing and says why on %s", async (_case, text) => {
    const before = onNode("/etc/nginx/jitsi-shard-regions.conf");
    writeFileSync(settings, text);
    const r = await runAgent();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${PARAMETER} is not valid shard settings (version 1); nothing changed`);
    expect(onNode("/etc/nginx/jitsi-shard-regions.conf")).toBe(before);
    expect(logged()).toHaveLength(1);
  });
});
