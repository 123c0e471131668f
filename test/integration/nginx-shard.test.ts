// The signalling node's nginx site, checked and run by the real nginx (Debian's nginx-light 1.22, /usr/sbin/nginx)
// on loopback, with a self-signed certificate made by the real openssl.
//
// prosody and jicofo cannot run here (no XMPP domain, no JVM); two small node HTTP servers stand in for the parts of
// them that nginx talks to:
// - prosody's HTTP server (127.0.0.1:5280 on a node): answers BOSH on /http-bind with 200 and accepts the websocket
//   upgrade on /xmpp-websocket (101 with a valid Sec-WebSocket-Accept, nothing after it), and records the path,
//   query string and X-Proxy-Region of every request, which is what prosody's mod_jitsi_session reads;
// - jicofo's REST API (127.0.0.1:8888): answers /about/health with a status the test switches (jicofo answers 200
//   when healthy and 500 when not), and can be stopped (jicofo down).
// If nginx or openssl is missing, every test here fails (never skips): scripts/install-test-deps.sh installs them.

import { chownTree, freePort, listen, requireBinary, selfSignedCertificate, unprivilegedIds } from "../daemons";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BASE_CONFIG_URI,
  productionNginxLocal,
  renderShardConfigJsWrapper,
  renderShardNginxRegionMap,
  renderShardNginxSite,
  type NginxLocal,
} from "../../components/render/nginx";
import type { ShardRenderValues } from "../../components/render/shard-values";

const NGINX = "/usr/sbin/nginx";
const DOMAIN = "meet.test.example";
const REQUEST_TIMEOUT_MS = 4000;
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const values: ShardRenderValues = {
  domain: DOMAIN,
  shardId: "eu-west-1-a",
  region: "eu-west-1",
  knownRegions: ["eu-west-1", "us-east-1"],
  octo: { selectionStrategy: "RegionBasedBridgeSelectionStrategy", regionGroups: [], maxBridgeParticipants: 80 },
  stack: "test",
  parameters: { jvbPassword: "/jitsi/test/jvb", jicofoPassword: "/jitsi/test/jicofo" },
};

// Like the package's config.js: SSI echo commands (the stock site serves config.js with SSI), no final newline.
const BASE_CONFIG = [
  `var subdir = '<!--# echo var="subdir" default="" -->';`,
  `var subdomain = '<!--# echo var="subdomain" default="" -->';`,
  `var config = { hosts: { domain: '${DOMAIN}' } };`,
  `// the last line is a comment without a newline`,
].join("\n");
const BASE_CONFIG_SERVED = BASE_CONFIG.replace(/<!--# echo var="\w+" default="" -->/g, "");

const deploymentInfo = (userRegion: string) =>
  `config.deploymentInfo = { shard: "eu-west-1-a", region: "eu-west-1", userRegion: "${userRegion}" };\n`;

// A tiny web root shaped like jitsi-meet-web's: index.html with SSI includes, as the package's does.
const WEB_FILES: Record<string, string> = {
  "index.html": [
    "<html><head>",
    '<!--#include virtual="title.html" -->',
    '<script><!--#include virtual="/config.js" --></script>',
    "</head><body>jitsi-meet index page</body></html>",
    "",
  ].join("\n"),
  "title.html": "<title>Jitsi Meet (test)</title>",
  // Looks like SSI but is a script: served verbatim (SSI is for HTML and config.js only).
  "libs/app.bundle.min.js": 'var notSsi = "<!--# echo var=\\"host\\" -->";\n',
};

interface Seen {
  readonly kind: "http" | "websocket";
  readonly path: string;
  readonly query: string;
  readonly region: string | undefined;
  readonly host: string | undefined;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function close(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function request(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method,
        servername: DOMAIN,
        headers: { host: DOMAIN, ...headers },
        rejectUnauthorized: false, // the test's own self-signed certificate
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** A websocket opening handshake over TLS; resolves with the status and whether the accept key is right. */
function upgrade(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; acceptOk: boolean }> {
  const key = randomBytes(16).toString("base64");
  const expected = createHash("sha1")
    .update(key + WS_GUID)
    .digest("base64");
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1",
      port,
      path,
      servername: DOMAIN,
      headers: {
        host: DOMAIN,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": key,
        "sec-websocket-protocol": "xmpp",
        ...headers,
      },
      rejectUnauthorized: false,
      agent: false,
      timeout: REQUEST_TIMEOUT_MS,
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, acceptOk: res.headers["sec-websocket-accept"] === expected });
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, acceptOk: false });
    });
    req.on("timeout", () => req.destroy(new Error(`upgrade ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

describe("shard nginx site on the real nginx", () => {
  const work = mkdtempSync(join(tmpdir(), "nginx-shard-"));
  const prosodySeen: Seen[] = [];
  const wsSockets = new Set<net.Socket>();
  let jicofoStatus = 200;
  let prosody: http.Server;
  let jicofo: http.Server;
  let nginx: ChildProcess | undefined;
  let nginxOutput = "";
  let port = 0;
  let conf = "";
  let ids: { uid: number; gid: number } | undefined;

  /** Stand-in for prosody's HTTP server (BOSH and websockets). */
  function startProsody(): Promise<number> {
    const record = (kind: Seen["kind"], req: http.IncomingMessage) => {
      const url = new URL(req.url ?? "/", "http://stand-in");
      const region = req.headers["x-proxy-region"];
      prosodySeen.push({
        kind,
        path: url.pathname,
        query: url.search,
        region: Array.isArray(region) ? region.join(",") : region,
        host: req.headers.host,
      });
      return url.pathname;
    };
    prosody = http.createServer((req, res) => {
      const path = record("http", req);
      req.resume();
      if (path === "/http-bind") {
        res.writeHead(200, { "content-type": "text/xml; charset=utf-8" });
        res.end("<body xmlns='http://jabber.org/protocol/httpbind'/>");
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    prosody.on("upgrade", (req: http.IncomingMessage, socket: net.Socket) => {
      socket.on("error", () => undefined);
      if (record("websocket", req) !== "/xmpp-websocket") {
        socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      wsSockets.add(socket);
      socket.on("close", () => wsSockets.delete(socket));
      const accept = createHash("sha1")
        .update(String(req.headers["sec-websocket-key"]) + WS_GUID)
        .digest("base64");
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n`,
      );
    });
    return listen(prosody);
  }

  /** Stand-in for jicofo's REST API: /about/health answers jicofoStatus. */
  function startJicofo(): Promise<number> {
    jicofo = http.createServer((req, res) => {
      req.resume();
      res.writeHead(req.url === "/about/health" ? jicofoStatus : 404, { "content-type": "application/json" });
      res.end(jicofoStatus === 200 ? "" : '{"error":"stand-in says unhealthy"}');
    });
    return listen(jicofo);
  }

  function writeConfigs(local: NginxLocal): void {
    const site = join(work, "jitsi-shard.conf");
    writeFileSync(site, renderShardNginxSite(values, local));
    // the region map arrives with the shard settings; the site includes it
    writeFileSync(local.regionMap, renderShardNginxRegionMap(values));
    writeFileSync(local.configJsWrapper, renderShardConfigJsWrapper(values, local));
    // A minimal main config shaped like Debian's nginx.conf (mime.types, then the site in http {}), with every
    // path nginx writes in the temporary folder.
    const types = existsSync("/etc/nginx/mime.types")
      ? "include /etc/nginx/mime.types;"
      : "types { text/html html; application/javascript js; text/css css; }";
    conf = join(work, "nginx.conf");
    writeFileSync(
      conf,
      [
        `pid ${work}/nginx.pid;`,
        `error_log ${work}/error.log info;`,
        "worker_processes 1;",
        "events { worker_connections 128; }",
        "http {",
        `  ${types}`,
        "  default_type application/octet-stream;",
        `  access_log ${work}/access.log;`,
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${work}/tmp-${t};`),
        `  include ${site};`,
        "}",
        "",
      ].join("\n"),
    );
  }

  function errorLog(): string {
    const file = join(work, "error.log");
    return existsSync(file) ? readFileSync(file, "utf8").slice(-3000) : "(no error.log)";
  }

  /** `nginx -t` on the main config (as the user nginx runs as). */
  function nginxTest(): { status: number | null; output: string } {
    const check = spawnSync(NGINX, ["-t", "-p", `${work}/`, "-e", "stderr", "-c", conf], {
      encoding: "utf8",
      timeout: 10_000,
      // an unprivileged nginx starts in a folder it may enter, wherever the repository lives
      cwd: work,
      ...(ids ?? {}),
    });
    return { status: check.status, output: `${check.stderr}${check.stdout}` };
  }

  /** Starts nginx in the foreground; resolves once its port accepts connections, rejects if it exits first. */
  function startNginx(): Promise<void> {
    nginxOutput = "";
    const child = spawn(NGINX, ["-p", `${work}/`, "-e", "stderr", "-c", conf, "-g", "daemon off;"], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: work,
      ...(ids ?? {}),
    });
    nginx = child;
    child.stdout?.on("data", (d: Buffer) => (nginxOutput += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (nginxOutput += d.toString()));
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + 5000;
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`nginx exited (${code}) before listening:\n${nginxOutput}\n${errorLog()}`));
      };
      child.once("exit", onExit);
      let timer: NodeJS.Timeout;
      const attempt = () => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          child.off("exit", onExit);
          resolve();
        });
        socket.once("error", () => {
          socket.destroy();
          if (Date.now() > deadline) {
            child.off("exit", onExit);
            reject(new Error(`nginx did not listen on 127.0.0.1:${port} within 5 s:\n${nginxOutput}\n${errorLog()}`));
          } else {
            timer = setTimeout(attempt, 50);
          }
        });
      };
      attempt();
    });
  }

  async function stopNginx(): Promise<void> {
    const child = nginx;
    nginx = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM"); // our own child, by its pid; the master stops its workers
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }

  beforeAll(async () => {
    requireBinary(NGINX, "nginx (Debian's nginx-light)");
    ids = unprivilegedIds("nginx");

    const { key, crt } = selfSignedCertificate(work, DOMAIN);

    const webRoot = join(work, "web");
    for (const [name, content] of Object.entries(WEB_FILES)) {
      mkdirSync(join(webRoot, name, ".."), { recursive: true });
      writeFileSync(join(webRoot, name), content);
    }
    const baseConfigJs = join(work, `${DOMAIN}-config.js`);
    writeFileSync(baseConfigJs, BASE_CONFIG);

    const [prosodyPort, jicofoPort] = await Promise.all([startProsody(), startJicofo()]);
    const local = (listenPort: number): NginxLocal => ({
      ...productionNginxLocal(DOMAIN),
      listenAddress: "127.0.0.1",
      listenPort,
      tlsCertificate: crt,
      tlsKey: key,
      webRoot,
      baseConfigJs,
      configJsWrapper: join(work, "shard-config.js"),
      regionMap: join(work, "jitsi-shard-regions.conf"),
      prosodyHttp: { host: "127.0.0.1", port: prosodyPort },
      jicofoRest: { host: "127.0.0.1", port: jicofoPort },
    });

    // A free port can be taken between the probe and nginx's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      writeConfigs(local(port));
      if (ids) chownTree(work, ids);
      if (attempt === 1) {
        const check = nginxTest();
        if (check.status !== 0) throw new Error(`nginx -t failed:\n${check.output}`);
      }
      try {
        await startNginx();
        return;
      } catch (err) {
        await stopNginx();
        if (attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
      }
    }
  }, 20_000);

  afterAll(async () => {
    await stopNginx();
    for (const socket of wsSockets) socket.destroy();
    await Promise.all([prosody, jicofo].filter((s) => s !== undefined).map(close));
    rmSync(work, { recursive: true, force: true });
  }, 10_000);

  it("passes nginx -t (rendered site in a minimal main config) and serves with server_tokens off", async () => {
    const check = nginxTest();
    expect(check.output).toContain(`configuration file ${conf} test is successful`);
    expect(check.status).toBe(0);
    expect(check.output).not.toMatch(/\[(warn|emerg|alert|crit)\]/);
    const reply = await request(port, "/config.js");
    expect(reply.headers.server).toBe("nginx");
  });

  describe("/config.js", () => {
    it("is the base config followed by deploymentInfo with a known X-Proxy-Region as userRegion", async () => {
      const reply = await request(port, "/config.js", { "X-Proxy-Region": "eu-west-1" });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(`${BASE_CONFIG_SERVED}\n${deploymentInfo("eu-west-1")}`);
      const other = await request(port, "/config.js", { "X-Proxy-Region": "us-east-1" });
      expect(other.body).toBe(`${BASE_CONFIG_SERVED}\n${deploymentInfo("us-east-1")}`);
    });

    it.each([
      ["an unknown region", { "X-Proxy-Region": "mars-1" }],
      ["a known region in another case", { "X-Proxy-Region": "EU-WEST-1" }],
      ["a known region with more after it", { "X-Proxy-Region": "eu-west-1x" }],
      ["an SSI/JS injection attempt", { "X-Proxy-Region": 'eu-west-1"; alert(1); "' }],
      ["no header", {}],
    ])('has userRegion "" for %s', async (_what, headers: Record<string, string>) => {
      const reply = await request(port, "/config.js", headers);
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(`${BASE_CONFIG_SERVED}\n${deploymentInfo("")}`);
    });

    it("is application/javascript, never cached, with the security headers", async () => {
      const reply = await request(port, "/config.js", { "X-Proxy-Region": "eu-west-1" });
      expect(reply.headers["content-type"]).toMatch(/^application\/javascript\b/);
      expect(reply.headers["cache-control"]).toBe("no-store");
      expect(reply.headers["last-modified"]).toBeUndefined();
      expect(reply.headers.etag).toBeUndefined();
      expect(reply.headers["x-content-type-options"]).toBe("nosniff");
      expect(reply.headers["strict-transport-security"]).toMatch(/^max-age=\d+/);
    });

    it("does not expose the base config's internal location", async () => {
      const reply = await request(port, BASE_CONFIG_URI);
      expect(reply.status).toBe(404);
      expect(reply.body).not.toContain("var config");
    });
  });

  describe("prosody (stand-in) behind /http-bind and /xmpp-websocket", () => {
    const seen = (kind: Seen["kind"], room: string) =>
      prosodySeen.filter((s) => s.kind === kind && s.query === `?room=${room}`);

    it("passes BOSH with the query string, the Host and a known X-Proxy-Region", async () => {
      const reply = await request(port, "/http-bind?room=bosh-known", { "X-Proxy-Region": "us-east-1" }, "POST");
      expect(reply.status).toBe(200);
      expect(reply.body).toContain("httpbind");
      expect(seen("http", "bosh-known")).toEqual([
        { kind: "http", path: "/http-bind", query: "?room=bosh-known", region: "us-east-1", host: DOMAIN },
      ]);
    });

    it.each([
      ["unknown", "bosh-unknown", { "X-Proxy-Region": "mars-1" }],
      ["absent", "bosh-absent", {}],
    ])(
      "sends an %s X-Proxy-Region on as empty (nginx then sends no header; the client's value never passes)",
      async (_what, room, headers: Record<string, string>) => {
        const reply = await request(port, `/http-bind?room=${room}`, headers, "POST");
        expect(reply.status).toBe(200);
        const [got] = seen("http", room);
        expect(got).toMatchObject({ path: "/http-bind", query: `?room=${room}` });
        expect(got.region ?? "").toBe("");
        expect(got.region).toBeUndefined();
      },
    );

    it("upgrades /xmpp-websocket?room= to a websocket at the stand-in, with the known X-Proxy-Region", async () => {
      const result = await upgrade(port, "/xmpp-websocket?room=ws-known", { "X-Proxy-Region": "eu-west-1" });
      expect(result).toEqual({ status: 101, acceptOk: true });
      expect(seen("websocket", "ws-known")).toEqual([
        { kind: "websocket", path: "/xmpp-websocket", query: "?room=ws-known", region: "eu-west-1", host: DOMAIN },
      ]);
    });

    it("upgrades with an unknown X-Proxy-Region and passes none", async () => {
      const result = await upgrade(port, "/xmpp-websocket?room=ws-unknown", { "X-Proxy-Region": "mars-1" });
      expect(result.status).toBe(101);
      const [got] = seen("websocket", "ws-unknown");
      expect(got).toMatchObject({ path: "/xmpp-websocket", query: "?room=ws-unknown" });
      expect(got.region).toBeUndefined();
    });
  });

  describe("the web app", () => {
    it("answers a room page with index.html, SSI processed, carrying the user's region, not cached", async () => {
      const reply = await request(port, "/someroom", { "X-Proxy-Region": "eu-west-1" });
      expect(reply.status).toBe(200);
      expect(reply.headers["content-type"]).toMatch(/^text\/html\b/);
      expect(reply.headers["cache-control"]).toBe("no-cache");
      expect(reply.body).toContain("jitsi-meet index page");
      expect(reply.body).toContain("<title>Jitsi Meet (test)</title>");
      expect(reply.body).toContain(`<script>${BASE_CONFIG_SERVED}\n${deploymentInfo("eu-west-1")}</script>`);
      expect(reply.body).not.toContain("<!--#");
    });

    it("answers / with index.html too", async () => {
      const reply = await request(port, "/");
      expect(reply.status).toBe(200);
      expect(reply.body).toContain("jitsi-meet index page");
    });

    it("serves scripts verbatim (no SSI), long-cached only when versioned, with nosniff", async () => {
      const plain = await request(port, "/libs/app.bundle.min.js");
      expect(plain.status).toBe(200);
      expect(plain.body).toBe(WEB_FILES["libs/app.bundle.min.js"]);
      expect(plain.headers["content-type"]).toMatch(/^application\/javascript\b/);
      expect(plain.headers["x-content-type-options"]).toBe("nosniff");
      expect(plain.headers["cache-control"]).toBeUndefined();
      const versioned = await request(port, "/libs/app.bundle.min.js?v=7");
      expect(versioned.headers["cache-control"]).toBe("max-age=31536000");
    });

    it("answers 404 for a path that is neither a file nor a room", async () => {
      const reply = await request(port, "/no/such/file.js");
      expect(reply.status).toBe(404);
      expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    });
  });

  // Order matters: the last test stops the jicofo stand-in.
  describe("/about/health follows jicofo (stand-in)", () => {
    it("is 200 when jicofo says 200", async () => {
      jicofoStatus = 200;
      const reply = await request(port, "/about/health");
      expect(reply.status).toBe(200);
      expect(reply.headers["cache-control"]).toBe("no-store");
    });

    it("refuses other methods than GET/HEAD", async () => {
      const reply = await request(port, "/about/health", {}, "POST");
      expect(reply.status).toBe(403);
    });

    it("is not 2xx when jicofo says 500", async () => {
      jicofoStatus = 500;
      const reply = await request(port, "/about/health");
      expect(reply.status).toBe(500);
    });

    it("is 502/503/504 when jicofo is down", async () => {
      await close(jicofo);
      const reply = await request(port, "/about/health");
      expect([502, 503, 504]).toContain(reply.status);
    });
  });
});
