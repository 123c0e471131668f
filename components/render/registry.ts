// The shard registry: the list of shards that bridges and HAProxy nodes follow, kept as a plain
// SSM parameter in every region that has bridges or an edge. Pure: no Pulumi import.

import type { ShardState } from "../config";

export interface RegistryEntry {
  /** Stable shard id (`<region>-<name>`): the bridges' muc-client id and HAProxy's server name. */
  readonly id: string;
  readonly region: string;
  /** Private address of the signalling node (reached over VPC peering). */
  readonly address: string;
  /** XMPP domain; bridges log in to `auth.<domain>` and join `JvbBrewery@internal.auth.<domain>`. */
  readonly domain: string;
  /** `drain`: HAProxy sends it no new rooms. */
  readonly state: ShardState;
}

export const REGISTRY_VERSION = 1;

/** Stable text (sorted by id, fixed key order), so an unchanged list never shows as a change. */
export function renderShardRegistry(entries: readonly RegistryEntry[]): string {
  const shards = [...entries]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((e) => ({ id: e.id, region: e.region, address: e.address, domain: e.domain, state: e.state }));
  return `${JSON.stringify({ version: REGISTRY_VERSION, shards }, null, 2)}\n`;
}
