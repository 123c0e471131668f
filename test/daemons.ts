// Helpers for tests that run real daemons (nginx, HAProxy) and stand-ins on loopback.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, readFileSync, readdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { join } from "node:path";

export const LOOPBACK = "127.0.0.1";

/** Listens on loopback (a free port when `port` is 0) and resolves with the port. */
export function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, LOOPBACK, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A loopback port that was free a moment ago (a daemon that loses the race is retried by the caller). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export type Ids = { readonly uid: number; readonly gid: number };

/** uid/gid of `nobody` when the test runs as root (the daemons must not), undefined otherwise. */
export function unprivilegedIds(daemon: string): Ids | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("nobody:"));
  if (!line) throw new Error(`running as root and /etc/passwd has no \`nobody\` user to run ${daemon} as`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Hands a folder and everything in it to the unprivileged user. */
export function chownTree(dir: string, ids: Ids): void {
  chownSync(dir, ids.uid, ids.gid);
  for (const entry of readdirSync(dir, { recursive: true })) chownSync(join(dir, String(entry)), ids.uid, ids.gid);
}

/** A missing binary fails the suite with this message, never skips it. */
export function requireBinary(path: string, what: string): void {
  if (!existsSync(path)) {
    throw new Error(`${what} is required by this test and ${path} does not exist: run scripts/install-test-deps.sh`);
  }
}

const OPENSSL = "/usr/bin/openssl";

/** A throwaway self-signed certificate (EC P-256, 2 days) for `commonName`, written into `dir`. */
export function selfSignedCertificate(dir: string, commonName: string): { key: string; crt: string } {
  requireBinary(OPENSSL, "openssl");
  const key = join(dir, "shard.key");
  const crt = join(dir, "shard.crt");
  const openssl = spawnSync(
    OPENSSL,
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"].concat([
      "-keyout",
      key,
      "-out",
      crt,
      "-days",
      "2",
      "-subj",
      `/CN=${commonName}`,
    ]),
    { encoding: "utf8", timeout: 10_000 },
  );
  if (openssl.status !== 0) throw new Error(`openssl failed: ${openssl.stderr}`);
  return { key, crt };
}
