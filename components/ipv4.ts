// IPv4 block arithmetic for VPC and subnet ranges. Pure: no Pulumi import.

/** An IPv4 block: network address as an unsigned 32-bit integer, and its prefix length. */
export interface Ipv4Block {
  readonly base: number;
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses "a.b.c.d" into an unsigned integer, or undefined when it is not a dotted quad. */
export function parseAddress(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatAddress(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

/** Size of a block with this prefix, as a number of addresses. */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/**
 * Parses "a.b.c.d/n". Returns the block as written, including host bits (so that the caller can
 * say "has host bits set" instead of silently moving the range), or undefined when malformed.
 */
export function parseCidr(text: string): { block: Ipv4Block; address: number } | undefined {
  const match = /^([0-9.]+)\/(3[0-2]|[12]?\d)$/.exec(text);
  if (!match) return undefined;
  const address = parseAddress(match[1]);
  if (address === undefined) return undefined;
  const prefix = Number(match[2]);
  const size = blockSize(prefix);
  return { block: { base: address - (address % size), prefix }, address };
}

export function formatCidr(block: Ipv4Block): string {
  return `${formatAddress(block.base)}/${block.prefix}`;
}

export function lastAddress(block: Ipv4Block): number {
  return block.base + blockSize(block.prefix) - 1;
}

export function overlaps(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

export function contains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return outer.base <= inner.base && lastAddress(inner) <= lastAddress(outer);
}

/** The index-th block of `prefix + newBits` inside `block` (what Terraform calls cidrsubnet). */
export function subnet(block: Ipv4Block, newBits: number, index: number): Ipv4Block {
  const prefix = block.prefix + newBits;
  if (prefix > 32) throw new RangeError(`cannot split /${block.prefix} by ${newBits} bits`);
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** newBits) {
    throw new RangeError(`subnet index ${index} is outside 0..${2 ** newBits - 1}`);
  }
  return { base: block.base + index * blockSize(prefix), prefix };
}

/** RFC 1918 ranges: VPCs use these, never public space. */
export const PRIVATE_RANGES: readonly Ipv4Block[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(
  (c) => parseCidr(c)!.block,
);
