// The plain values the HAProxy renderer receives for one edge node. Chosen by components/edge.ts
// from the shard registry and the edge nodes of every region. Pure: no Pulumi import.

import type { ShardState } from "../config";

export interface EdgeShard {
  /** Stable shard id (`<region>-<name>`): the server's name in every edge node's config. */
  readonly id: string;
  /** Private address of the shard's signalling node (nginx on 443, agent check on 6060). */
  readonly address: string;
  /** `drain`: keeps the rooms pinned to it, gets no new room. */
  readonly state: ShardState;
}

export interface EdgePeer {
  /** Peer name (unique across all edge nodes of all regions), e.g. `eu-west-1-edge-0`. */
  readonly name: string;
  /** Private address; peers talk over VPC peering. */
  readonly address: string;
}

export interface EdgeRenderValues {
  /** The public hostname (every shard's nginx server_name): the Host header of HAProxy's health check. */
  readonly domain: string;
  /** The edge node's own region: the `X-Proxy-Region` it adds to every request. */
  readonly region: string;
  /** This node's peer name (HAProxy's `localpeer`). */
  readonly nodeName: string;
  /** This node's private address (the stats page binds to it only). */
  readonly nodeAddress: string;
  /** Every edge node of every region, this one included, sorted by name. */
  readonly peers: readonly EdgePeer[];
  /** Every shard, sorted by id: the same list on every node, so room hashing agrees everywhere. */
  readonly shards: readonly EdgeShard[];
}
