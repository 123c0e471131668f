// Reading Pulumi.yaml and Pulumi.<stack>.yaml the way the engine does, for the offline plan:
// project-level config values and declared defaults, overridden by the stack's own values, handed
// to the program as full keys with string values (structured values as JSON text).

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parse as parseYaml } from "yaml";

export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  /** Full key ("jitsi:domain") to the string the program receives. */
  readonly config: Record<string, string>;
  /** Keys whose values were `secure:` in the file; the plan substitutes a marked placeholder. */
  readonly secretKeys: string[];
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${what} must be a map`);
  return value as Record<string, unknown>;
}

function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function toConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The stack name a file such as `Pulumi.dev.yaml` belongs to, or undefined. */
export function stackNameOf(file: string): string | undefined {
  return /^Pulumi\.(.+)\.ya?ml$/.exec(basename(file))?.[1];
}

export function parseStackFiles(projectYaml: string, stackYaml: string, stack: string): StackConfig {
  const projectDoc = asObject(parseYaml(projectYaml), "Pulumi.yaml");
  const project = projectDoc.name;
  if (typeof project !== "string" || project === "") throw new Error("Pulumi.yaml has no project name");

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, spec] of Object.entries(asObject(projectDoc.config, "Pulumi.yaml config"))) {
    const k = fullKey(project, key);
    if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) {
      const s = spec as Record<string, unknown>;
      if ("value" in s) config[k] = toConfigString(s.value);
      else if ("default" in s) config[k] = toConfigString(s.default);
    } else if (spec !== undefined) {
      config[k] = toConfigString(spec);
    }
  }

  const stackDoc = asObject(parseYaml(stackYaml), `Pulumi.${stack}.yaml`);
  for (const [key, value] of Object.entries(asObject(stackDoc.config, `Pulumi.${stack}.yaml config`))) {
    const k = fullKey(project, key);
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      // Encrypted values cannot be read offline; the placeholder is as searchable as a generated secret.
      config[k] = `PLAN-SECRET-config-${k.replace(/[^A-Za-z0-9-]/g, "-")}`;
      secretKeys.push(k);
    } else {
      config[k] = toConfigString(value);
    }
  }
  return { project, stack, config, secretKeys };
}

export function readStackFiles(projectFile: string, stackFile: string, stack?: string): StackConfig {
  const name = stack ?? stackNameOf(stackFile);
  if (!name) throw new Error(`cannot tell the stack name from ${stackFile}; pass --stack NAME`);
  return parseStackFiles(readFileSync(projectFile, "utf8"), readFileSync(stackFile, "utf8"), name);
}
