// The bridge's renderers: jvb.conf (every key at the path the bridge reads, the relay id filled by the real jq),
// the scripts' input checks, and user-data within EC2's limit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  BREWERY_JID_PREFIX,
  BRIDGE_UNITS,
  passwordParameterParts,
  renderBridgeAgentUnits,
  renderRegistryAgentScript,
  renderStressPublisherScript,
  renderTerminationWatcherScript,
} from "../../components/render/bridge-agents";
import { JVB_HOSTNAME_PRESEED, renderBridgeBootstrap } from "../../components/render/bridge-bootstrap";
import { renderBridgeFiles, renderBridgeUserData } from "../../components/render/bridge-user-data";
import { BRIDGE_PATHS, type BridgeRenderValues } from "../../components/render/bridge-values";
import { encodeUserData, USER_DATA_LIMIT_BYTES } from "../../components/render/cloud-config";
import { breweryJid } from "../../components/render/jicofo";
import {
  hoconSeconds,
  JVB_RELAY_ID_JQ_FILTER,
  JVB_RELAY_ID_JQ_PATH,
  jvbConf,
  renderJvbConfTemplate,
} from "../../components/render/jvb";
import { BRIDGE_METRICS } from "../../components/scaling";
import { BRIDGE_VALUES } from "../fixtures/bridge-values";

// Real tools as oracles: each run is bounded; a missing tool fails the test (spawnSync reports ENOENT).
const TOOL_TIMEOUT_MS = 10_000;

function values(overrides: Partial<BridgeRenderValues> = {}): BridgeRenderValues {
  return { ...BRIDGE_VALUES, ...overrides };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "render-bridge-"));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** The real jq, as the bootstrap runs it: the template plus a relay id. */
function fillRelayId(template: string, instanceId: string): Record<string, unknown> {
  const file = join(tmp, "jvb.conf.template.json");
  writeFileSync(file, template);
  const r = spawnSync("jq", ["--arg", "relay_id", instanceId, JVB_RELAY_ID_JQ_FILTER, file], {
    encoding: "utf8",
    timeout: TOOL_TIMEOUT_MS,
  });
  if (r.error) throw new Error(`jq could not run: ${r.error.message}`);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describe("renderJvbConfTemplate", () => {
  it("is JSON with every key at the path the bridge reads, and the pool's region", () => {
    const text = renderJvbConfTemplate(values({ region: "ap-southeast-2", gracefulShutdownSeconds: 5400 }));
    const conf = JSON.parse(text);
    expect(conf).toEqual(jvbConf(values({ region: "ap-southeast-2", gracefulShutdownSeconds: 5400 })));
    // Exactly these keys, nothing invented: relay, the REST APIs, shutdown cap, media port, private server.
    expect(conf).toEqual({
      videobridge: {
        relay: { enabled: true, region: "ap-southeast-2" },
        apis: { rest: { enabled: true }, "xmpp-client": { configs: {} } },
        rest: { shutdown: { enabled: true } },
        shutdown: { "graceful-shutdown-max-duration": "5400 seconds" },
        ice: { udp: { port: 10000 } },
        "http-servers": { private: { host: "127.0.0.1", port: 8080 } },
      },
    });
  });

  it("carries no XMPP connection: no `shard` block, no leftover localhost", () => {
    const text = renderJvbConfTemplate(values());
    const conf = JSON.parse(text);
    expect(conf.videobridge.apis["xmpp-client"].configs).toEqual({});
    expect(text).not.toMatch(/shard|localhost|password|muc_/i);
  });

  it("leaves the relay id out: the real jq fills it from the instance id, one per bridge", () => {
    const template = renderJvbConfTemplate(values());
    expect(JSON.parse(template).videobridge.relay).not.toHaveProperty("relay-id");
    const a = fillRelayId(template, "i-0123456789abcdef0");
    const b = fillRelayId(template, "i-0fedcba9876543210");
    const relay = (c: Record<string, unknown>) => (c.videobridge as { relay: Record<string, unknown> }).relay;
    expect(relay(a)).toEqual({ enabled: true, region: "eu-west-1", "relay-id": "i-0123456789abcdef0" });
    expect(relay(b)["relay-id"]).toBe("i-0fedcba9876543210");
    expect(relay(a)["relay-id"]).not.toBe(relay(b)["relay-id"]);
    // nothing else changes
    const { relay: _a, ...restA } = a.videobridge as Record<string, unknown>;
    const { relay: _t, ...restT } = JSON.parse(template).videobridge;
    expect(restA).toEqual(restT);
    expect(JVB_RELAY_ID_JQ_FILTER).toBe(`${JVB_RELAY_ID_JQ_PATH} = $relay_id`);
  });

  it("refuses a region or a cap it cannot render", () => {
    expect(() => renderJvbConfTemplate(values({ region: "eu west" }))).toThrow(/region "eu west"/);
    expect(() => renderJvbConfTemplate(values({ gracefulShutdownSeconds: 0 }))).toThrow(/positive whole number/);
    expect(() => hoconSeconds(1.5)).toThrow(/positive whole number/);
    expect(hoconSeconds(3600)).toBe("3600 seconds");
  });
});

describe("agent scripts", () => {
  it("render the values they were given, and production endpoints by default", () => {
    const agent = renderRegistryAgentScript(values());
    expect(agent).toMatch(/^REGION=eu-west-1$/m);
    expect(agent).toMatch(/^REGISTRY_PARAMETER=\/jitsi\/dev\/registry$/m);
    expect(agent).toMatch(/^PASSWORD_PARAMETER_PREFIX=\/jitsi\/dev\/shards\/$/m);
    expect(agent).toMatch(/^PASSWORD_PARAMETER_SUFFIX=\/jvb-password$/m);
    expect(agent).toContain("imds_url=${JITSI_BRIDGE_IMDS_URL:-http://169.254.169.254}");
    expect(agent).toContain("rest_url=${JITSI_BRIDGE_REST_URL:-http://127.0.0.1:8080}");
    expect(agent).toContain("state_file=${JITSI_BRIDGE_AGENT_STATE:-/var/lib/jitsi-bridge/applied.json}");
    const stress = renderStressPublisherScript(values());
    expect(stress).toMatch(/^NAMESPACE=Jitsi\/Bridges$/m);
    expect(stress).toMatch(/^POOL=jitsi-dev-eu-west-1-jvb$/m);
    expect(stress).toContain(`Name: "${BRIDGE_METRICS.dimension}"`);
    const watcher = renderTerminationWatcherScript(values());
    expect(watcher).toMatch(/^AUTO_SCALING_GROUP=jitsi-dev-eu-west-1-jvb$/m);
    expect(watcher).toMatch(/^LIFECYCLE_HOOK=jitsi-dev-eu-west-1-jvb-drain$/m);
    expect(watcher).toMatch(/^CAP_SECONDS=3600$/m);
    expect(watcher).toMatch(/^HEARTBEAT_SECONDS=180$/m);
  });

  it("join each shard's brewery under the JID jicofo uses", () => {
    expect(breweryJid("meet.example.com")).toBe(`${BREWERY_JID_PREFIX}meet.example.com`);
  });

  it("never put a password on a command line or trace the shell", () => {
    const scripts = renderBridgeFiles(values()).filter((f) => f.permissions === "0755");
    for (const f of scripts) {
      expect(f.content).not.toMatch(/^\s*set -[a-z]*x|^\s*set -o xtrace|--arg password|--argjson password/m);
    }
    const agent = renderRegistryAgentScript(values());
    // the password's only use: printf (a builtin) into jq's stdin, jq's output into curl's --data-binary @-
    const uses = agent.split("\n").filter((line) => line.includes("$password"));
    expect(uses).toEqual([expect.stringMatching(/^ *if printf '%s' "\$password" \| jq -Rsc /)]);
    expect(agent).toContain("--data-binary @-");
  });

  it.each<[string, Partial<BridgeRenderValues>, RegExp]>([
    ["a region with a space", { region: "eu-west-1; rm -rf /" }, /region/],
    ["a registry name that is no SSM path", { registryParameter: "registry" }, /registryParameter/],
    ["a registry name with a quote", { registryParameter: "/jitsi/'dev'/registry" }, /registryParameter/],
    [
      "a password template without {shard}",
      { jvbPasswordParameterTemplate: "/jitsi/dev/jvb" },
      /exactly one \{shard\}/,
    ],
    [
      "a password template with two {shard}",
      { jvbPasswordParameterTemplate: "/x/{shard}/{shard}" },
      /exactly one \{shard\}/,
    ],
    ["a pool name with a dollar", { poolName: "pool$HOME" }, /poolName/],
  ])("refuse %s (registry agent)", (_what, overrides, message) => {
    expect(() => renderRegistryAgentScript(values(overrides))).toThrow(message);
  });

  it.each<[string, Partial<BridgeRenderValues>, RegExp]>([
    ["a namespace with a space", { metrics: { ...BRIDGE_VALUES.metrics, namespace: "Jitsi Bridges" } }, /namespace/],
    ["a metric name with a quote", { metrics: { ...BRIDGE_VALUES.metrics, stress: 'Stress"' } }, /metrics.stress/],
  ])("refuse %s (stress publisher)", (_what, overrides, message) => {
    expect(() => renderStressPublisherScript(values(overrides))).toThrow(message);
  });

  it.each<[string, Partial<BridgeRenderValues>, RegExp]>([
    ["a hook name with a backtick", { lifecycleHookName: "hook`id`" }, /lifecycleHookName/],
    ["a group name with a space", { autoScalingGroupName: "my group" }, /autoScalingGroupName/],
    ["a fractional cap", { gracefulShutdownSeconds: 90.5 }, /gracefulShutdownSeconds/],
    ["a zero heartbeat interval", { heartbeatIntervalSeconds: 0 }, /heartbeatIntervalSeconds/],
  ])("refuse %s (termination watcher)", (_what, overrides, message) => {
    expect(() => renderTerminationWatcherScript(values(overrides))).toThrow(message);
  });

  it("split the password template around its {shard}", () => {
    expect(passwordParameterParts("/jitsi/dev/shards/{shard}/jvb-password")).toEqual({
      prefix: "/jitsi/dev/shards/",
      suffix: "/jvb-password",
    });
    expect(passwordParameterParts("/jitsi/dev/jvb-{shard}")).toEqual({ prefix: "/jitsi/dev/jvb-", suffix: "" });
  });

  it("come with timers every minute and a watcher that systemd restarts on failure", () => {
    const units = renderBridgeAgentUnits();
    expect(units.registryService).toContain(`ExecStart=${BRIDGE_PATHS.registryAgent}`);
    expect(units.registryService).toContain("StateDirectory=jitsi-bridge");
    expect(units.stressService).toContain(`ExecStart=${BRIDGE_PATHS.stressPublisher}`);
    expect(units.watcherService).toContain(`ExecStart=${BRIDGE_PATHS.terminationWatcher}`);
    expect(units.watcherService).toContain("Restart=on-failure");
    for (const timer of [units.registryTimer, units.stressTimer]) {
      expect(timer).toContain("OnUnitActiveSec=60s");
      expect(timer).toContain("WantedBy=timers.target");
    }
  });
});

describe("renderBridgeBootstrap", () => {
  const script = renderBridgeBootstrap(values());

  it("installs the bridge unattended from Jitsi's repository and logs to its own file", () => {
    expect(script).toMatch(/^set -euo pipefail$/m);
    expect(script).toContain(`exec >>${BRIDGE_PATHS.bootstrapLog} 2>&1`);
    expect(script).toContain("https://download.jitsi.org stable/");
    expect(script).toContain(JVB_HOSTNAME_PRESEED);
    expect(script).toContain("apt_get install -y jitsi-videobridge2");
    expect(script).toContain("jq awscli");
  });

  it("undoes the package's defaults: --apis=, and the legacy localhost connection", () => {
    expect(script).toContain("s/--apis=[^\"[:space:]]*/--apis=rest/g' /etc/jitsi/videobridge/config");
    expect(script).toContain("/etc/jitsi/videobridge/sip-communicator.properties");
    expect(script).toMatch(/org\[\.\]jitsi\[\.\]videobridge\[\.\]xmpp\[\.\]user/);
  });

  it("writes jvb.conf from the template with the instance id, then runs the agent once and enables the rest", () => {
    expect(script).toContain(`jq --arg relay_id "$INSTANCE_ID" '${JVB_RELAY_ID_JQ_FILTER}'`);
    expect(script.indexOf(BRIDGE_PATHS.registryAgent)).toBeLessThan(
      script.indexOf(`systemctl enable --now ${BRIDGE_UNITS.registryTimer}`),
    );
    expect(script).toContain(
      `systemctl enable --now ${BRIDGE_UNITS.registryTimer} ${BRIDGE_UNITS.stressTimer} ${BRIDGE_UNITS.watcherService}`,
    );
  });

  it("refuses to splice a value that would need quoting", () => {
    expect(() => renderBridgeBootstrap(values({ stack: "dev; reboot" }))).toThrow(
      'refusing to render "dev; reboot" into a shell script',
    );
  });
});

describe("renderBridgeUserData", () => {
  it("is a #cloud-config that writes every file and runs the bootstrap once", () => {
    const text = renderBridgeUserData(values());
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    const doc = parse(text);
    const files = renderBridgeFiles(values());
    expect(doc.write_files.map((f: { path: string }) => f.path)).toEqual(files.map((f) => f.path));
    expect(doc.write_files.map((f: { content: string }) => f.content)).toEqual(files.map((f) => f.content));
    expect(doc.runcmd).toEqual([[BRIDGE_PATHS.bootstrapScript]]);
    expect(files[files.length - 1].path).toBe(BRIDGE_PATHS.bootstrapScript);
  });

  it("stays well under EC2's user-data limit once gzipped (base64 decoded)", () => {
    const gzipped = Buffer.from(encodeUserData(renderBridgeUserData(values())), "base64");
    expect(gzipped.length).toBeLessThan(USER_DATA_LIMIT_BYTES * 0.75);
  });
});
