import fc from "fast-check";
import { LIFECYCLE_LIMITS, bridgeLifecycleHookName, bridgePoolName, scaleInTimings } from "../../components/scaling";
import { LIMITS } from "../../components/config";

describe("graceful scale-in timings", () => {
  it("agree for every allowed cap: heartbeats come well within the hook's timeout, and AWS waits past the cap", () => {
    fc.assert(
      fc.property(fc.integer(LIMITS.gracefulShutdownMinutes), (minutes) => {
        const t = scaleInTimings(minutes);
        expect(t.capSeconds).toBe(minutes * 60);
        expect(t.heartbeatTimeoutSeconds).toBeGreaterThanOrEqual(LIFECYCLE_LIMITS.heartbeatTimeout.min);
        expect(t.heartbeatTimeoutSeconds).toBeLessThanOrEqual(LIFECYCLE_LIMITS.heartbeatTimeout.max);
        // a lost heartbeat (or two) must not end a conference early
        expect(t.heartbeatIntervalSeconds * 3).toBeLessThanOrEqual(t.heartbeatTimeoutSeconds);
        // the whole action may last the cap plus the bridge's own exit delay (1 minute) and a margin
        expect(t.capSeconds + 120).toBeLessThanOrEqual(t.hookLimitSeconds);
        expect(t.hookLimitSeconds).toBeLessThanOrEqual(LIFECYCLE_LIMITS.globalSeconds);
      }),
    );
  });

  it("names the pool and its hook after the stack and region, fitting AWS's 255-character names", () => {
    expect(bridgePoolName("dev", "eu-west-1")).toBe("jitsi-dev-eu-west-1-jvb");
    expect(bridgeLifecycleHookName("dev", "eu-west-1")).toBe("jitsi-dev-eu-west-1-jvb-drain");
  });
});
