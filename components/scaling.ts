// How a bridge pool scales and lets bridges go: names known before the group exists, the stress
// metric, and the timings of graceful scale-in, chosen so that the lifecycle hook, the watcher on
// the bridge and the bridge's own shutdown cap agree. Pure: no Pulumi import.

/** The CloudWatch metric the bridges publish and target tracking follows. */
export const BRIDGE_METRICS = {
  namespace: "Jitsi/Bridges",
  stress: "StressLevel",
  participants: "Participants",
  dimension: "Pool",
} as const;

/** The pool (and its autoscaling group's fixed name): `jitsi-<stack>-<region>-jvb`. */
export function bridgePoolName(stack: string, region: string): string {
  return `jitsi-${stack}-${region}-jvb`;
}

export function bridgeLifecycleHookName(stack: string, region: string): string {
  return `${bridgePoolName(stack, region)}-drain`;
}

export interface ScaleInTimings {
  /** The bridge's own cap (jvb.conf graceful-shutdown-max-duration) and the watcher's. */
  readonly capSeconds: number;
  /** The lifecycle hook waits this long for a heartbeat before it gives up on the instance. */
  readonly heartbeatTimeoutSeconds: number;
  /** How often the watcher sends a heartbeat while conferences remain. */
  readonly heartbeatIntervalSeconds: number;
  /** AWS ends any lifecycle action after min(100 x heartbeat timeout, 48 h), heartbeats or not. */
  readonly hookLimitSeconds: number;
}

/** AWS's bounds: a heartbeat timeout of 30 to 7200 s, and 48 h at most for a whole action. */
export const LIFECYCLE_LIMITS = { heartbeatTimeout: { min: 30, max: 7200 }, globalSeconds: 48 * 3600 } as const;

export function scaleInTimings(gracefulShutdownMinutes: number): ScaleInTimings {
  const capSeconds = gracefulShutdownMinutes * 60;
  // Ten minutes between heartbeats at most: a watcher that died is noticed within that, and
  // three heartbeats fit in it, so one lost call never ends a conference early.
  const heartbeatTimeoutSeconds = 600;
  const heartbeatIntervalSeconds = 180;
  const hookLimitSeconds = Math.min(100 * heartbeatTimeoutSeconds, LIFECYCLE_LIMITS.globalSeconds);
  return { capSeconds, heartbeatTimeoutSeconds, heartbeatIntervalSeconds, hookLimitSeconds };
}
