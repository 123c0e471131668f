// node scripts/run-ts.js scripts/remove-region.ts Pulumi.<stack>.yaml REGION
// Takes REGION out of the stack file in place, keeping its comments: the region, the shards homed
// there and its place in octo.regionGroups (scripts/lib/stack-config-edit.ts). Says what it removed.

import { readFileSync, writeFileSync } from "node:fs";
import { removeRegion } from "./lib/stack-config-edit";

function main(): number {
  const [file, region, ...rest] = process.argv.slice(2);
  if (!file || !region || rest.length > 0) {
    process.stderr.write("usage: remove-region.ts Pulumi.<stack>.yaml REGION\n");
    return 2;
  }
  try {
    const removal = removeRegion(readFileSync(file, "utf8"), region);
    writeFileSync(file, removal.text);
    const extra = [
      removal.shards.length > 0 ? `its shard(s) ${removal.shards.join(", ")}` : "",
      removal.regionGroups ? "its place in octo.regionGroups" : "",
    ].filter(Boolean);
    process.stderr.write(
      `remove-region: removed ${region}${extra.length > 0 ? ` with ${extra.join(" and ")}` : ""} from ${file}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`remove-region: ${file}: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main();
