// The edge node's config agent, run for real with bash and the real haproxy as validator, against
// a stand-in for the AWS CLI (answers `ssm get-parameter` from a file, as the real CLI prints a
// parameter's value with --output text) and a stand-in reload command that records its calls.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { renderEdgeFiles, renderEdgeConfigAgent, type EdgeNodeValues } from "../../components/render/edge-node";

const run = promisify(execFile);

const VALUES: EdgeNodeValues = {
  region: "eu-west-1",
  stack: "dev",
  nodeName: "eu-west-1-edge-0",
  configParameter: "/jitsi/dev/edge/eu-west-1-edge-0/haproxy.cfg",
};

const VALID = `global
  log stdout format raw local0
defaults
  mode http
  timeout connect 10s
  timeout client 3m
  timeout server 3m
frontend web
  bind 127.0.0.1:18080
  default_backend shards
backend shards
  server a 127.0.0.1:9
`;

describe("edge config agent", () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-agent-"));
  const agent = join(dir, "agent");
  const aws = join(dir, "aws");
  const parameter = join(dir, "parameter.cfg");
  const calls = join(dir, "calls.log");
  const config = join(dir, "haproxy.cfg");
  const reload = join(dir, "reload");
  const env = () => ({
    PATH: process.env.PATH,
    JITSI_AWS_CLI: aws,
    JITSI_HAPROXY_CONFIG: config,
    JITSI_HAPROXY_RELOAD: reload,
  });
  const reloads = () =>
    existsSync(calls)
      ? readFileSync(calls, "utf8")
          .split("\n")
          .filter((l) => l.startsWith("reload")).length
      : 0;

  beforeAll(() => {
    if (spawnSync("haproxy", ["-v"]).error) throw new Error("haproxy is missing: run scripts/install-test-deps.sh");
    writeFileSync(agent, renderEdgeConfigAgent(VALUES), { mode: 0o755 });
    // stand-in AWS CLI: records its arguments; prints the parameter's value, or fails when told to
    writeFileSync(
      aws,
      `#!/bin/bash\necho "aws $*" >>${calls}\n[ -f ${dir}/aws-fails ] && { echo "An error occurred (AccessDenied)" >&2; exit 255; }\ncat ${parameter}\n`,
      { mode: 0o755 },
    );
    writeFileSync(reload, `#!/bin/bash\necho "reload" >>${calls}\n`, { mode: 0o755 });
  });

  const runAgent = async () => {
    try {
      const { stdout, stderr } = await run(agent, [], { env: env(), timeout: 20_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it("installs a new valid configuration and reloads once, asking SSM for this node's parameter", async () => {
    writeFileSync(parameter, VALID);
    const r = await runAgent();
    expect(r).toMatchObject({ code: 0, stdout: "jitsi-edge-config-agent: applied a new configuration\n" });
    // the CLI prints the value followed by a newline, which is what gets installed
    expect(readFileSync(config, "utf8")).toBe(`${VALID}`);
    expect(reloads()).toBe(1);
    expect(readFileSync(calls, "utf8")).toContain(
      "aws ssm get-parameter --region eu-west-1 --name /jitsi/dev/edge/eu-west-1-edge-0/haproxy.cfg --query Parameter.Value --output text",
    );
  });

  it("does nothing when the parameter is unchanged", async () => {
    const r = await runAgent();
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(reloads()).toBe(1);
  });

  it("keeps the running configuration when the new one fails haproxy -c, and says why", async () => {
    writeFileSync(parameter, VALID.replace("server a 127.0.0.1:9", "server a 127.0.0.1:9 bogus-keyword"));
    const r = await runAgent();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "jitsi-edge-config-agent: the new configuration fails haproxy -c; keeping the running one:",
    );
    expect(r.stderr).toContain("bogus-keyword");
    expect(readFileSync(config, "utf8")).toBe(VALID);
    expect(reloads()).toBe(1);
  });

  it("keeps the running configuration when SSM cannot be read", async () => {
    writeFileSync(join(dir, "aws-fails"), "");
    const r = await runAgent();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "could not read /jitsi/dev/edge/eu-west-1-edge-0/haproxy.cfg; keeping the running configuration",
    );
    expect(readFileSync(config, "utf8")).toBe(VALID);
    expect(reloads()).toBe(1);
  });
});

describe("edge scripts", () => {
  it.each(
    renderEdgeFiles(VALUES)
      .filter((f) => f.permissions === "0755")
      .map((f) => [f.path, f.content]),
  )("%s passes shellcheck", (_path, content) => {
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
      input: content,
      encoding: "utf8",
      timeout: 20_000,
    });
    if (r.error) throw new Error(`shellcheck could not run: ${r.error.message}`);
    expect({ status: r.status, output: r.stdout }).toEqual({ status: 0, output: "" });
  });
});
