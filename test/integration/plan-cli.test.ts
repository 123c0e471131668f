// `npm run plan` end to end, as a newcomer runs it: a child process, files on disk, exit codes.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../harness";

const run = promisify(execFile);

async function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(ROOT, "scripts/run-ts.js"), join(ROOT, "scripts/plan.ts"), ...args],
      {
        cwd: ROOT,
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name));
}

describe("npm run plan", () => {
  const work = mkdtempSync(join(tmpdir(), "plan-"));

  it("writes resources.json, rendered/ and summary.md for the dev stack, and one paragraph on stdout", async () => {
    const out = join(work, "dev");
    const { code, stdout, stderr } = await plan(["--config", "Pulumi.dev.yaml", "--out", out]);
    expect(code).toBe(0);
    expect(stderr).toContain("plan: running the program for stack dev against the simulated cloud");
    expect(stdout.trim().split("\n")).toHaveLength(1);
    expect(stdout).toMatch(/^Stack dev \(Pulumi\.dev\.yaml\) for meet-dev\.example\.com: 3 regions: /);

    const resources = JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as Record<string, unknown>[];
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) {
      expect(Object.keys(r)).toEqual(["urn", "type", "name", "parent", "provider", "region", "inputs"]);
    }
    // one provider per region, and the global DNS provider (Route53 answers in us-east-1)
    const providers = resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => `${r.name} ${r.region}`);
    expect(providers.sort()).toEqual([
      "jitsi-dns-provider us-east-1",
      "jitsi-eu-central-1-provider eu-central-1",
      "jitsi-eu-west-1-provider eu-west-1",
      "jitsi-us-east-1-provider us-east-1",
    ]);
    expect(existsSync(join(out, "rendered"))).toBe(true);

    const summary = readFileSync(join(out, "summary.md"), "utf8");
    expect(summary).toContain("# Offline plan: stack `dev`");
    expect(summary).toContain("```mermaid");
    expect(summary).toContain("| eu-west-1 | `pulumi:providers:aws` | 1 |");

    // no generated secret may reach any file the plan writes, but resources.json's redactions
    for (const file of [join(out, "summary.md"), ...listFiles(join(out, "rendered"))]) {
      expect(readFileSync(file, "utf8")).not.toContain("PLAN-SECRET-");
    }
  });

  it("refuses an invalid config: exit 1, one line per problem, and no resources.json (not even a stale one)", async () => {
    const out = join(work, "bad");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "resources.json"), "[] stale from an earlier run");
    const config = join(work, "Pulumi.bad.yaml");
    writeFileSync(
      config,
      [
        "config:",
        "  jitsi:domain: meet.example.com",
        "  jitsi:regions:",
        "    eu-west-1:",
        "      cidr: 10.0.0.0/16",
        "      jvb: { minsize: 1, maxSize: 0 }",
        "      edge: {}",
        "  jitsi:shards: []",
        "",
      ].join("\n"),
    );
    const { code, stderr } = await plan(["--config", config, "--out", out]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      [
        "invalid stack config:",
        "  jitsi:regions.eu-west-1.jvb.minsize: unknown key (did you mean minSize?)",
        "  jitsi:regions.eu-west-1.jvb.maxSize: must be an integer from 1 to 200 (got 0)",
        "  jitsi:shards: at least one shard is required",
      ].join("\n"),
    );
    expect(existsSync(join(out, "resources.json"))).toBe(false);
  });

  it("says how it is used when given an unknown flag", async () => {
    const { code, stderr } = await plan(["--conifg", "x"]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      "usage: npm run plan -- [--config Pulumi.<stack>.yaml] [--out DIR] [--stack NAME] [--stack-traces]",
    );
  });
});
