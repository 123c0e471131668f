// The signalling node's scripts, run for real with bash: the drain switch and the HAProxy agent
// check it feeds, and shellcheck over every script the node receives.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { renderShardBootstrap } from "../../components/render/shard-bootstrap";
import { renderShardFiles } from "../../components/render/shard-user-data";
import { renderShardAgentScript, renderShardDrainScript } from "../../components/render/shard-agent";
import { SHARD_VALUES as VALUES } from "../fixtures/shard-values";

const run = promisify(execFile);

function shellcheck(script: string): { status: number | null; output: string } {
  const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
    input: script,
    encoding: "utf8",
    timeout: 20_000,
  });
  if (r.error)
    throw new Error(`shellcheck could not run (install it: scripts/install-test-deps.sh): ${r.error.message}`);
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("shellcheck", () => {
  // every executable the node receives, exactly as its user-data carries it
  const scripts = renderShardFiles(VALUES, "/jitsi/dev/shards/eu-west-1-eu1/settings").filter(
    (f) => f.permissions === "0755",
  );

  it("covers the bootstrap, the agent check, the drain switch and the settings agent", () => {
    expect(scripts.map((f) => f.path).sort()).toEqual(
      [
        "/usr/local/bin/jitsi-shard-agent",
        "/usr/local/sbin/jitsi-shard-bootstrap",
        "/usr/local/sbin/jitsi-shard-drain",
        "/usr/local/sbin/jitsi-shard-settings-agent",
      ].sort(),
    );
  });

  it.each(scripts.map((f) => [f.path, f.content]))("passes on %s", (_path, content) => {
    expect(shellcheck(content)).toEqual({ status: 0, output: "" });
  });

  it("is a real check: it flags a script with an unquoted variable", () => {
    expect(shellcheck("#!/bin/bash\nrm -rf $1/tmp\n").status).not.toBe(0);
  });
});

describe("bootstrap rendering", () => {
  const render = (argv: string[]) => renderShardBootstrap(VALUES, { prosodyRegister: [argv] });

  it("names the parameters it reads and never holds a secret", () => {
    const script = render(["prosodyctl", "register", "jvb", "auth.meet.example.com", "$JVB_PASSWORD"]);
    expect(script).toContain("JVB_PASSWORD_PARAMETER=/jitsi/dev/shards/eu-west-1-eu1/jvb-password");
    expect(script).toContain('prosodyctl register jvb auth.meet.example.com "$JVB_PASSWORD"');
    expect(script).not.toMatch(/set -x|PLAN-SECRET/);
    expect(script).toMatch(/^set -euo pipefail$/m);
  });

  it("refuses to splice a value that would need quoting", () => {
    expect(() => render(["prosodyctl", "register", "jvb", "auth.x; rm -rf /", "$JVB_PASSWORD"])).toThrow(
      'refusing to render "auth.x; rm -rf /" into a shell script',
    );
  });
});

describe("drain switch and agent check (bash, with a stand-in for jicofo's REST health)", () => {
  // Stand-in for jicofo's REST API: answers GET /about/health with the status the test sets, as
  // jicofo does (200 healthy, 500 when its health checks fail).
  let jicofo: Server;
  let healthStatus = 200;
  const dir = mkdtempSync(join(tmpdir(), "shard-agent-"));
  const stateFile = join(dir, "shard-status");
  const agent = join(dir, "jitsi-shard-agent");
  const drain = join(dir, "jitsi-shard-drain");
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    jicofo = createServer((req, res) => {
      res.statusCode = req.url === "/about/health" ? healthStatus : 404;
      res.end();
    });
    await new Promise<void>((done) => jicofo.listen(0, "127.0.0.1", done));
    const { port } = jicofo.address() as AddressInfo;
    writeFileSync(agent, renderShardAgentScript(), { mode: 0o755 });
    writeFileSync(drain, renderShardDrainScript(), { mode: 0o755 });
    env = {
      PATH: process.env.PATH,
      JITSI_SHARD_STATE_FILE: stateFile,
      JITSI_JICOFO_HEALTH_URL: `http://127.0.0.1:${port}/about/health`,
      JITSI_SHARD_AGENT: agent,
    };
  });
  afterAll(() => new Promise<void>((done) => jicofo.close(() => done())));

  const reply = async () => (await run(agent, [], { env, timeout: 10_000 })).stdout;

  it("says 'up ready' for a ready shard whose jicofo is healthy", async () => {
    writeFileSync(stateFile, "ready\n");
    expect(await reply()).toBe("up ready\n");
  });

  it("flips to drain and back with the switch, and says what HAProxy now reads", async () => {
    expect((await run(drain, ["drain"], { env, timeout: 10_000 })).stdout).toBe(
      "shard state: drain (HAProxy reads: up drain)\n",
    );
    expect(readFileSync(stateFile, "utf8")).toBe("drain\n");
    expect(await reply()).toBe("up drain\n");
    expect((await run(drain, ["ready"], { env, timeout: 10_000 })).stdout).toBe(
      "shard state: ready (HAProxy reads: up ready)\n",
    );
    expect(await reply()).toBe("up ready\n");
  });

  it("says 'down' when jicofo is unhealthy, whatever the switch", async () => {
    healthStatus = 500;
    try {
      expect(await reply()).toBe("down\n");
    } finally {
      healthStatus = 200;
    }
  });

  it("treats a missing or unreadable state as drain: no new rooms, none dropped", async () => {
    writeFileSync(stateFile, "garbage\n");
    expect(await reply()).toBe("up drain\n");
    await run("rm", ["-f", stateFile]);
    expect(await reply()).toBe("up drain\n");
  });

  it("refuses an unknown command", async () => {
    await expect(run(drain, ["maintenance"], { env, timeout: 10_000 })).rejects.toMatchObject({ code: 2 });
  });
});
