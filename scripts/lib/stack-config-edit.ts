// Editing a stack file (Pulumi.<stack>.yaml) the way an operator would by hand, keeping its
// comments and layout: used by scripts/teardown-region.sh to take a region out of the config.
// Pure: text in, text out.

import { isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from "yaml";

export interface RegionRemoval {
  /** The edited file. */
  readonly text: string;
  /** Names of the shards homed in the region, removed with it. */
  readonly shards: readonly string[];
  /** Whether the region left `jitsi:octo.regionGroups` (a group left empty goes too). */
  readonly regionGroups: boolean;
}

/** The config map's entry for `<project>:<key>` (or the bare key, which Pulumi also accepts). */
function configKey(config: YAMLMap, project: string, key: string): string | undefined {
  return [`${project}:${key}`, key].find((k) => config.has(k));
}

/**
 * Removes `region` from `<project>:regions`, the shards homed there from `<project>:shards`, and
 * the region from `<project>:octo.regionGroups`: what the config validation requires for a region
 * to go. Throws when the region is not configured.
 */
export function removeRegion(text: string, region: string, project = "jitsi"): RegionRemoval {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`cannot parse the stack file: ${doc.errors[0].message}`);
  const config = doc.get("config");
  if (!isMap(config)) throw new Error("the stack file has no config map");

  const regionsKey = configKey(config, project, "regions");
  const regions = regionsKey ? config.get(regionsKey) : undefined;
  if (!isMap(regions) || !regions.has(region)) {
    const known = isMap(regions)
      ? regions.items.map((p) => String((p.key as { value?: unknown })?.value ?? p.key))
      : [];
    throw new Error(
      `${region} is not in ${project}:regions${known.length > 0 ? ` (configured: ${known.join(", ")})` : ""}`,
    );
  }
  regions.delete(region);

  const shards: string[] = [];
  const shardsKey = configKey(config, project, "shards");
  const shardList = shardsKey ? config.get(shardsKey) : undefined;
  if (isSeq(shardList)) {
    for (let i = shardList.items.length - 1; i >= 0; i--) {
      const shard = shardList.items[i];
      if (isMap(shard) && shard.get("region") === region) {
        shards.unshift(String(shard.get("name")));
        shardList.delete(i);
      }
    }
  }

  let regionGroups = false;
  const octoKey = configKey(config, project, "octo");
  const octo = octoKey ? config.get(octoKey) : undefined;
  const groups = isMap(octo) ? octo.get("regionGroups") : undefined;
  if (isSeq(groups)) {
    for (let i = groups.items.length - 1; i >= 0; i--) {
      const group = groups.items[i];
      if (!isSeq(group)) continue;
      const members = group as YAMLSeq;
      for (let j = members.items.length - 1; j >= 0; j--) {
        const member = members.items[j] as { value?: unknown } | string;
        if ((typeof member === "string" ? member : member?.value) === region) {
          members.delete(j);
          regionGroups = true;
        }
      }
      if (members.items.length === 0) groups.delete(i);
    }
  }
  // `[a, b]` stays `[a, b]` (the library pads flow collections by default).
  return { text: doc.toString({ flowCollectionPadding: false }), shards, regionGroups };
}
