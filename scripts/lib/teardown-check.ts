// The teardown guard: given what `pulumi preview --json` says removing a region from the stack
// would do, decide whether scripts/teardown-region.sh may apply it. Pure: no I/O, no Pulumi.
//
// A teardown may only delete what belongs to the region. Every resource that exists because of a
// region names it in its URN's resource name (its own parts under `jitsi-<region>`, the peerings
// `jitsi-peering-<a>-<b>`, the secret copies `…-<region>`, other regions' firewall rules
// `…-from-<region>`), so "belongs to R" is: R is a whole hyphen-delimited part of that name.

/** One step of `pulumi preview --json` (the fields the check reads; the CLI prints more). */
export interface PreviewStep {
  readonly op: string;
  readonly urn: string;
  readonly provider?: string;
  readonly oldState?: { readonly type?: string } | null;
  readonly newState?: { readonly type?: string } | null;
  readonly diffReasons?: readonly string[];
  readonly replaceReasons?: readonly string[];
}

export interface PreviewDiagnostic {
  readonly urn?: string;
  readonly message?: string;
  readonly severity?: string;
}

/** The document `pulumi preview --json` prints (PreviewDigest in pulumi's display package). */
export interface PreviewJson {
  readonly steps?: readonly PreviewStep[] | null;
  readonly changeSummary?: Readonly<Record<string, number>> | null;
  readonly diagnostics?: readonly PreviewDiagnostic[] | null;
  readonly config?: Readonly<Record<string, string>> | null;
}

export interface TeardownCheckOptions {
  readonly region: string;
  /** Allow deleting a shard or an edge, and the shard registry update that removing a shard implies. */
  readonly force: boolean;
}

export type TeardownVerdict =
  | {
      readonly ok: true;
      readonly deletes: readonly string[];
      /** In-place updates that come with the teardown (shard settings that list the region). */
      readonly updates: readonly string[];
      readonly summary: string;
    }
  | { readonly ok: false; readonly reasons: readonly string[] };

/** Ops that change nothing. */
const NO_CHANGE = new Set(["same", "read"]);

/** Component types whose resources other regions rely on: a shard (its rooms) and an edge (users' entry). */
export const RELIED_ON_COMPONENTS = ["jitsi:aws:Shard", "jitsi:aws:Edge"] as const;
/** Cloud resource types that make an edge even outside an Edge component. */
export const EDGE_RESOURCE_TYPES = [
  "aws:lb/loadBalancer:LoadBalancer",
  "aws:alb/loadBalancer:LoadBalancer",
  "aws:lb/listener:Listener",
  "aws:acm/certificate:Certificate",
  "aws:route53/record:Record",
] as const;
/**
 * Configuration that other regions' nodes follow, kept in SSM parameters: the shard registry and
 * each HAProxy node's haproxy.cfg. Removing a shard or an edge updates these (in place: nothing is
 * replaced); only a forced teardown, which removes a shard or an edge, may change them.
 */
export const FOLLOWED_CONFIG_COMPONENTS = ["jitsi:aws:ShardRegistry", "jitsi:aws:Edge"] as const;
const PARAMETER = "aws:ssm/parameter:Parameter";

/**
 * A shard's settings (jicofo's region groups, nginx's region map) follow the stack's regions: any
 * region's removal may change them, and the node applies the change in place (see
 * components/render/shard-settings.ts). Such an update is part of a clean teardown.
 */
function isShardSettingsUpdate(step: PreviewStep): boolean {
  const { types, type, name } = parseUrn(step.urn);
  return step.op === "update" && type === PARAMETER && types.includes("jitsi:aws:Shard") && name.endsWith("-settings");
}

function isFollowedConfigUpdate(step: PreviewStep): boolean {
  const { types, type } = parseUrn(step.urn);
  return (
    step.op === "update" &&
    type === PARAMETER &&
    FOLLOWED_CONFIG_COMPONENTS.some((c) => (types as string[]).includes(c))
  );
}

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<parent types$…$type>::<name>`. */
export function parseUrn(urn: string): { stack: string; project: string; types: string[]; type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) throw new Error(`not a Pulumi URN: ${urn}`);
  const types = parts[2].split("$");
  return {
    stack: parts[0].slice("urn:pulumi:".length),
    project: parts[1],
    types,
    type: types[types.length - 1],
    name: parts.slice(3).join("::"),
  };
}

/** Whether a resource belongs to a region: the region is a whole hyphen-delimited part of its name. */
export function belongsTo(urn: string, region: string): boolean {
  return `-${parseUrn(urn).name}-`.includes(`-${region}-`);
}

/** "shard" or "edge" when the resource is, or is part of, something other regions rely on. */
function reliedOnKind(urn: string): "shard" | "edge" | undefined {
  const { types, type } = parseUrn(urn);
  const component = RELIED_ON_COMPONENTS.find((c) => types.includes(c));
  if (component) return component === "jitsi:aws:Shard" ? "shard" : "edge";
  return (EDGE_RESOURCE_TYPES as readonly string[]).includes(type) ? "edge" : undefined;
}

/** Whether the URN is the shard or edge itself (the component, or an edge resource outside one). */
function isReliedOnItself(urn: string): boolean {
  const { type } = parseUrn(urn);
  return (
    (RELIED_ON_COMPONENTS as readonly string[]).includes(type) ||
    (EDGE_RESOURCE_TYPES as readonly string[]).includes(type)
  );
}

function describeStep(step: PreviewStep): string {
  const { type, name } = parseUrn(step.urn);
  const why = step.replaceReasons?.length
    ? ` (because of ${step.replaceReasons.join(", ")})`
    : step.diffReasons?.length
      ? ` (${step.diffReasons.join(", ")})`
      : "";
  return `${step.op} ${type} "${name}"${why}`;
}

/**
 * Decides whether the previewed change is a clean teardown of `region`. Refuses: a failed preview
 * (error diagnostics), an empty one (nothing to tear down), any step other than a delete of the
 * region's own resources (naming each), and, unless forced, deleting a shard or an edge.
 */
export function checkTeardown(preview: PreviewJson, options: TeardownCheckOptions): TeardownVerdict {
  const { region, force } = options;
  const reasons: string[] = [];
  const errors = (preview.diagnostics ?? []).filter((d) => d.severity === "error");
  for (const d of errors) reasons.push(`the preview failed: ${(d.message ?? "").trim() || "(no message)"}`);

  const steps = preview.steps ?? [];
  const changes = steps.filter((s) => !NO_CHANGE.has(s.op));
  if (errors.length === 0 && changes.length === 0) {
    reasons.push(`nothing to tear down: the preview deletes nothing (is ${region} still in the stack's config?)`);
  }

  const deletes: string[] = [];
  const updates: string[] = [];
  const reliedOn = new Map<"shard" | "edge", string[]>();
  // A replacement is three steps (create-replacement, replace, delete-replaced): name it once.
  const replaced = new Set(changes.filter((s) => s.op === "replace").map((s) => s.urn));
  // Configuration that other regions follow may change only when a shard or an edge goes.
  const removesReliedOn = changes.some((s) => s.op === "delete" && belongsTo(s.urn, region) && reliedOnKind(s.urn));
  for (const step of changes) {
    if ((step.op === "create-replacement" || step.op === "delete-replaced") && replaced.has(step.urn)) continue;
    const { type, name } = parseUrn(step.urn);
    const configUpdate = isFollowedConfigUpdate(step);
    if (step.op === "delete" && belongsTo(step.urn, region)) {
      deletes.push(step.urn);
      const kind = reliedOnKind(step.urn);
      if (kind) {
        const names = reliedOn.get(kind) ?? [];
        if (isReliedOnItself(step.urn)) names.push(name);
        reliedOn.set(kind, names);
      }
    } else if (step.op === "update" && type === "pulumi:pulumi:Stack") {
      // The stack resource has no inputs: an update is its outputs (the region leaves the exports).
      continue;
    } else if (isShardSettingsUpdate(step)) {
      updates.push(step.urn);
    } else if (configUpdate && force && removesReliedOn) {
      // The shard list (or HAProxy's peers) that other regions follow loses the region's part.
      continue;
    } else if (step.op === "delete") {
      reasons.push(`${describeStep(step)}: not part of ${region}`);
    } else if (configUpdate) {
      reasons.push(
        removesReliedOn
          ? `${describeStep(step)}: configuration other regions follow changes (only --force removes a shard or an edge)`
          : `${describeStep(step)}: configuration other regions follow changes, though ${region} holds no shard or edge`,
      );
    } else {
      reasons.push(`${describeStep(step)}: a teardown only deletes, and only in ${region}`);
    }
  }
  if (!force) {
    for (const [kind, names] of reliedOn) {
      const named = names.length > 0 ? ` (${[...new Set(names)].join(", ")})` : "";
      reasons.push(
        kind === "shard"
          ? `${region} holds a shard that other regions' bridges and edges use${named}: drain it first, then pass --force`
          : `${region} holds an edge that users enter by${named}: make sure users reach another edge, then pass --force`,
      );
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };
  return {
    ok: true,
    deletes,
    updates,
    summary:
      `${deletes.length} resource(s) of ${region} to delete` +
      (updates.length > 0 ? `, ${updates.length} shard settings updated in place` : "") +
      (reliedOn.size > 0 ? ` (forced: ${[...reliedOn.keys()].join(" and ")} included)` : ""),
  };
}
