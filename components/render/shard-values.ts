// The plain values every renderer of a signalling node (shard) receives, and where its files
// live on the instance. Chosen by components/shard.ts from the topology; renderers turn them into
// text and never decide anything else. Pure: no Pulumi import.

import type { SelectionStrategy } from "../config";

export interface ShardRenderValues {
  /** The public hostname, also the XMPP domain (`auth.<domain>`, `internal.auth.<domain>` derive from it). */
  readonly domain: string;
  /** Stable shard id (`<region>-<name>`): prosody's shard_name, config.js deploymentInfo.shard. */
  readonly shardId: string;
  /** The shard's home region: prosody's region_name, jicofo's local-region. */
  readonly region: string;
  /** Every configured region code: the only values X-Proxy-Region may carry through to prosody. */
  readonly knownRegions: readonly string[];
  readonly octo: {
    readonly selectionStrategy: SelectionStrategy;
    readonly regionGroups: readonly (readonly string[])[];
    readonly maxBridgeParticipants: number;
  };
  /** Stack name (for logs and parameter paths). */
  readonly stack: string;
  /** SSM parameter names of the shard's secrets (values are fetched at boot, never rendered). */
  readonly parameters: {
    readonly jvbPassword: string;
    readonly jicofoPassword: string;
  };
}

/** Where things live on a signalling node (Debian 12 with Jitsi's packages). */
export const SHARD_PATHS = {
  webRoot: "/usr/share/jitsi-meet",
  /** The config.js that jitsi-meet-web-config generates; our wrapper includes it. */
  baseConfigJs: (domain: string) => `/etc/jitsi/meet/${domain}-config.js`,
  /** Our config.js wrapper (SSI), served as /config.js. */
  shardConfigJs: "/etc/jitsi/meet/shard-config.js",
  /** The self-signed certificate that jitsi-meet-web-config generates. */
  tlsCertificate: (domain: string) => `/etc/jitsi/meet/${domain}.crt`,
  tlsKey: (domain: string) => `/etc/jitsi/meet/${domain}.key`,
  nginxSite: "/etc/nginx/sites-available/jitsi-shard.conf",
  /** The X-Proxy-Region map, included by the site; follows the stack's regions (shard settings). */
  nginxRegionMap: "/etc/nginx/jitsi-shard-regions.conf",
  /** The shard settings agent: keeps region-dependent files equal to the shard's SSM parameter. */
  settingsAgent: "/usr/local/sbin/jitsi-shard-settings-agent",
  prosodyShardConfig: "/etc/prosody/conf.d/jitsi-shard.cfg.lua",
  /** jicofo.conf without its password; the bootstrap writes the real file from it. */
  jicofoConfTemplate: "/etc/jitsi/jicofo/jicofo.conf.template.json",
  jicofoConf: "/etc/jitsi/jicofo/jicofo.conf",
  /** `ready` or `drain`: what the HAProxy agent check reports. */
  stateFile: "/etc/jitsi/shard-status",
  bootstrapScript: "/usr/local/sbin/jitsi-shard-bootstrap",
  agentScript: "/usr/local/bin/jitsi-shard-agent",
  drainScript: "/usr/local/sbin/jitsi-shard-drain",
  bootstrapLog: "/var/log/jitsi-shard-bootstrap.log",
} as const;

/** Local ports of the daemons on a signalling node. */
export const SHARD_LOCAL_PORTS = {
  /** prosody's HTTP server: BOSH (/http-bind) and websockets (/xmpp-websocket). */
  prosodyHttp: 5280,
  /** jicofo's REST API: /about/health. */
  jicofoRest: 8888,
} as const;
