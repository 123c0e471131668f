// node scripts/run-ts.js scripts/plan-diff.ts --base DIR --head DIR [--stack NAME] [--base-ref REF]
//   [--head-ref REF] [--out FILE]
// Compares two offline plans (each DIR holds the resources.json and summary.md of `npm run plan
// -- --out DIR`) and writes the pull request comment (Markdown) to FILE or stdout. A base without
// resources.json (it could not be planned) compares as empty, with a note.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { diffMarkdown, diffPlans } from "./lib/plan-diff";
import type { PlannedResource } from "./lib/plan-output";

const USAGE = "usage: plan-diff.ts --base DIR --head DIR [--stack NAME] [--base-ref REF] [--head-ref REF] [--out FILE]";

function readPlan(dir: string): PlannedResource[] | undefined {
  const file = join(dir, "resources.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PlannedResource[]) : undefined;
}

function main(): number {
  let values;
  try {
    values = parseArgs({
      options: {
        base: { type: "string" },
        head: { type: "string" },
        stack: { type: "string", default: "dev" },
        "base-ref": { type: "string", default: "base" },
        "head-ref": { type: "string", default: "head" },
        out: { type: "string" },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.base || !values.head) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const head = readPlan(values.head);
  if (!head) {
    process.stderr.write(`plan-diff: ${values.head}/resources.json is missing: the head could not be planned\n`);
    return 1;
  }
  const base = readPlan(values.base);
  const summaryFile = join(values.head, "summary.md");
  const markdown = diffMarkdown({
    diff: diffPlans(base ?? [], head),
    stack: values.stack!,
    base: values["base-ref"]!,
    head: values["head-ref"]!,
    headSummary: existsSync(summaryFile) ? readFileSync(summaryFile, "utf8") : undefined,
    baseNote: base ? undefined : "The base could not be planned, so every resource of the head counts as added.",
  });
  if (values.out) writeFileSync(values.out, markdown);
  else process.stdout.write(markdown);
  return 0;
}

process.exitCode = main();
