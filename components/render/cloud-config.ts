// User-data as a #cloud-config document: the rendered files (written by cloud-init before
// anything runs) and the commands to run once, at first boot. Pure: no Pulumi import.

import { gzipSync } from "node:zlib";
import { stringify } from "yaml";

export interface NodeFile {
  /** Absolute path on the instance. */
  readonly path: string;
  readonly content: string;
  /** Octal mode, e.g. "0644"; scripts "0755". */
  readonly permissions: string;
}

/** EC2 refuses user-data above 16 KiB (before base64); renderers are tested against this. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/**
 * User-data as EC2 takes it (`userDataBase64`, launch templates): gzip, which cloud-init unpacks
 * by itself, then base64. A node's files take about a third of their size this way. The output
 * is the same for the same text (gzip's header carries no time), so a preview shows no change
 * where nothing changed.
 */
export function encodeUserData(text: string): string {
  return gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64");
}

export function renderCloudConfig(files: readonly NodeFile[], runcmd: readonly (readonly string[])[]): string {
  for (const f of files) {
    if (!f.path.startsWith("/")) throw new Error(`cloud-config file path must be absolute: ${f.path}`);
    if (!/^0[0-7]{3}$/.test(f.permissions)) throw new Error(`bad permissions ${f.permissions} for ${f.path}`);
  }
  const doc = {
    write_files: files.map((f) => ({
      path: f.path,
      permissions: f.permissions,
      owner: "root:root",
      content: f.content,
    })),
    runcmd: runcmd.map((argv) => [...argv]),
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
