// The pure parts of the shard's nginx renderers; test/integration/nginx-shard.test.ts runs the site on real nginx.
import fc from "fast-check";
import {
  BASE_CONFIG_URI,
  USER_REGION_VARIABLE,
  jsStringLiteral,
  productionNginxLocal,
  renderShardConfigJsWrapper,
  renderShardNginxRegionMap,
  renderShardNginxSite,
} from "../../components/render/nginx";
import { SHARD_LOCAL_PORTS, SHARD_PATHS, type ShardRenderValues } from "../../components/render/shard-values";

function shard(overrides: Partial<ShardRenderValues> = {}): ShardRenderValues {
  return {
    domain: "meet.example.com",
    shardId: "eu-west-1-a",
    region: "eu-west-1",
    knownRegions: ["eu-west-1", "us-east-1", "ap-south-1"],
    octo: { selectionStrategy: "RegionBasedBridgeSelectionStrategy", regionGroups: [], maxBridgeParticipants: 80 },
    stack: "test",
    parameters: { jvbPassword: "/jitsi/test/jvb", jicofoPassword: "/jitsi/test/jicofo" },
    ...overrides,
  };
}

/** The default and the entries (source → value) of the user-region map block; throws on any other line. */
function regionMap(site: string): { defaults: string[]; entries: [string, string][] } {
  const block = new RegExp(`^map \\$http_x_proxy_region \\$${USER_REGION_VARIABLE} \\{\\n([^}]*)\\n\\}`, "m").exec(
    site,
  );
  if (!block) throw new Error("no user-region map in the file");
  const defaults: string[] = [];
  const entries: [string, string][] = [];
  for (const line of block[1].split("\n").map((l) => l.trim())) {
    const d = /^default (.*);$/.exec(line);
    const e = /^"([^"]+)" "([^"]*)";$/.exec(line);
    if (d) defaults.push(d[1]);
    else if (e) entries.push([e[1], e[2]]);
    else throw new Error(`unexpected line in the region map: ${line}`);
  }
  return { defaults, entries };
}

/** The bodies of `location ... { ... }` blocks (one level of nesting is enough for this site). */
function locations(site: string): { name: string; body: string }[] {
  const found: { name: string; body: string }[] = [];
  const re = /^ {4}location ([^{]+)\{\n((?:.*\n)*?) {4}\}$/gm;
  for (let m = re.exec(site); m; m = re.exec(site)) found.push({ name: m[1].trim(), body: m[2] });
  return found;
}

describe("renderShardNginxSite", () => {
  const site = renderShardNginxSite(shard());

  it("maps X-Proxy-Region through exactly the known regions (anchored, case-sensitive), anything else to empty", () => {
    const map = regionMap(renderShardNginxRegionMap(shard()));
    expect(map.defaults).toEqual(['""']);
    expect(map.entries).toEqual([
      ["~^eu-west-1$", "eu-west-1"],
      ["~^us-east-1$", "us-east-1"],
      ["~^ap-south-1$", "ap-south-1"],
    ]);
  });

  it("lists a region given twice once", () => {
    const map = regionMap(renderShardNginxRegionMap(shard({ knownRegions: ["eu-west-1", "us-east-1", "eu-west-1"] })));
    expect(map.entries.map(([, value]) => value)).toEqual(["eu-west-1", "us-east-1"]);
  });

  it.each([["eu-west-1;"], ['eu"west'], ["EU-WEST-1"], ["eu west"], [""], ["eu-west-1\n}"]])(
    "throws on the known region %j",
    (bad) => {
      expect(() => renderShardNginxRegionMap(shard({ knownRegions: ["eu-west-1", bad] }))).toThrow(/known region/);
    },
  );

  it("throws when the shard's region is not a known region, or there are none", () => {
    expect(() => renderShardNginxRegionMap(shard({ knownRegions: ["us-east-1"] }))).toThrow(
      /must be one of knownRegions/,
    );
    expect(() => renderShardNginxRegionMap(shard({ knownRegions: [] }))).toThrow(/must not be empty/);
  });

  it("includes the region map instead of holding it, so that regions never change the site", () => {
    expect(site).toContain(`include ${SHARD_PATHS.nginxRegionMap};`);
    expect(site).not.toContain("map $http_x_proxy_region");
    expect(renderShardNginxSite(shard({ knownRegions: ["eu-west-1"] }))).toBe(site);
  });

  it("uses the production places by default: 443 ssl on all addresses, the package's files, local daemons", () => {
    const domain = "meet.example.com";
    expect(site).toContain("    listen 443 ssl default_server;\n");
    expect(site).toContain(`    server_name ${domain};\n`);
    expect(site).toContain(`    ssl_certificate ${SHARD_PATHS.tlsCertificate(domain)};\n`);
    expect(site).toContain(`    ssl_certificate_key ${SHARD_PATHS.tlsKey(domain)};\n`);
    expect(site).toContain(`    root ${SHARD_PATHS.webRoot};\n`);
    expect(site).toContain(`        alias ${SHARD_PATHS.shardConfigJs};\n`);
    expect(site).toContain(`        alias ${SHARD_PATHS.baseConfigJs(domain)};\n`);
    expect(site).toContain(`    server 127.0.0.1:${SHARD_LOCAL_PORTS.prosodyHttp};\n`);
    expect(site).toContain(`    server 127.0.0.1:${SHARD_LOCAL_PORTS.jicofoRest};\n`);
    expect(renderShardNginxSite(shard(), productionNginxLocal("meet.example.com"))).toBe(site);
  });

  it("turns server tokens off and sends nosniff from every location that sets headers of its own", () => {
    expect(site).toMatch(/^ {4}server_tokens off;$/m);
    expect(site).toMatch(/^ {4}add_header X-Content-Type-Options "nosniff" always;$/m);
    const withHeaders = locations(site).filter((l) => l.body.includes("add_header"));
    expect(withHeaders.map((l) => l.name)).toEqual(
      expect.arrayContaining(["= /config.js", "= /about/health", "= /index.html"]),
    );
    for (const location of withHeaders) {
      expect(`${location.name}\n${location.body}`).toContain('add_header X-Content-Type-Options "nosniff" always;');
      expect(`${location.name}\n${location.body}`).toContain("add_header Strict-Transport-Security");
    }
  });

  it("passes the mapped region (not the client's header) to prosody on both XMPP paths", () => {
    const byName = new Map(locations(site).map((l) => [l.name, l.body]));
    for (const path of ["= /http-bind", "= /xmpp-websocket"]) {
      expect(byName.get(path)).toContain(`proxy_set_header X-Proxy-Region $${USER_REGION_VARIABLE};`);
      expect(byName.get(path)).toContain("proxy_pass http://jitsi_shard_prosody;");
    }
    expect(byName.get("= /xmpp-websocket")).toContain('proxy_set_header Connection "upgrade";');
    expect(byName.get("= /about/health")).toContain("proxy_pass http://jitsi_shard_jicofo;");
  });

  it.each<[string, Record<string, unknown>]>([
    ["a path with a space", { webRoot: "/usr/share/jitsi meet" }],
    ["a path with a semicolon", { tlsKey: "/etc/x.key; include /etc/passwd" }],
    ["a relative path", { configJsWrapper: "shard-config.js" }],
    ["a path with ..", { baseConfigJs: "/etc/jitsi/../../x" }],
    ["a port out of range", { listenPort: 70000 }],
    ["an address with a space", { listenAddress: "127.0.0.1 ssl" }],
  ])("throws on %s in the local places", (_what, override) => {
    expect(() => renderShardNginxSite(shard(), { ...productionNginxLocal("meet.example.com"), ...override })).toThrow(
      /nginx site:/,
    );
  });

  it("throws on a domain that is not a hostname", () => {
    expect(() => renderShardNginxSite(shard({ domain: "meet.example.com; return 200" }))).toThrow(/domain/);
  });
});

describe("renderShardConfigJsWrapper", () => {
  it("includes the base config through the internal URI, then sets deploymentInfo with the user region by SSI", () => {
    expect(renderShardConfigJsWrapper(shard())).toBe(
      `<!--# include virtual="${BASE_CONFIG_URI}" -->\n` +
        `config.deploymentInfo = { shard: "eu-west-1-a", region: "eu-west-1", userRegion: ` +
        `"<!--# echo var="${USER_REGION_VARIABLE}" encoding="none" default="" -->" };\n`,
    );
  });

  it("refers to the location the site declares internal", () => {
    const site = renderShardNginxSite(shard());
    expect(site).toContain(`    location = ${BASE_CONFIG_URI} {\n        internal;\n`);
  });

  it.each([['eu-west-1-"a'], ["eu-west-1-a'"], ["eu-west-1-a\\"], ["eu-west-1-a\n"], ["Eu-West-1-A"], [""]])(
    "throws on the shard id %j",
    (shardId) => {
      expect(() => renderShardConfigJsWrapper(shard({ shardId }))).toThrow(/shardId/);
    },
  );

  it("throws on a region outside [a-z0-9-]", () => {
    expect(() => renderShardConfigJsWrapper(shard({ region: "eu-west-1</script>" }))).toThrow(/region/);
  });
});

describe("jsStringLiteral", () => {
  it("is a JSON string literal that round-trips any string", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => JSON.parse(jsStringLiteral(s)) === s));
  });

  it("never contains a raw quote, backslash escape breakout, <, >, & or line separator", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const inner = jsStringLiteral(s).slice(1, -1);
        return !/[<>&\u2028\u2029\n\r]/.test(inner) && !/(^|[^\\])(\\\\)*"/.test(inner);
      }),
    );
    expect(jsStringLiteral('</script><!--# echo var="x" -->')).toBe(
      '"\\u003c/script\\u003e\\u003c!--# echo var=\\"x\\" --\\u003e"',
    );
  });
});
