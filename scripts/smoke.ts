// npm run smoke -- --stack NAME [--timeout 600] [--region-filter REGION,...] [--outputs FILE]
// The smoke check after a deploy: jicofo's health, its bridges per region and the drain switch on every shard's
// signalling node, HAProxy's health and its view of the shards on every edge node, through SSM Run Command.
// Waits (up to --timeout) until every shard sees a bridge in every bridge region, then prints a table.
// Exit status: 0 healthy, 1 not, 2 usage error. The work is in scripts/lib/smoke-run.ts.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { sdkSmokeAws } from "./lib/smoke-aws";
import { readStackOutputs, realClock, runSmoke } from "./lib/smoke-run";

/** The project's name (the Project tag of every resource), from Pulumi.yaml in the current directory. */
function projectName(): string {
  try {
    const name = (parse(readFileSync(join(process.cwd(), "Pulumi.yaml"), "utf8")) as { name?: unknown })?.name;
    return typeof name === "string" && name !== "" ? name : "jitsi";
  } catch {
    return "jitsi";
  }
}

runSmoke(process.argv.slice(2), {
  aws: sdkSmokeAws(),
  readOutputs: (stack, file) => readStackOutputs(stack, file),
  clock: realClock,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  defaultProject: projectName(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`smoke: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
