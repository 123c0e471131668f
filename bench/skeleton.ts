// The shape of a run: every recorded resource reduced to what the floor program needs to register
// its twin (type, name, custom, parent, provider, and the inputs it was registered with). Taken
// from a real run, so the floor follows the program as it grows.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { RecordedResource } from "../scripts/lib/simulated-cloud";

/**
 * What the floor needs of a recorded resource; its inputs are plain JSON (secret values wrapped,
 * see isSecretValue; ids of other resources are plain strings).
 */
export type SkeletonResource = Pick<
  RecordedResource,
  "urn" | "type" | "name" | "custom" | "parent" | "provider" | "inputs"
>;

export function skeletonOf(resources: readonly RecordedResource[]): SkeletonResource[] {
  return resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    parent: r.parent,
    provider: r.provider,
    inputs: r.inputs,
  }));
}

type Shape = Pick<SkeletonResource, "urn" | "type" | "custom" | "parent" | "provider">;

/**
 * A digest of the shape: URNs, types, kinds, parents and providers, order-independent. A floor run
 * must have the same signature as the real run it copies.
 */
export function signatureOf(resources: readonly Shape[]): string {
  const lines = resources.map((r) => [r.urn, r.type, r.custom, r.parent ?? "", r.provider ?? ""].join("\t")).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
}

/** JSON with object keys sorted, so that equal values give equal text whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * A digest of every resource's inputs as the engine received them (secrets still marked), by URN,
 * order-independent. A floor run must send exactly the inputs the real run sent.
 */
export function inputsDigestOf(resources: readonly Pick<SkeletonResource, "urn" | "inputs">[]): string {
  const lines = resources.map((r) => `${r.urn}\t${canonical(r.inputs)}`).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
}

/**
 * The resources in an order where every parent and provider comes before the resources that use
 * it (the recording order already is one; this keeps the floor correct if that ever changes).
 */
export function registrationOrder(resources: readonly SkeletonResource[]): SkeletonResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: SkeletonResource[] = [];
  const visit = (r: SkeletonResource) => {
    if (done.has(r.urn)) return;
    if (visiting.has(r.urn)) throw new Error(`cycle in parents/providers at ${r.urn}`);
    visiting.add(r.urn);
    for (const dep of [r.parent, r.provider]) {
      const d = dep ? byUrn.get(dep) : undefined;
      if (d) visit(d);
    }
    visiting.delete(r.urn);
    done.add(r.urn);
    order.push(r);
  };
  resources.forEach(visit);
  return order;
}

export function writeSkeleton(path: string, skeleton: readonly SkeletonResource[]): void {
  writeFileSync(path, `${JSON.stringify(skeleton)}\n`);
}

export function readSkeleton(path: string): SkeletonResource[] {
  return JSON.parse(readFileSync(path, "utf8")) as SkeletonResource[];
}

/**
 * The skeleton the floor entry module (floor-entry.ts) registers: set by the child before planStack
 * loads that module, so that reading and parsing the file stays outside the measurement.
 */
export const floorReplay: { skeleton?: readonly SkeletonResource[] } = {};
