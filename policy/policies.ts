// The stack's guardrails as plain functions: each takes a resource's type and inputs (as Pulumi's
// policy SDK hands them to a policy) and returns the violations it finds, one message each. The
// policy pack (index.ts) wraps them for `pulumi preview --policy-pack policy`; tests call them
// directly, on hand-made inputs and on every resource of the offline plan.
// Pure: no Pulumi import, so that tests and the pack share one implementation.

import { PORTS } from "../components/ports";

// Props as the SDK gives them: plain JSON-like values.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

/** A policy that looks at one resource at a time. */
export interface ResourceCheck {
  /** The policy's name in the pack (and in `pulumi preview` output). */
  readonly name: string;
  readonly description: string;
  /** The resource types it looks at; every other type passes. */
  readonly types: readonly string[];
  readonly check: (type: string, props: Props) => string[];
}

/** A resource as a stack policy sees it: its provider (with the provider's props) attached. */
export interface StackResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly props: Props;
  readonly provider?: { readonly type: string; readonly urn: string; readonly name: string; readonly props: Props };
}

export interface StackViolation {
  readonly urn: string;
  readonly message: string;
}

/** A policy that looks at the whole stack at once (it needs to see providers and resources together). */
export interface StackCheck {
  readonly name: string;
  readonly description: string;
  readonly check: (resources: readonly StackResource[]) => StackViolation[];
}

export const TYPES = {
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  volume: "aws:ebs/volume:Volume",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  groupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  autoscalingGroup: "aws:autoscaling/group:Group",
  awsProvider: "pulumi:providers:aws",
} as const;

const shortType = (type: string) => type.split(":").pop() ?? type;

function isTrue(value: unknown): boolean {
  // The provider takes some booleans as strings (launch template EBS settings: "true").
  return value === true || value === "true";
}

function asArray(value: unknown): Props[] {
  return Array.isArray(value) ? (value.filter((v) => typeof v === "object" && v !== null) as Props[]) : [];
}

function asObject(value: unknown): Props | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Props) : undefined;
}

// ---------------------------------------------------------------------------------------------
// IMDSv2

export function imdsv2Required(type: string, props: Props): string[] {
  if (type !== TYPES.instance && type !== TYPES.launchTemplate) return [];
  const tokens = asObject(props.metadataOptions)?.httpTokens;
  if (tokens === "required") return [];
  return [
    `${shortType(type)} must require IMDSv2: set metadataOptions.httpTokens to "required" ` +
      `(it is ${tokens === undefined ? "unset, which allows IMDSv1" : JSON.stringify(tokens)})`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Encrypted volumes

export function encryptedVolumes(type: string, props: Props): string[] {
  const problems: string[] = [];
  if (type === TYPES.instance) {
    const root = asObject(props.rootBlockDevice);
    // An instance launched from a template gets its volumes from the template (checked there).
    if (root === undefined && props.launchTemplate === undefined) {
      problems.push(
        "Instance has no rootBlockDevice: its root volume would be unencrypted; set rootBlockDevice.encrypted to true",
      );
    } else if (root !== undefined && !isTrue(root.encrypted)) {
      problems.push("Instance root volume is not encrypted: set rootBlockDevice.encrypted to true");
    }
    asArray(props.ebsBlockDevices).forEach((device, i) => {
      if (!isTrue(device.encrypted)) {
        problems.push(
          `Instance volume ebsBlockDevices[${i}] (${String(device.deviceName ?? "?")}) is not encrypted: set encrypted to true`,
        );
      }
    });
  } else if (type === TYPES.launchTemplate) {
    const mappings = asArray(props.blockDeviceMappings);
    const ebs = mappings.map((m, i) => ({ i, device: m.deviceName, ebs: asObject(m.ebs) })).filter((m) => m.ebs);
    if (ebs.length === 0) {
      problems.push(
        "LaunchTemplate maps no EBS volume: instances would boot on the image's unencrypted root volume; " +
          "add blockDeviceMappings with ebs.encrypted true",
      );
    }
    for (const m of ebs) {
      if (!isTrue(m.ebs!.encrypted)) {
        problems.push(
          `LaunchTemplate volume blockDeviceMappings[${m.i}] (${String(m.device ?? "?")}) is not encrypted: set ebs.encrypted to true`,
        );
      }
    }
  } else if (type === TYPES.volume) {
    if (!isTrue(props.encrypted)) problems.push("Volume is not encrypted: set encrypted to true");
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Security group ingress: normalised to one shape for the three ways AWS resources express it

/** One ingress permission, whatever resource declared it. */
export interface Ingress {
  /** "tcp", "udp", "all", or the protocol as given (icmp, a number). */
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidrs: readonly string[];
  /** Where it was declared, for messages: "rule", "ingress[2]". */
  readonly where: string;
}

export function normaliseProtocol(protocol: unknown): string {
  const p = String(protocol ?? "").toLowerCase();
  if (p === "-1" || p === "all") return "all";
  if (p === "6" || p === "tcp") return "tcp";
  if (p === "17" || p === "udp") return "udp";
  return p;
}

function ingress(
  protocol: unknown,
  fromPort: unknown,
  toPort: unknown,
  cidrs: readonly unknown[],
  where: string,
): Ingress {
  const p = normaliseProtocol(protocol);
  // "All traffic" covers every port whatever the ports say; missing ports count as all ports.
  const all = p === "all";
  const from = typeof fromPort === "number" && !all ? fromPort : 0;
  const to = typeof toPort === "number" && !all ? toPort : 65535;
  return {
    protocol: p,
    fromPort: from,
    toPort: to,
    cidrs: cidrs.filter((c): c is string => typeof c === "string"),
    where,
  };
}

/** Every ingress permission a resource declares (empty for other types and for egress rules). */
export function ingressOf(type: string, props: Props): Ingress[] {
  switch (type) {
    case TYPES.ingressRule:
      return [ingress(props.ipProtocol, props.fromPort, props.toPort, [props.cidrIpv4, props.cidrIpv6], "rule")];
    case TYPES.groupRule:
      if (props.type !== "ingress") return [];
      return [
        ingress(
          props.protocol,
          props.fromPort,
          props.toPort,
          [...asArrayOfStrings(props.cidrBlocks), ...asArrayOfStrings(props.ipv6CidrBlocks)],
          "rule",
        ),
      ];
    case TYPES.securityGroup:
    case TYPES.defaultSecurityGroup:
      return asArray(props.ingress).map((r, i) =>
        ingress(
          r.protocol,
          r.fromPort,
          r.toPort,
          [...asArrayOfStrings(r.cidrBlocks), ...asArrayOfStrings(r.ipv6CidrBlocks)],
          `ingress[${i}]`,
        ),
      );
    default:
      return [];
  }
}

function asArrayOfStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

const INGRESS_TYPES = [TYPES.ingressRule, TYPES.groupRule, TYPES.securityGroup, TYPES.defaultSecurityGroup];

/** The only ports the design opens to the internet, read from components/ports.ts. */
export const WORLD_OPEN = [
  { ...PORTS.media, why: "bridge media" },
  { ...PORTS.publicHttps, why: "load balancer HTTPS" },
] as const;

/** A CIDR that means "anywhere": 0.0.0.0/0, ::/0 (any /0). */
export function isWorld(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

function describe(rule: Ingress): string {
  if (rule.protocol === "all") return "all traffic";
  return rule.fromPort === rule.toPort
    ? `${rule.protocol} ${rule.fromPort}`
    : `${rule.protocol} ${rule.fromPort}-${rule.toPort}`;
}

export function noWorldIngress(type: string, props: Props): string[] {
  const allowed = WORLD_OPEN.map((p) => `${p.protocol} ${p.port} (${p.why})`).join(" and ");
  return ingressOf(type, props).flatMap((rule) => {
    const world = rule.cidrs.filter(isWorld);
    if (world.length === 0) return [];
    const ok = WORLD_OPEN.some(
      (p) => rule.protocol === p.protocol && rule.fromPort === p.port && rule.toPort === p.port,
    );
    if (ok) return [];
    const where = rule.where === "rule" ? "" : ` (${rule.where})`;
    return [
      `${shortType(type)}${where} opens ${describe(rule)} to ${world.join(", ")}; only ${allowed} may be open to the world`,
    ];
  });
}

export const SSH_PORT = 22;

export function noSsh(type: string, props: Props): string[] {
  return ingressOf(type, props).flatMap((rule) => {
    const covers =
      rule.protocol === "all" || (rule.protocol === "tcp" && rule.fromPort <= SSH_PORT && SSH_PORT <= rule.toPort);
    if (!covers) return [];
    const where = rule.where === "rule" ? "" : ` (${rule.where})`;
    return [
      `${shortType(type)}${where} allows ${describe(rule)}, which includes SSH (tcp ${SSH_PORT}); ` +
        "the stack has no SSH: open a shell with SSM Session Manager",
    ];
  });
}

// ---------------------------------------------------------------------------------------------
// Autoscaling groups: the scaler owns the size

export function noPinnedDesiredCapacity(type: string, props: Props): string[] {
  if (type !== TYPES.autoscalingGroup) return [];
  if (props.desiredCapacity === undefined || props.desiredCapacity === null) return [];
  return [
    `autoscaling group pins desiredCapacity (${String(props.desiredCapacity)}): the scaling policy owns the size, ` +
      "and every `pulumi up` would reset it; remove desiredCapacity",
  ];
}

// ---------------------------------------------------------------------------------------------
// Tags: Project and Stack on everything taggable

export const REQUIRED_TAGS = ["Project", "Stack"] as const;

/**
 * aws resource types that take no tags (default tags cannot reach them). Every other aws type is
 * treated as taggable; a test checks this list against @pulumi/aws's own type definitions.
 */
export const NOT_TAGGABLE: readonly string[] = [
  "aws:autoscaling/lifecycleHook:LifecycleHook",
  "aws:autoscaling/policy:Policy",
  "aws:ec2/route:Route",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/securityGroupRule:SecurityGroupRule",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:lb/listenerCertificate:ListenerCertificate",
  "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  "aws:acm/certificateValidation:CertificateValidation",
  "aws:route53/record:Record",
];

/** Tags from a tag map; the provider sends nested config (default tags) as JSON text. */
function tagMap(value: unknown): Record<string, unknown> {
  if (typeof value === "string") {
    try {
      return tagMap(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return asObject(value) ?? {};
}

function hasTag(tags: Record<string, unknown>, key: string): boolean {
  return typeof tags[key] === "string" && tags[key] !== "";
}

/** The provider's default tags: `defaultTags: { tags: {...} }`, as an object or as JSON text. */
export function providerDefaultTags(providerProps: Props | undefined): Record<string, unknown> {
  return tagMap(tagMap(providerProps?.defaultTags).tags);
}

export function projectAndStackTags(resources: readonly StackResource[]): StackViolation[] {
  const providers = new Map(resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => [r.urn, r]));
  const violations: StackViolation[] = [];
  for (const resource of resources) {
    const { type, props } = resource;
    if (!type.startsWith("aws:") || NOT_TAGGABLE.includes(type)) continue;
    if (type === TYPES.autoscalingGroup) {
      // Provider default tags tag the group, not the instances it launches.
      const propagated = new Set(
        asArray(props.tags)
          .filter((t) => isTrue(t.propagateAtLaunch) && typeof t.value === "string" && t.value !== "")
          .map((t) => t.key),
      );
      const missing = REQUIRED_TAGS.filter((k) => !propagated.has(k));
      if (missing.length > 0) {
        violations.push({
          urn: resource.urn,
          message:
            `autoscaling group "${resource.name}" must tag ${missing.join(" and ")} with propagateAtLaunch: true ` +
            "(provider default tags do not reach the instances it launches)",
        });
      }
      continue;
    }
    const own = tagMap(props.tags);
    const provider = resource.provider ?? undefined;
    // The SDK attaches the provider's props; when it does not, look the provider up in the stack.
    const providerProps = provider?.props ?? (provider ? providers.get(provider.urn)?.props : undefined);
    const defaults = providerDefaultTags(providerProps);
    const missing = REQUIRED_TAGS.filter((k) => !hasTag(own, k) && !hasTag(defaults, k));
    if (missing.length > 0) {
      const via = provider ? `its provider "${provider.name}"` : "its (default) provider";
      violations.push({
        urn: resource.urn,
        message:
          `${shortType(type)} "${resource.name}" has no ${missing.join(" or ")} tag: set it in ${via}'s ` +
          "defaultTags.tags, or in the resource's own tags",
      });
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// The pack's contents

export const RESOURCE_CHECKS: readonly ResourceCheck[] = [
  {
    name: "imdsv2-required",
    description: "EC2 instances and launch templates require IMDSv2 (metadataOptions.httpTokens = required).",
    types: [TYPES.instance, TYPES.launchTemplate],
    check: imdsv2Required,
  },
  {
    name: "encrypted-volumes",
    description: "Every EBS volume is encrypted: instance root and EBS devices, launch template mappings, volumes.",
    types: [TYPES.instance, TYPES.launchTemplate, TYPES.volume],
    check: encryptedVolumes,
  },
  {
    name: "no-world-ingress",
    description: `Security groups open nothing to 0.0.0.0/0 or ::/0 but ${WORLD_OPEN.map((p) => `${p.protocol.toUpperCase()} ${p.port} (${p.why})`).join(" and ")}.`,
    types: INGRESS_TYPES,
    check: noWorldIngress,
  },
  {
    name: "no-ssh",
    description: "No ingress covers TCP 22 (ranges and all-traffic rules included): operators use SSM Session Manager.",
    types: INGRESS_TYPES,
    check: noSsh,
  },
  {
    name: "asg-desired-capacity-not-pinned",
    description: "Autoscaling groups do not pin desiredCapacity: the scaling policy owns the size.",
    types: [TYPES.autoscalingGroup],
    check: noPinnedDesiredCapacity,
  },
];

export const STACK_CHECKS: readonly StackCheck[] = [
  {
    name: "project-and-stack-tags",
    description:
      "Every taggable aws resource carries Project and Stack tags, from its provider's default tags or its own; " +
      "autoscaling groups tag them with propagateAtLaunch.",
    check: projectAndStackTags,
  },
];
