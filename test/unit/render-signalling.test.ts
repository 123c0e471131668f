import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  JICOFO_PASSWORD_JQ_FILTER,
  JICOFO_PASSWORD_JQ_PATH,
  jicofoConf,
  renderJicofoConfTemplate,
} from "../../components/render/jicofo";
import {
  JICOFO_PASSWORD_TOKEN,
  JVB_PASSWORD_TOKEN,
  prosodyRegisterCommands,
  renderProsodyShardConfig,
} from "../../components/render/prosody";
import type { ShardRenderValues } from "../../components/render/shard-values";

// Real tools as oracles: each run is bounded; a missing tool fails the test (spawnSync reports ENOENT).
const TOOL_TIMEOUT_MS = 10_000;

function values(overrides: Partial<ShardRenderValues> = {}, octo: Partial<ShardRenderValues["octo"]> = {}) {
  const base: ShardRenderValues = {
    domain: "meet.example.com",
    shardId: "eu-west-1-eu1",
    region: "eu-west-1",
    knownRegions: ["eu-west-1", "us-east-1"],
    octo: {
      selectionStrategy: "RegionBasedBridgeSelectionStrategy",
      regionGroups: [],
      maxBridgeParticipants: 80,
      ...octo,
    },
    stack: "dev",
    parameters: { jvbPassword: "/jitsi/dev/shards/eu-west-1-eu1/jvb", jicofoPassword: "/jitsi/dev/shards/x/jicofo" },
  };
  return { ...base, ...overrides };
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: TOOL_TIMEOUT_MS });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  return r;
}

/** Follows a jq-style path (".a.b-c.d") into a parsed object. */
function at(obj: unknown, jqPath: string): unknown {
  return jqPath
    .split(".")
    .slice(1)
    .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "render-signalling-"));
  // prosodyctl (run as root) refuses a config that the prosody user cannot read; mkdtemp makes 0700 folders.
  chmodSync(tmp, 0o755);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe("renderJicofoConfTemplate", () => {
  it("is JSON with every key at its verified path", () => {
    const conf = JSON.parse(
      renderJicofoConfTemplate(values({}, { selectionStrategy: "IntraRegionBridgeSelectionStrategy" })),
    );
    expect(conf).toEqual(jicofoConf(values({}, { selectionStrategy: "IntraRegionBridgeSelectionStrategy" })));
    const j = conf.jicofo;
    expect(j.xmpp.client).toEqual({
      enabled: true,
      hostname: "127.0.0.1",
      port: 5222,
      domain: "auth.meet.example.com",
      "xmpp-domain": "meet.example.com",
      username: "focus",
      "conference-muc-jid": "conference.meet.example.com",
      "client-proxy": "focus.meet.example.com",
    });
    expect(j.xmpp["trusted-domains"]).toEqual([]);
    expect(j.bridge["selection-strategy"]).toBe("IntraRegionBridgeSelectionStrategy");
    expect(j.bridge["brewery-jid"]).toBe("JvbBrewery@internal.auth.meet.example.com");
    expect(j.bridge["max-bridge-participants"]).toBe(80);
    expect(j.bridge["region-groups"]).toEqual([]);
    expect(j.bridge["health-checks"]).toEqual({ enabled: true });
    expect(j.octo).toEqual({ enabled: true, "sctp-datachannels": true });
    expect(j["local-region"]).toBe("eu-west-1");
    expect(j.health).toEqual({ enabled: true });
    expect(j.rest).toEqual({ enabled: true, host: "127.0.0.1", port: 8888 });
    // Nothing else at the top level: no invented keys slip in unnoticed.
    expect(Object.keys(j).sort()).toEqual(["bridge", "health", "local-region", "octo", "rest", "xmpp"]);
  });

  it.each([
    ["no region groups", [], []],
    ["one region", [["us-east-1"]], [["us-east-1"]]],
    [
      "many groups",
      [["us-east-1", "us-west-2"], ["eu-west-1", "eu-central-1", "eu-north-1"], ["ap-southeast-1"]],
      [["us-east-1", "us-west-2"], ["eu-west-1", "eu-central-1", "eu-north-1"], ["ap-southeast-1"]],
    ],
  ])("renders region-groups with %s", (_name, groups, expected) => {
    const text = renderJicofoConfTemplate(
      values({ region: "us-east-1" }, { regionGroups: groups, maxBridgeParticipants: 35 }),
    );
    const j = JSON.parse(text).jicofo;
    expect(j.bridge["region-groups"]).toEqual(expected);
    expect(j.bridge["max-bridge-participants"]).toBe(35);
    expect(j["local-region"]).toBe("us-east-1");
  });

  it("contains no password and leaves the password path empty for the bootstrap", () => {
    const text = renderJicofoConfTemplate(values());
    expect(text).not.toMatch(/password/i);
    expect(at(JSON.parse(text), JICOFO_PASSWORD_JQ_PATH)).toBeUndefined();
    expect(JICOFO_PASSWORD_JQ_FILTER).toBe(`${JICOFO_PASSWORD_JQ_PATH} = $password`);
  });

  it("takes the password from the real jq at the path jicofo reads", () => {
    const template = join(tmp, "jicofo.conf.template.json");
    const original = renderJicofoConfTemplate(values({}, { regionGroups: [["eu-west-1", "eu-central-1"]] }));
    writeFileSync(template, original);
    // Characters that would break naive substitution (quotes, backslash, $, braces, newline, non-ASCII).
    const password = `p"a\\s$s{w}'o\nrd-ü`;
    const r = run("jq", ["--arg", "password", password, JICOFO_PASSWORD_JQ_FILTER, template]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.jicofo.xmpp.client.password).toBe(password);
    expect(at(result, JICOFO_PASSWORD_JQ_PATH)).toBe(password);
    // Everything else is untouched.
    delete result.jicofo.xmpp.client.password;
    expect(result).toEqual(JSON.parse(original));
  });

  it("throws on values that are not plain names", () => {
    expect(() => renderJicofoConfTemplate(values({ domain: 'meet".example.com' }))).toThrow(/domain/);
    expect(() => renderJicofoConfTemplate(values({ region: "EU West" }))).toThrow(/region/);
    expect(() => renderJicofoConfTemplate(values({}, { regionGroups: [["eu-west-1", "x\ny"]] }))).toThrow(/group/);
    expect(() => renderJicofoConfTemplate(values({}, { maxBridgeParticipants: 0 }))).toThrow(/maxBridge/);
    expect(() => renderJicofoConfTemplate(values({}, { maxBridgeParticipants: 2.5 }))).toThrow(/maxBridge/);
  });
});

describe("renderProsodyShardConfig", () => {
  /** A minimal prosody config that includes the rendered snippet; returns its path. */
  function prosodyConfig(name: string, snippet: string): string {
    const dir = mkdtempSync(join(tmp, `${name}-`));
    chmodSync(dir, 0o755);
    const snippetPath = join(dir, "jitsi-shard.cfg.lua");
    writeFileSync(snippetPath, snippet);
    const configPath = join(dir, "prosody.cfg.lua");
    writeFileSync(
      configPath,
      [
        `data_path = "${dir}"`,
        `pidfile = "${join(dir, "prosody.pid")}"`,
        `log = { error = "${join(dir, "prosody.err")}" }`,
        `certificates = "${dir}"`,
        "c2s_require_encryption = false",
        'modules_enabled = { "disco" }',
        // Like Debian's prosody.cfg.lua: a VirtualHost, then the conf.d include.
        'VirtualHost "meet.example.com"',
        `Include "${snippetPath}"`,
        "",
      ].join("\n"),
    );
    return configPath;
  }

  it("sets region_name and shard_name as Lua strings", () => {
    const lua = renderProsodyShardConfig(values());
    expect(lua).toMatch(/^region_name = "eu-west-1"$/m);
    expect(lua).toMatch(/^shard_name = "eu-west-1-eu1"$/m);
  });

  it("passes prosodyctl check config, and prosody's own config loader reads the options globally", () => {
    const configPath = prosodyConfig("ok", renderProsodyShardConfig(values()));
    const check = run("prosodyctl", ["--config", configPath, "check", "config"]);
    expect({ status: check.status, out: check.stdout }).toEqual({
      status: 0,
      out: expect.stringContaining("All checks passed"),
    });

    // Load the config with prosody's core.configmanager (the code the daemon uses) and read the options back, for
    // the VirtualHost and the global section: proves they are global, not caught by the preceding VirtualHost.
    const probe = join(tmp, "probe.lua");
    writeFileSync(
      probe,
      [
        'package.path = "/usr/lib/prosody/?.lua;" .. package.path',
        'package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath',
        'local cm = require "core.configmanager"',
        "local ok, level, err = cm.load(arg[1])",
        'if not ok then io.stderr:write(tostring(level) .. ": " .. tostring(err) .. "\\n"); os.exit(2) end',
        'for _, host in ipairs({ "*", "meet.example.com" }) do',
        '  print(host, cm.get(host, "region_name"), cm.get(host, "shard_name"))',
        "end",
      ].join("\n"),
    );
    const loaded = run("lua5.4", [probe, configPath]);
    expect(loaded.stderr).toBe("");
    expect(loaded.stdout.trim().split("\n")).toEqual([
      "*\teu-west-1\teu-west-1-eu1",
      "meet.example.com\teu-west-1\teu-west-1-eu1",
    ]);
  });

  it("the prosodyctl check is a real oracle: a broken snippet fails it", () => {
    const configPath = prosodyConfig("broken", 'region_name = "eu"west"\n');
    const check = run("prosodyctl", ["--config", configPath, "check", "config"]);
    expect(check.status).not.toBe(0);
    // Failing for the right reason: the syntax error in the included snippet, not an unreadable file.
    expect(check.stdout + check.stderr).toMatch(/jitsi-shard\.cfg\.lua:1: unfinished string/);
  });

  it("throws rather than emitting broken Lua", () => {
    expect(() => renderProsodyShardConfig(values({ shardId: 'eu-west-1-"eu1' }))).toThrow(/shardId/);
    expect(() => renderProsodyShardConfig(values({ region: "eu-west-1\\" }))).toThrow(/region/);
    expect(() => renderProsodyShardConfig(values({ region: "eu-west-1]]" }))).toThrow(/region/);
    expect(() => renderProsodyShardConfig(values({ domain: "meet.example.com\n" }))).toThrow(/domain/);
    expect(() => renderProsodyShardConfig(values({ region: "" }))).toThrow(/region/);
  });
});

describe("prosodyRegisterCommands", () => {
  it("registers jvb and focus on auth.<domain> with password placeholders", () => {
    expect(prosodyRegisterCommands(values())).toEqual([
      ["prosodyctl", "register", "jvb", "auth.meet.example.com", JVB_PASSWORD_TOKEN],
      ["prosodyctl", "register", "focus", "auth.meet.example.com", JICOFO_PASSWORD_TOKEN],
    ]);
    expect([JVB_PASSWORD_TOKEN, JICOFO_PASSWORD_TOKEN]).toEqual(["$JVB_PASSWORD", "$JICOFO_PASSWORD"]);
  });

  it("refuses a domain that is not a plain name", () => {
    expect(() => prosodyRegisterCommands(values({ domain: "meet.example.com; rm -rf /" }))).toThrow(/domain/);
  });
});
