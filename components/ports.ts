// Every port the stack opens, in one place. Security groups, renderers and the README's ports
// table all read these. Pure: no Pulumi import.

export const PORTS = {
  /** Bridge media: ICE/DTLS from clients, and relay (Octo) between bridges of different regions. */
  media: { protocol: "udp", port: 10000 },
  /** Prosody client-to-server: each bridge's XMPP connection to every shard. */
  xmppClient: { protocol: "tcp", port: 5222 },
  /** nginx on the signalling node (web app, BOSH, websockets, /about/health), behind HAProxy. */
  shardHttps: { protocol: "tcp", port: 443 },
  /** The shard's HAProxy agent check: answers up, drain or down. */
  shardAgentCheck: { protocol: "tcp", port: 6060 },
  /** HAProxy's frontend behind the load balancer; TLS ends at the load balancer. */
  edgeHttp: { protocol: "tcp", port: 80 },
  /** HAProxy peers: the stick table shared by every HAProxy node of every edge region. */
  haproxyPeers: { protocol: "tcp", port: 1024 },
  /** The load balancer's public listener. */
  publicHttps: { protocol: "tcp", port: 443 },
} as const;

export type PortName = keyof typeof PORTS;
