// The plain values every renderer of a bridge (JVB) receives, and where its files live on the
// instance. Chosen by components/jvb-pool.ts; renderers turn them into text. Pure: no Pulumi import.

export interface BridgeRenderValues {
  /** The pool's region: jvb.conf's relay region (what jicofo matches participants against). */
  readonly region: string;
  readonly stack: string;
  /** Name of the pool; the CloudWatch dimension `Pool` of the stress metric. */
  readonly poolName: string;
  /** The autoscaling group's name (fixed, known before the group exists). */
  readonly autoScalingGroupName: string;
  /** The termination lifecycle hook the watcher completes. */
  readonly lifecycleHookName: string;
  /** SSM parameter (plain JSON, see render/registry.ts) listing the shards to connect to. */
  readonly registryParameter: string;
  /**
   * SSM SecureString of a shard's bridge account: this template with `{shard}` replaced by the
   * shard id, e.g. `/jitsi/dev/shards/{shard}/jvb-password`.
   */
  readonly jvbPasswordParameterTemplate: string;
  /** How long a bridge may keep serving conferences after it was told to go (jvb's cap). */
  readonly gracefulShutdownSeconds: number;
  /** How often the watcher extends the lifecycle hook while conferences remain. */
  readonly heartbeatIntervalSeconds: number;
  /** CloudWatch namespace and metric names the stress publisher writes and the scaler reads. */
  readonly metrics: {
    readonly namespace: string;
    readonly stress: string;
    readonly participants: string;
  };
}

/** Where things live on a bridge (Debian 12 with jitsi-videobridge2). */
export const BRIDGE_PATHS = {
  /** jvb.conf without the per-instance relay id; the bootstrap writes the real file from it. */
  jvbConfTemplate: "/etc/jitsi/videobridge/jvb.conf.template.json",
  jvbConf: "/etc/jitsi/videobridge/jvb.conf",
  bootstrapScript: "/usr/local/sbin/jitsi-bridge-bootstrap",
  registryAgent: "/usr/local/sbin/jitsi-bridge-registry-agent",
  stressPublisher: "/usr/local/sbin/jitsi-bridge-stress-publisher",
  terminationWatcher: "/usr/local/sbin/jitsi-bridge-termination-watcher",
  /** What the registry agent last applied, per shard id (to notice a moved shard). */
  agentState: "/var/lib/jitsi-bridge/applied.json",
  bootstrapLog: "/var/log/jitsi-bridge-bootstrap.log",
  systemdDir: "/etc/systemd/system",
  /**
   * The package's environment file (jitsi/jitsi-videobridge:debian/postinst writes it, the unit reads it as
   * EnvironmentFile): its JVB_OPTS carries `--apis=,`, which turns the REST API off whatever jvb.conf says.
   */
  jvbDefaults: "/etc/jitsi/videobridge/config",
  /** The package's legacy properties file, where its postinst writes the default `shard` XMPP connection. */
  jvbLegacyProperties: "/etc/jitsi/videobridge/sip-communicator.properties",
} as const;

/** The bridge's private REST API (colibri, stats, shutdown), bound to loopback. */
export const BRIDGE_REST_PORT = 8080;
