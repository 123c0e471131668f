// scripts/teardown-region.sh end to end, with a stand-in `pulumi` on PATH that prints a fixture
// preview and records what it was asked to do: the stack file edit, the check, the targeted `up`,
// and the restored file on refusal. And shellcheck on the script.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../harness";

const SCRIPT = join(ROOT, "scripts/teardown-region.sh");

it("is shellcheck-clean", () => {
  expect(() => execFileSync("shellcheck", [SCRIPT], { encoding: "utf8" })).not.toThrow();
});

const STUB = `#!/usr/bin/env bash
# stand-in for the Pulumi CLI: records each call, answers preview with a fixture
set -euo pipefail
echo "$*" >>"$STUB_LOG"
case "$1" in
  preview) cp Pulumi.dev.yaml "$STUB_LOG.previewed-config"; cat "$STUB_PREVIEW"; exit "\${STUB_PREVIEW_STATUS:-0}" ;;
  up) exit 0 ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac
`;

interface Run {
  status: number | null;
  stderr: string;
  calls: string[];
  previewedConfig?: string;
  config: string;
}

/** A project folder whose scripts/ is the real one, with the dev stack file and the stub CLI. */
function project(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "teardown-"));
  symlinkSync(join(ROOT, "scripts"), join(dir, "scripts"));
  const config = readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8");
  writeFileSync(join(dir, "Pulumi.dev.yaml"), config);
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "pulumi"), STUB);
  chmodSync(join(dir, "bin", "pulumi"), 0o755);
  return { dir, config };
}

function teardown(fixture: string, args: string[], env: Record<string, string> = {}): Run & { original: string } {
  const { dir, config } = project();
  const log = join(dir, "calls.log");
  const result = spawnSync(join(dir, "scripts", "teardown-region.sh"), ["dev", ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${join(dir, "bin")}:${process.env.PATH}`,
      STUB_LOG: log,
      STUB_PREVIEW: join(ROOT, "test/fixtures/previews", `${fixture}.json`),
      ...env,
    },
    timeout: 60_000,
  });
  return {
    status: result.status,
    stderr: result.stderr,
    calls: existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [],
    previewedConfig: existsSync(`${log}.previewed-config`)
      ? readFileSync(`${log}.previewed-config`, "utf8")
      : undefined,
    config: readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8"),
    original: config,
  };
}

const upTargets = (call: string) => [...call.matchAll(/--target (\S+)/g)].map((m) => m[1]);

describe("scripts/teardown-region.sh", () => {
  it("previews without the region, then deletes exactly what the preview showed, and keeps the edited file", () => {
    const run = teardown("bridge-region-clean", ["eu-central-1"]);
    expect(run.stderr).toContain("teardown-check: ok: 41 resource(s) of eu-central-1 to delete");
    expect(run.status).toBe(0);
    expect(run.calls[0]).toBe("preview --json --stack dev");
    expect(run.previewedConfig).not.toContain("eu-central-1");
    expect(run.calls[1]).toMatch(/^up --yes --stack dev --target-dependents --target /);
    const fixture = JSON.parse(readFileSync(join(ROOT, "test/fixtures/previews/bridge-region-clean.json"), "utf8")) as {
      steps: { op: string; urn: string }[];
    };
    expect(upTargets(run.calls[1])).toEqual(fixture.steps.filter((s) => s.op === "delete").map((s) => s.urn));
    expect(run.calls).toHaveLength(2);
    expect(run.config).toBe(run.previewedConfig);
    expect(run.config).toContain("# The dev stack"); // comments kept
  });

  it("refuses a preview that touches other regions: no `up`, the stack file restored byte for byte", () => {
    const run = teardown("bridge-region-replaces-shards", ["eu-central-1", "--force"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('replace aws:ec2/instance:Instance "jitsi-eu-west-1-shard-eu1-node"');
    expect(run.stderr).toContain("nothing was changed in the cloud");
    expect(run.calls).toEqual(["preview --json --stack dev"]);
    expect(run.config).toBe(run.original);
  });

  it("refuses a region with a shard without --force, and tears it down with --force", () => {
    const refused = teardown("shard-region", ["us-east-1"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("us-east-1 holds a shard");
    expect(refused.stderr).toContain("remove-region: removed us-east-1 with its shard(s) us1");
    expect(refused.calls).toEqual(["preview --json --stack dev"]);
    expect(refused.config).toBe(refused.original);

    const forced = teardown("shard-region", ["us-east-1", "--force"]);
    expect(forced.status).toBe(0);
    expect(forced.calls[1]).toMatch(/^up --yes --stack dev --target-dependents /);
    expect(upTargets(forced.calls[1])).toHaveLength(60);
    expect(forced.config).not.toContain("us-east-1");
  });

  it("--check-only stops after the check and restores the file", () => {
    const run = teardown("bridge-region-clean", ["eu-central-1", "--check-only"]);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("--check-only: the teardown of eu-central-1 would be allowed");
    expect(run.calls).toEqual(["preview --json --stack dev"]);
    expect(run.config).toBe(run.original);
  });

  it("refuses when the preview itself fails, even if its JSON looks clean", () => {
    const run = teardown("bridge-region-clean", ["eu-central-1"], { STUB_PREVIEW_STATUS: "255" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("pulumi preview exited with status 255");
    expect(run.calls).toEqual(["preview --json --stack dev"]);
    expect(run.config).toBe(run.original);
  });

  it("stops before any preview for a region the stack does not have, and for bad usage", () => {
    const run = teardown("bridge-region-clean", ["ap-south-1"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("ap-south-1 is not in jitsi:regions");
    expect(run.calls).toEqual([]);
    expect(run.config).toBe(run.original);
    expect(teardown("bridge-region-clean", ["eu-central-1", "--yes"]).status).toBe(2);
  });
});
