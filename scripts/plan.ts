// npm run plan -- [--config FILE] [--out DIR] [--stack NAME]
// The offline plan: the real program against a simulated cloud; no credentials, no Pulumi CLI.
// Progress goes to stderr, results to DIR, and a one-paragraph summary to stdout.

import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../components/config";
import { REPO_ROOT, clearPlan, planStack, writePlan } from "./lib/plan";
import { readStackFiles } from "./lib/stack-files";

const USAGE = "usage: npm run plan -- [--config Pulumi.<stack>.yaml] [--out DIR] [--stack NAME] [--stack-traces]";

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: "string", default: "Pulumi.dev.yaml" },
        out: { type: "string", default: "plan" },
        stack: { type: "string" },
        "stack-traces": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const configFile = args.config!;
  const outDir = args.out!;
  process.on("unhandledRejection", (err) => fail(`plan: the program failed: ${(err as Error)?.stack ?? err}`));

  process.stderr.write(`plan: reading ${configFile}\n`);
  let stackConfig;
  try {
    stackConfig = readStackFiles(join(REPO_ROOT, "Pulumi.yaml"), configFile, args.stack);
  } catch (err) {
    fail(`plan: ${(err as Error).message}`, 2);
  }

  clearPlan(outDir);
  process.stderr.write(`plan: running the program for stack ${stackConfig.stack} against the simulated cloud\n`);
  let result;
  try {
    result = await planStack(stackConfig, { stackTraces: args["stack-traces"] });
  } catch (err) {
    if (err instanceof ConfigError) fail(`${configFile}: ${err.message}\nNothing was planned.`);
    const hint = args["stack-traces"] ? "" : "\n(run again with --stack-traces to see where it happened)";
    fail(`plan: ${(err as Error).stack ?? err}${hint}`);
  }
  writePlan(result, outDir, configFile);
  const where = relative(process.cwd(), outDir) || ".";
  process.stderr.write(`plan: wrote ${where}/resources.json, ${where}/summary.md, ${where}/rendered/\n`);

  const t = result.topology;
  const regions = t.regions.map((r) => `${r.name} (${r.roles.join(", ")})`).join(", ");
  const components = result.planned.filter((r) => r.type.startsWith("jitsi:")).length;
  process.stdout.write(
    `Stack ${result.stack} (${configFile}) for ${t.domain}: ${t.regions.length} regions: ${regions}; ` +
      `${t.shards.length} shard(s), bridges in ${t.relayRegions.length} region(s), edge in ${t.edgeRegions.length}, ` +
      `${t.peerings.length} peering connection(s). ${result.planned.length} resources ` +
      `(${result.planned.length - components} cloud resources and providers, ${components} components) and ` +
      `${result.rendered.length} rendered file(s); see ${where}/summary.md.\n`,
  );
}

void main();
