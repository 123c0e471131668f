// node scripts/run-ts.js scripts/teardown-check.ts --region R [--force] [PREVIEW.json | -]
// Reads what `pulumi preview --json` printed (from the file, or stdin) and decides whether it is a
// clean teardown of region R (scripts/lib/teardown-check.ts). Allowed: prints the URNs to delete,
// one a line, on stdout (for `pulumi up --target`), and exits 0. Refused: prints the reasons on
// stderr and exits 1. Bad usage or unreadable JSON: exits 2.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { checkTeardown, type PreviewJson } from "./lib/teardown-check";

const USAGE = "usage: teardown-check.ts --region REGION [--force] [PREVIEW.json | -]";

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { region: { type: "string" }, force: { type: "boolean", default: false } },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (!values.region || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const source = positionals[0] ?? "-";
  let preview: PreviewJson;
  try {
    const text = readFileSync(source === "-" ? 0 : source, "utf8");
    preview = JSON.parse(text) as PreviewJson;
  } catch (err) {
    process.stderr.write(`teardown-check: cannot read the preview from ${source}: ${(err as Error).message}\n`);
    return 2;
  }
  const verdict = checkTeardown(preview, { region: values.region, force: values.force ?? false });
  if (!verdict.ok) {
    process.stderr.write(`teardown-check: refused to tear down ${values.region}:\n`);
    for (const reason of verdict.reasons) process.stderr.write(`  - ${reason}\n`);
    return 1;
  }
  process.stderr.write(`teardown-check: ok: ${verdict.summary}\n`);
  for (const urn of [...verdict.deletes, ...verdict.updates]) process.stdout.write(`${urn}\n`);
  return 0;
}

process.exitCode = main();
