import fc from "fast-check";
import {
  blockSize,
  contains,
  formatAddress,
  formatCidr,
  lastAddress,
  overlaps,
  parseAddress,
  parseCidr,
  subnet,
  type Ipv4Block,
} from "../../components/ipv4";

const address = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const block = fc
  .tuple(address, fc.integer({ min: 0, max: 32 }))
  .map(([a, prefix]): Ipv4Block => ({ base: a - (a % blockSize(prefix)), prefix }));

describe("ipv4", () => {
  it("formats and parses addresses as inverses", () => {
    fc.assert(fc.property(address, (a) => parseAddress(formatAddress(a)) === a));
  });

  it("parses a CIDR with host bits into the block and the address as written", () => {
    expect(parseCidr("10.1.2.3/16")).toEqual({
      block: parseCidr("10.1.0.0/16")!.block,
      address: parseAddress("10.1.2.3"),
    });
    expect(formatCidr(parseCidr("10.1.2.3/16")!.block)).toBe("10.1.0.0/16");
  });

  it.each(["10.0.0/16", "10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "10.0.0.00/16", "a.b.c.d/8", " 10.0.0.0/8"])(
    "rejects %j",
    (text) => expect(parseCidr(text)).toBeUndefined(),
  );

  it("overlap is symmetric and agrees with a brute-force check on small blocks", () => {
    const small = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 }))
      .map(([a, prefix]): Ipv4Block => ({ base: a - (a % blockSize(prefix)), prefix }));
    fc.assert(
      fc.property(small, small, (a, b) => {
        const shared = Array.from({ length: 256 }, (_, i) => i).some(
          (i) => i >= a.base && i <= lastAddress(a) && i >= b.base && i <= lastAddress(b),
        );
        return overlaps(a, b) === shared && overlaps(b, a) === shared;
      }),
    );
  });

  it("subnets lie inside their block, are disjoint, and tile it in order", () => {
    fc.assert(
      fc.property(block, fc.integer({ min: 0, max: 6 }), (outer, newBits) => {
        fc.pre(outer.prefix + newBits <= 32);
        const count = 2 ** newBits;
        const parts = Array.from({ length: count }, (_, i) => subnet(outer, newBits, i));
        parts.forEach((p, i) => {
          expect(contains(outer, p)).toBe(true);
          if (i > 0) expect(p.base).toBe(lastAddress(parts[i - 1]) + 1);
        });
        expect(parts[0].base).toBe(outer.base);
        expect(lastAddress(parts[count - 1])).toBe(lastAddress(outer));
      }),
    );
  });

  it("refuses a subnet index outside the block", () => {
    const outer = parseCidr("10.0.0.0/16")!.block;
    expect(() => subnet(outer, 4, 16)).toThrow("subnet index 16 is outside 0..15");
    expect(() => subnet(outer, 17, 0)).toThrow("cannot split /16 by 17 bits");
  });
});
