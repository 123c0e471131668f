// The nginx site of a signalling node (SHARD_PATHS.nginxSite, http context) and the config.js wrapper it serves
// (SHARD_PATHS.shardConfigJs). Pure: no Pulumi import.
//
// Layout of this file: the values the renderers choose and check (validation, defaults) come first; the templates
// at the bottom only interpolate strings that were already checked.
//
// What the site does, compared with the stock jitsi-meet-web-config site (jitsi/jitsi-meet
// doc/debian/jitsi-meet/jitsi-meet.example):
// - TLS on 443 only (HAProxy connects with TLS; no port-80 redirect, no ACME: users never reach the shard directly).
// - X-Proxy-Region (set by HAProxy) is mapped through an allow-list of the configured regions and passed to prosody
//   on /http-bind and /xmpp-websocket (prosody's mod_jitsi_session reads it), and written into config.js as
//   config.deploymentInfo.userRegion with SSI (the way meet.jit.si did it).
// - /config.js is the package's config.js (itself SSI-processed, as the stock site does: it holds
//   `<!--# echo var="subdir" default="" -->`) followed by config.deploymentInfo; never cached.
// - GET /about/health is jicofo's /about/health, status passed through (HAProxy's httpchk follows jicofo).
// - The web app as the stock site serves it: static files from the web root, /<room> answered with index.html,
//   SSI for index.html and the HTML fragments it includes (title.html, head.html, ...; index.html also inlines
//   /config.js with `<script><!--#include virtual="/config.js" --></script>`, so the room page carries the user's
//   region too and must not be cached either).
// - Left out on purpose: tenants (/<tenant>/<room>), /_api/room-info, the colibri websocket of a local bridge
//   (there is none on a signalling node), X-Frame-Options (the iframe API embeds Jitsi in other sites).
//
// nginx facts this relies on (nginx 1.22, checked with the real binary in test/integration/nginx-shard.test.ts):
// - `map` matches plain strings case-insensitively; the region map uses anchored case-sensitive regexes so that
//   only a value byte-for-byte equal to a known region passes (a repeated header joined by nginx >= 1.23 as
//   "a, b" fails the anchors too).
// - proxy_set_header with a value that evaluates to "" sends no header at all, and the client's own header of that
//   name is never passed through: an unknown region reaches prosody as "no X-Proxy-Region" (prosody then leaves
//   the participant's region unset; an empty header would be a truthy "" in Lua).
// - SSI `include virtual` (and `include file`) take a URI, not a file path: the base config.js is reached through
//   an internal location. SSI processes only ssi_types (text/html by default): both config.js locations add
//   application/javascript, the rest of the JavaScript is never parsed. SSI drops Last-Modified and ETag.
// - add_header in a location discards every add_header of the server: each location that adds a header repeats
//   the security headers.

import { SHARD_LOCAL_PORTS, SHARD_PATHS, type ShardRenderValues } from "./shard-values";

/** The request header HAProxy sets to its own region. */
export const USER_REGION_HEADER = "X-Proxy-Region";
/** nginx variable holding the checked user region ("" when the header is absent or not a known region). */
export const USER_REGION_VARIABLE = "jitsi_shard_user_region";
/** Internal URI (reachable only from SSI) of the package's base config.js. */
export const BASE_CONFIG_URI = "/_jitsi-shard/base-config.js";

/** Everything about the node's filesystem and sockets that a test must be able to point elsewhere. */
export interface NginxLocal {
  /** Address to listen on; undefined: every IPv4 address. */
  readonly listenAddress?: string;
  readonly listenPort: number;
  readonly tlsCertificate: string;
  readonly tlsKey: string;
  readonly webRoot: string;
  /** The package's config.js (jitsi-meet-web-config generates it). */
  readonly baseConfigJs: string;
  /** Our wrapper (renderShardConfigJsWrapper), served as /config.js. */
  readonly configJsWrapper: string;
  /** prosody's HTTP server (BOSH and websockets). */
  readonly prosodyHttp: { readonly host: string; readonly port: number };
  /** jicofo's REST API (/about/health). */
  readonly jicofoRest: { readonly host: string; readonly port: number };
  /** The region map (renderShardNginxRegionMap), included by the site; it follows the stack's regions. */
  readonly regionMap: string;
}

/** Where things are on a real signalling node. */
export function productionNginxLocal(domain: string): NginxLocal {
  return {
    listenAddress: undefined,
    listenPort: 443,
    tlsCertificate: SHARD_PATHS.tlsCertificate(domain),
    tlsKey: SHARD_PATHS.tlsKey(domain),
    webRoot: SHARD_PATHS.webRoot,
    baseConfigJs: SHARD_PATHS.baseConfigJs(domain),
    configJsWrapper: SHARD_PATHS.shardConfigJs,
    prosodyHttp: { host: "127.0.0.1", port: SHARD_LOCAL_PORTS.prosodyHttp },
    jicofoRest: { host: "127.0.0.1", port: SHARD_LOCAL_PORTS.jicofoRest },
    regionMap: SHARD_PATHS.nginxRegionMap,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values: checks and choices

const ID = /^[a-z0-9-]+$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const PATH = /^\/[A-Za-z0-9._/-]*$/;
const ADDRESS = /^([0-9.]+|\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/;

function fail(what: string, value: unknown, rule: string): never {
  throw new Error(`nginx site: ${what} ${JSON.stringify(value)} ${rule}`);
}

/** A region or shard id: [a-z0-9-] only. Anything else is a bug upstream, better thrown than rendered. */
export function checkId(what: string, value: string): string {
  if (typeof value !== "string" || !ID.test(value)) fail(what, value, `must match ${ID}`);
  return value;
}

function checkHostname(what: string, value: string): string {
  if (!HOSTNAME.test(value)) fail(what, value, "must be a DNS hostname");
  return value;
}

function checkPath(what: string, value: string): string {
  // No quotes, spaces, `;`, `$` or `{}`: the value goes into nginx directives verbatim.
  if (!PATH.test(value) || value.split("/").includes(".."))
    fail(what, value, `must be an absolute path matching ${PATH}`);
  return value;
}

function checkPort(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) fail(what, value, "must be a port (1-65535)");
  return value;
}

function checkAddress(what: string, value: string): string {
  if (!ADDRESS.test(value)) fail(what, value, "must be an IPv4 address, a bracketed IPv6 address or a hostname");
  return value;
}

function hostPort(what: string, endpoint: { host: string; port: number }): string {
  return `${checkAddress(`${what} host`, endpoint.host)}:${checkPort(`${what} port`, endpoint.port)}`;
}

/**
 * A JavaScript string literal (double-quoted). Besides JSON's escapes it escapes `<`, `>` and `&` (config.js is
 * inlined into index.html's <script>, and `<!--#` would be read as an SSI command) and U+2028/U+2029.
 */
export function jsStringLiteral(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The known regions, checked and deduplicated, in the order given. */
export function knownRegionsOf(values: ShardRenderValues): string[] {
  const regions = [...new Set(values.knownRegions.map((r) => checkId("known region", r)))];
  if (regions.length === 0) fail("knownRegions", values.knownRegions, "must not be empty");
  if (!regions.includes(values.region)) fail("region", values.region, "must be one of knownRegions");
  return regions;
}

interface SiteValues {
  readonly shardId: string;
  readonly serverName: string;
  readonly listen: string;
  readonly tlsCertificate: string;
  readonly tlsKey: string;
  readonly webRoot: string;
  readonly baseConfigJs: string;
  readonly configJsWrapper: string;
  readonly prosodyUpstream: string;
  readonly jicofoUpstream: string;
  readonly regionMap: string;
}

function siteValues(values: ShardRenderValues, local: NginxLocal): SiteValues {
  checkId("region", values.region);
  const listenAddress =
    local.listenAddress === undefined ? "" : `${checkAddress("listenAddress", local.listenAddress)}:`;
  return {
    shardId: checkId("shardId", values.shardId),
    serverName: checkHostname("domain", values.domain),
    listen: `${listenAddress}${checkPort("listenPort", local.listenPort)}`,
    tlsCertificate: checkPath("tlsCertificate", local.tlsCertificate),
    tlsKey: checkPath("tlsKey", local.tlsKey),
    webRoot: checkPath("webRoot", local.webRoot).replace(/(.)\/+$/, "$1"),
    baseConfigJs: checkPath("baseConfigJs", local.baseConfigJs),
    configJsWrapper: checkPath("configJsWrapper", local.configJsWrapper),
    prosodyUpstream: hostPort("prosodyHttp", local.prosodyHttp),
    jicofoUpstream: hostPort("jicofoRest", local.jicofoRest),
    regionMap: checkPath("regionMap", local.regionMap),
  };
}

/**
 * The map from the X-Proxy-Region header to the user's region (http context), in a file of its own
 * that the site includes: it changes with the stack's regions, the site does not, so adding or
 * removing a region updates this file on the node (see render/shard-settings.ts) and never the
 * node's user-data.
 */
export function renderShardNginxRegionMap(values: ShardRenderValues): string {
  checkId("region", values.region);
  return regionMapTemplate(knownRegionsOf(values));
}

/** The nginx site (http context) of a signalling node. */
export function renderShardNginxSite(values: ShardRenderValues, local?: NginxLocal): string {
  return siteTemplate(siteValues(values, local ?? productionNginxLocal(values.domain)));
}

/**
 * The file served as /config.js: the package's config.js (through SSI) followed by config.deploymentInfo, whose
 * userRegion nginx fills per request from the checked X-Proxy-Region. `local` is accepted for symmetry with
 * renderShardNginxSite: the wrapper reaches the base config through the site's internal URI, not a file path.
 */
export function renderShardConfigJsWrapper(values: ShardRenderValues, _local?: NginxLocal): string {
  return configJsWrapperTemplate({
    baseConfigUri: BASE_CONFIG_URI,
    shard: jsStringLiteral(checkId("shardId", values.shardId)),
    region: jsStringLiteral(checkId("region", values.region)),
    userRegionVariable: USER_REGION_VARIABLE,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Templates: interpolation only

const INDENT = "    ";

/** The security headers of every response; repeated in each location that adds headers of its own. */
function securityHeaders(indent: string): string {
  return [
    `add_header Strict-Transport-Security "max-age=63072000" always;`,
    `add_header X-Content-Type-Options "nosniff" always;`,
    `add_header Referrer-Policy "strict-origin-when-cross-origin" always;`,
  ]
    .map((line) => indent + line)
    .join("\n");
}

function regionMapTemplate(regions: readonly string[]): string {
  const regionLines = regions.map((r) => `${INDENT}"~^${r}$" "${r}";`).join("\n");
  return `# Rendered by the jitsi-multiregion-aws stack from its regions; see components/render/nginx.ts.
# The user's region, as the HAProxy node that took the request saw it (header ${USER_REGION_HEADER}). Only a
# value equal to a configured region passes (anchored, case-sensitive); anything else, or no header, is "".
map $http_x_proxy_region $${USER_REGION_VARIABLE} {
${INDENT}default "";
${regionLines}
}
`;
}

function siteTemplate(v: SiteValues): string {
  const i1 = INDENT;
  const i2 = INDENT + INDENT;
  return `# Rendered by the jitsi-multiregion-aws stack for shard ${v.shardId}; the next deployment overwrites it.
# http context (included from nginx.conf's http {} block, after mime.types). See components/render/nginx.ts.

# The user's region: the map in ${v.regionMap} sets $${USER_REGION_VARIABLE} from ${USER_REGION_HEADER}.
include ${v.regionMap};

# Versioned static files (?v=...) are immutable; unversioned ones keep the default caching.
map $arg_v $jitsi_shard_static_expires {
${i1}default 1y;
${i1}"" off;
}

upstream jitsi_shard_prosody {
${i1}server ${v.prosodyUpstream};
${i1}keepalive 16;
}

upstream jitsi_shard_jicofo {
${i1}server ${v.jicofoUpstream};
}

server {
${i1}listen ${v.listen} ssl default_server;
${i1}server_name ${v.serverName};
${i1}server_tokens off;

${i1}ssl_certificate ${v.tlsCertificate};
${i1}ssl_certificate_key ${v.tlsKey};
${i1}ssl_protocols TLSv1.2 TLSv1.3;
${i1}ssl_prefer_server_ciphers off;
${i1}ssl_session_cache shared:jitsi_shard_tls:10m;
${i1}ssl_session_timeout 1d;
${i1}ssl_session_tickets off;

${i1}# add_header is inherited only by locations that add no header of their own.
${securityHeaders(i1)}

${i1}root ${v.webRoot};
${i1}index index.html;
${i1}error_page 404 /static/404.html;

${i1}# SSI for HTML (ssi_types defaults to text/html): index.html and the fragments it includes.
${i1}ssi on;

${i1}gzip on;
${i1}gzip_types text/plain text/css application/javascript application/json application/wasm image/x-icon;
${i1}gzip_vary on;
${i1}gzip_min_length 512;

${i1}# The package's config.js followed by config.deploymentInfo (the wrapper is SSI); per request, never cached.
${i1}location = /config.js {
${i2}alias ${v.configJsWrapper};
${i2}types { }
${i2}default_type application/javascript;
${i2}ssi on;
${i2}ssi_types application/javascript;
${i2}add_header Cache-Control "no-store" always;
${securityHeaders(i2)}
${i1}}

${i1}# The wrapper's include: only SSI subrequests reach it. SSI here too, for the package's own echo commands.
${i1}location = ${BASE_CONFIG_URI} {
${i2}internal;
${i2}alias ${v.baseConfigJs};
${i2}types { }
${i2}default_type application/javascript;
${i2}ssi on;
${i2}ssi_types application/javascript;
${i1}}

${i1}location = /external_api.js {
${i2}alias ${v.webRoot}/libs/external_api.min.js;
${i1}}

${i1}# BOSH to prosody, query string (?room=) unchanged, with the checked user region.
${i1}location = /http-bind {
${i2}proxy_pass http://jitsi_shard_prosody;
${i2}proxy_http_version 1.1;
${i2}proxy_set_header Connection "";
${i2}proxy_set_header Host $http_host;
${i2}proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
${i2}proxy_set_header ${USER_REGION_HEADER} $${USER_REGION_VARIABLE};
${i2}proxy_buffering off;
${i2}# longer than prosody's bosh_max_wait (120 s)
${i2}proxy_read_timeout 3m;
${i1}}

${i1}# XMPP over websocket to prosody, query string (?room=) unchanged, with the checked user region.
${i1}location = /xmpp-websocket {
${i2}proxy_pass http://jitsi_shard_prosody;
${i2}proxy_http_version 1.1;
${i2}proxy_set_header Upgrade $http_upgrade;
${i2}proxy_set_header Connection "upgrade";
${i2}proxy_set_header Host $http_host;
${i2}proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
${i2}proxy_set_header ${USER_REGION_HEADER} $${USER_REGION_VARIABLE};
${i2}proxy_buffering off;
${i2}# as long as HAProxy's tunnel timeout
${i2}proxy_read_timeout 1h;
${i2}proxy_send_timeout 1h;
${i2}tcp_nodelay on;
${i1}}

${i1}# HAProxy's health check: jicofo's answer, status passed through; jicofo down gives 502 or 504.
${i1}location = /about/health {
${i2}limit_except GET {
${i2}${i1}deny all;
${i2}}
${i2}proxy_pass http://jitsi_shard_jicofo;
${i2}proxy_connect_timeout 2s;
${i2}proxy_send_timeout 5s;
${i2}proxy_read_timeout 5s;
${i2}access_log off;
${i2}add_header Cache-Control "no-store" always;
${securityHeaders(i2)}
${i1}}

${i1}# index.html inlines /config.js (SSI): it carries the user's region and must not be cached.
${i1}location = /index.html {
${i2}add_header Cache-Control "no-cache" always;
${securityHeaders(i2)}
${i1}}

${i1}# The app's static trees.
${i1}location ~ ^/(libs|css|static|images|fonts|lang|sounds|\\.well-known)/ {
${i2}expires $jitsi_shard_static_expires;
${i2}add_header Access-Control-Allow-Origin "*";
${securityHeaders(i2)}
${i1}}

${i1}# A single path segment that is not a file is a room: answer with index.html.
${i1}location ~ ^/([^/?&:'"]+)$ {
${i2}try_files $uri /index.html;
${i1}}

${i1}location / {
${i2}try_files $uri $uri/ =404;
${i1}}
}
`;
}

interface WrapperValues {
  readonly baseConfigUri: string;
  /** JavaScript string literals. */
  readonly shard: string;
  readonly region: string;
  readonly userRegionVariable: string;
}

function configJsWrapperTemplate(v: WrapperValues): string {
  // The newline after the include ends a trailing `//` comment of the base config, if it has one. encoding="none":
  // the variable only ever holds "" or a known region, checked against [a-z0-9-] when the map was rendered.
  return `<!--# include virtual="${v.baseConfigUri}" -->
config.deploymentInfo = { shard: ${v.shard}, region: ${v.region}, userRegion: "<!--# echo var="${v.userRegionVariable}" encoding="none" default="" -->" };
`;
}
