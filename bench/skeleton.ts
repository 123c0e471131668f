// The shape of a run: every recorded resource reduced to what the floor program needs to register
// its twin (type, name, custom, parent, provider, and a provider's region). Taken from a real run,
// so the floor follows the program as it grows.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { RecordedResource } from "../scripts/lib/simulated-cloud";

export interface SkeletonResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent: string | null;
  readonly provider: string | null;
  /** Only for providers: the `region` input, so the simulated cloud places their resources alike. */
  readonly region?: string;
}

export function skeletonOf(resources: readonly RecordedResource[]): SkeletonResource[] {
  return resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    parent: r.parent,
    provider: r.provider,
    ...(r.type.startsWith("pulumi:providers:") && typeof r.inputs.region === "string"
      ? { region: r.inputs.region }
      : {}),
  }));
}

/**
 * A digest of the shape: URNs, types, kinds, parents and providers, order-independent. A floor run
 * must have the same signature as the real run it copies.
 */
export function signatureOf(resources: readonly Omit<SkeletonResource, "name" | "region">[]): string {
  const lines = resources.map((r) => [r.urn, r.type, r.custom, r.parent ?? "", r.provider ?? ""].join("\t")).sort();
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
