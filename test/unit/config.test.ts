import {
  ConfigError,
  DEFAULTS,
  SELECTION_STRATEGIES,
  fromPulumiConfig,
  parseSettings,
  type Settings,
} from "../../components/config";

type Raw = Record<string, unknown>;

/** A valid config with one region running everything and one shard; tests change one thing. */
function base(): Raw {
  return {
    domain: "meet.example.com",
    hostedZone: "example.com",
    regions: { "eu-west-1": { cidr: "10.0.0.0/16", jvb: {}, edge: {} } },
    shards: [{ name: "shard-1", region: "eu-west-1" }],
  };
}

/** The base config with top-level keys replaced (or added). */
function withTop(changes: Raw): Raw {
  return { ...base(), ...changes };
}

/** The base config with eu-west-1's spec patched, plus optional extra regions after it. */
function withRegion(changes: Raw, extra: Raw = {}): Raw {
  return withTop({ regions: { "eu-west-1": { cidr: "10.0.0.0/16", jvb: {}, edge: {}, ...changes }, ...extra } });
}

/** The base config without one top-level key. */
function without(key: string): Raw {
  const raw = base();
  delete raw[key];
  return raw;
}

function problemsOf(raw: Raw): readonly string[] {
  try {
    parseSettings(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError, but the config parsed");
}

const R = "jitsi:regions.eu-west-1";
const DNS_SAFE =
  "is not DNS-safe (lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen, at most 32 characters)";

describe("parseSettings: valid configs", () => {
  it("applies every default to a minimal config", () => {
    const expected: Settings = {
      domain: "meet.example.com",
      hostedZone: "example.com",
      certificateArns: {},
      regions: {
        "eu-west-1": {
          cidr: "10.0.0.0/16",
          availabilityZones: 2,
          jvb: { instanceType: "c6i.xlarge", minSize: 1, maxSize: 10, targetStress: 0.3, gracefulShutdownMinutes: 60 },
          edge: { nodes: 2, instanceType: "c6i.large" },
        },
      },
      shards: [{ name: "shard-1", region: "eu-west-1", instanceType: "m6i.large", state: "ready" }],
      octo: { selectionStrategy: "RegionBasedBridgeSelectionStrategy", regionGroups: [], maxBridgeParticipants: 80 },
    };
    expect(parseSettings(base())).toEqual(expected);
    // the literals above are DEFAULTS; keep them in step
    const { spot: _spotDefaults, ...jvbDefaults } = DEFAULTS.jvb; // spot is off unless configured
    expect(expected.regions["eu-west-1"]).toMatchObject({
      availabilityZones: DEFAULTS.availabilityZones,
      jvb: jvbDefaults,
      edge: DEFAULTS.edge,
    });
    expect(expected.shards[0]).toMatchObject(DEFAULTS.shard);
    expect(expected.octo).toEqual(DEFAULTS.octo);
  });

  it("keeps explicit values and raises the default maxSize to minSize", () => {
    const settings = parseSettings(
      withRegion({ availabilityZones: 3, jvb: { minSize: 20, instanceType: "c7g.xlarge" }, edge: { nodes: 4 } }),
    );
    expect(settings.regions["eu-west-1"]).toEqual({
      cidr: "10.0.0.0/16",
      availabilityZones: 3,
      jvb: { instanceType: "c7g.xlarge", minSize: 20, maxSize: 20, targetStress: 0.3, gracefulShutdownMinutes: 60 },
      edge: { nodes: 4, instanceType: "c6i.large" },
    });
  });

  it('treats hostedZone "" as unset', () => {
    const arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-0a1b-4c5d-8e9f-0a1b2c3d4e5f";
    const settings = parseSettings(withTop({ hostedZone: "", certificateArns: { "eu-west-1": arn } }));
    expect(settings).not.toHaveProperty("hostedZone");
    expect(settings.certificateArns).toEqual({ "eu-west-1": arn });
  });

  it.each(["meet.example.com", "example.com"])("accepts hostedZone %s for meet.example.com", (hostedZone) => {
    expect(parseSettings(withTop({ hostedZone })).hostedZone).toBe(hostedZone);
  });

  it.each(["us-gov-west-1", "ap-southeast-4", "il-central-1"])("accepts region code %s", (code) => {
    const settings = parseSettings(
      withTop({
        regions: { [code]: { cidr: "10.0.0.0/16", jvb: {}, edge: {} } },
        shards: [{ name: "a", region: code }],
      }),
    );
    expect(Object.keys(settings.regions)).toEqual([code]);
  });

  it.each(["10.0.0.0/16", "172.16.0.0/22", "192.168.4.0/22"])("accepts VPC range %s", (cidr) => {
    expect(parseSettings(withRegion({ cidr })).regions["eu-west-1"].cidr).toBe(cidr);
  });

  it("accepts adjacent ranges, which do not overlap", () => {
    const settings = parseSettings(withRegion({}, { "eu-central-1": { cidr: "10.1.0.0/16", jvb: {} } }));
    expect(Object.keys(settings.regions)).toEqual(["eu-west-1", "eu-central-1"]);
  });

  it.each(["c6gn.16xlarge", "m7i-flex.large", "c7g.metal", "t3.micro"])("accepts instance type %s", (instanceType) => {
    expect(parseSettings(withRegion({ jvb: { instanceType } })).regions["eu-west-1"].jvb?.instanceType).toBe(
      instanceType,
    );
  });

  it("accepts a 32-character shard name", () => {
    const name = "a".repeat(32);
    expect(parseSettings(withTop({ shards: [{ name, region: "eu-west-1" }] })).shards[0].name).toBe(name);
  });

  it.each(SELECTION_STRATEGIES)("accepts selectionStrategy %s", (selectionStrategy) => {
    expect(parseSettings(withTop({ octo: { selectionStrategy } })).octo.selectionStrategy).toBe(selectionStrategy);
  });

  it("accepts region groups, a drained shard beside a ready one, and a region that only hosts a shard", () => {
    const settings = parseSettings(
      withTop({
        regions: {
          "eu-west-1": { cidr: "10.0.0.0/16", jvb: {}, edge: {} },
          "eu-central-1": { cidr: "10.1.0.0/16" },
        },
        shards: [
          { name: "a", region: "eu-west-1", state: "drain" },
          { name: "b", region: "eu-central-1" },
        ],
        octo: { regionGroups: [["eu-west-1", "eu-central-1"]], maxBridgeParticipants: 2 },
      }),
    );
    expect(settings.octo.regionGroups).toEqual([["eu-west-1", "eu-central-1"]]);
    expect(settings.shards.map((s) => s.state)).toEqual(["drain", "ready"]);
  });
});

describe("parseSettings: domain and hostedZone", () => {
  it.each<[string, Raw, string[]]>([
    [
      "domain missing",
      without("domain"),
      ["jitsi:domain: required (the public hostname users open, like meet.example.com)"],
    ],
    ...["Meet.example.com", "meet_1.example.com", "meet", "meet.example.com."].map(
      (domain): [string, Raw, string[]] => [
        `domain ${domain}`,
        withTop({ domain }),
        [
          `jitsi:domain: "${domain}" is not a DNS name: lower-case labels of letters, digits and hyphens, at least two, joined by dots, no trailing dot (like meet.example.com)`,
        ],
      ],
    ),
    [
      "hostedZone malformed",
      withTop({ hostedZone: "Example.com" }),
      [
        'jitsi:hostedZone: "Example.com" is not a DNS name: lower-case labels of letters, digits and hyphens, at least two, joined by dots, no trailing dot (like example.com)',
      ],
    ],
    [
      "hostedZone unrelated",
      withTop({ hostedZone: "example.org" }),
      ["jitsi:hostedZone: example.org does not contain jitsi:domain (meet.example.com)"],
    ],
    [
      "hostedZone a suffix but not a parent",
      withTop({ hostedZone: "ample.com" }),
      ["jitsi:hostedZone: ample.com does not contain jitsi:domain (meet.example.com)"],
    ],
  ])("%s", (_case, raw, problems) => expect(problemsOf(raw)).toEqual(problems));
});

describe("parseSettings: regions", () => {
  it.each<[string, Raw, string[]]>([
    ["missing", without("regions"), ["jitsi:regions: required (a map from AWS region code to { cidr, jvb?, edge? })"]],
    [
      "a list",
      withTop({ regions: [] }),
      ["jitsi:regions: must be a map from AWS region code to { cidr, jvb?, edge? }"],
    ],
    ["empty", withTop({ regions: {} }), ["jitsi:regions: at least one region is required"]],
    [
      "a region that is not an object",
      withRegion({}, { "eu-central-1": "10.1.0.0/16" }),
      ['jitsi:regions.eu-central-1: must be an object ({ cidr, jvb?, edge? }) (got "10.1.0.0/16")'],
    ],
  ])("%s", (_case, raw, problems) => expect(problemsOf(raw)).toEqual(problems));

  it.each(["eu-west", "EU-WEST-1", "euwest1"])("rejects region code %s", (code) => {
    expect(problemsOf(withRegion({}, { [code]: { cidr: "10.1.0.0/16", jvb: {} } }))).toEqual([
      `jitsi:regions.${code}: not an AWS region code (like eu-west-1)`,
    ]);
  });
});

describe("parseSettings: VPC ranges", () => {
  it.each<[unknown, string]>([
    [undefined, "required (a private IPv4 range such as 10.10.0.0/16)"],
    ["10.0.0/16", '"10.0.0/16" is not an IPv4 CIDR block (like 10.10.0.0/16)'],
    ["10.0.0.256/16", '"10.0.0.256/16" is not an IPv4 CIDR block (like 10.10.0.0/16)'],
    ["10.0.0.0/33", '"10.0.0.0/33" is not an IPv4 CIDR block (like 10.10.0.0/16)'],
    [10, "10 is not an IPv4 CIDR block (like 10.10.0.0/16)"],
    ["10.0.0.1/16", '"10.0.0.1/16" has host bits set (the block would be 10.0.0.0/16)'],
    ["10.0.0.0/12", "/12 is too large: AWS allows no VPC range larger than a /16"],
    [
      "10.0.0.0/24",
      "/24 is too small: the range must be a /22 or larger (prefix at most 22) so that every availability zone gets a /26 subnet",
    ],
    ["8.8.0.0/16", "8.8.0.0/16 is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)"],
    ["172.32.0.0/16", "172.32.0.0/16 is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)"],
  ])("cidr %j", (cidr, problem) => {
    expect(problemsOf(withRegion({ cidr }))).toEqual([`${R}.cidr: ${problem}`]);
  });

  it.each([
    ["a range inside an earlier one", "10.0.128.0/17"],
    ["an equal range", "10.0.0.0/16"],
  ])("reports %s on the later region, naming the earlier one", (_case, cidr) => {
    expect(problemsOf(withRegion({}, { "eu-central-1": { cidr, jvb: {} } }))).toEqual([
      `jitsi:regions.eu-central-1.cidr: ${cidr} overlaps jitsi:regions.eu-west-1.cidr (10.0.0.0/16)`,
    ]);
  });
});

describe("parseSettings: sizes and instance types", () => {
  it.each([1, 7, 2.5, "2"])("availabilityZones %j", (availabilityZones) => {
    expect(problemsOf(withRegion({ availabilityZones }))).toEqual([
      `${R}.availabilityZones: must be an integer from 2 to 6 (got ${JSON.stringify(availabilityZones)})`,
    ]);
  });

  it.each<[Raw, string]>([
    [{ minSize: -1 }, "minSize: must be an integer from 0 to 200 (got -1)"],
    [{ minSize: 201 }, "minSize: must be an integer from 0 to 200 (got 201)"],
    [{ minSize: 1.5 }, "minSize: must be an integer from 0 to 200 (got 1.5)"],
    [{ maxSize: 0 }, "maxSize: must be an integer from 1 to 200 (got 0)"],
    [{ maxSize: 201 }, "maxSize: must be an integer from 1 to 200 (got 201)"],
    [{ maxSize: "10" }, 'maxSize: must be an integer from 1 to 200 (got "10")'],
    [{ minSize: 3, maxSize: 2 }, "maxSize: must be at least minSize (3)"],
    [{ instanceType: "c5large" }, 'instanceType: "c5large" is not an EC2 instance type (like c6i.xlarge)'],
    [{ instanceType: "C6I.LARGE" }, 'instanceType: "C6I.LARGE" is not an EC2 instance type (like c6i.xlarge)'],
    [{ instanceType: "c6i." }, 'instanceType: "c6i." is not an EC2 instance type (like c6i.xlarge)'],
  ])("jvb %j", (jvb, problem) => {
    expect(problemsOf(withRegion({ jvb }))).toEqual([`${R}.jvb.${problem}`]);
  });

  it.each([0, 11])("edge nodes %j", (nodes) => {
    expect(problemsOf(withRegion({ edge: { nodes } }))).toEqual([
      `${R}.edge.nodes: must be an integer from 1 to 10 (got ${nodes})`,
    ]);
  });

  it("edge instanceType uses the edge default as its example", () => {
    expect(problemsOf(withRegion({ edge: { instanceType: "large" } }))).toEqual([
      `${R}.edge.instanceType: "large" is not an EC2 instance type (like c6i.large)`,
    ]);
  });
});

describe("parseSettings: unknown keys", () => {
  it.each<[string, Raw, string]>([
    ["top level, close to a key", withTop({ shard: [] }), "jitsi:shard: unknown key (did you mean jitsi:shards?)"],
    [
      "top level, no close match",
      withTop({ bucket: "x" }),
      "jitsi:bucket: unknown key (known: jitsi:domain, jitsi:hostedZone, jitsi:certificateArns, jitsi:regions, jitsi:shards, jitsi:octo)",
    ],
    [
      "region",
      withRegion({ availabilityZone: 3 }),
      `${R}.availabilityZone: unknown key (did you mean availabilityZones?)`,
    ],
    ["jvb, wrong case", withRegion({ jvb: { minsize: 2 } }), `${R}.jvb.minsize: unknown key (did you mean minSize?)`],
    ["edge", withRegion({ edge: { node: 3 } }), `${R}.edge.node: unknown key (did you mean nodes?)`],
    [
      "shard",
      withTop({ shards: [{ name: "a", region: "eu-west-1", zone: "b" }] }),
      "jitsi:shards[0].zone: unknown key (known: name, region, instanceType, state)",
    ],
    [
      "octo",
      withTop({ octo: { strategy: "SplitBridgeSelectionStrategy" } }),
      "jitsi:octo.strategy: unknown key (known: selectionStrategy, regionGroups, maxBridgeParticipants)",
    ],
  ])("%s", (_case, raw, problem) => expect(problemsOf(raw)).toEqual([problem]));
});

describe("parseSettings: shards", () => {
  const shard = (fields: Raw) => withTop({ shards: [{ name: "a", region: "eu-west-1", ...fields }] });

  it.each<[string, Raw, string[]]>([
    ["missing", without("shards"), ["jitsi:shards: required (a list of { name, region }, one signalling node each)"]],
    [
      "not a list",
      withTop({ shards: {} }),
      ["jitsi:shards: must be a list of { name, region }, one signalling node each"],
    ],
    ["empty", withTop({ shards: [] }), ["jitsi:shards: at least one shard is required"]],
    ["not an object", withTop({ shards: ["a"] }), ['jitsi:shards[0]: must be an object ({ name, region }) (got "a")']],
    ["name missing", withTop({ shards: [{ region: "eu-west-1" }] }), ["jitsi:shards[0].name: required"]],
    ["region missing", withTop({ shards: [{ name: "a" }] }), ["jitsi:shards[0].region: required"]],
    ...["Shard_1", "-a", "a-", "a".repeat(33)].map((name): [string, Raw, string[]] => [
      `name ${name}`,
      shard({ name }),
      [`jitsi:shards[0].name: "${name}" ${DNS_SAFE}`],
    ]),
    [
      "duplicate name",
      withTop({
        shards: [
          { name: "a", region: "eu-west-1" },
          { name: "a", region: "eu-west-1" },
        ],
      }),
      ['jitsi:shards[1].name: "a" is already the name of jitsi:shards[0]'],
    ],
    [
      "unknown region",
      shard({ region: "us-east-1" }),
      ['jitsi:shards[0].region: "us-east-1" is not in jitsi:regions (eu-west-1)'],
    ],
    ["bad state", shard({ state: "drained" }), ['jitsi:shards[0].state: must be ready or drain (got "drained")']],
    [
      "bad instanceType",
      shard({ instanceType: "m6i" }),
      ['jitsi:shards[0].instanceType: "m6i" is not an EC2 instance type (like m6i.large)'],
    ],
    [
      "every shard drained",
      withTop({
        shards: [
          { name: "a", region: "eu-west-1", state: "drain" },
          { name: "b", region: "eu-west-1", state: "drain" },
        ],
      }),
      ["jitsi:shards: every shard is set to drain; at least one must be ready to take new rooms"],
    ],
  ])("%s", (_case, raw, problems) => expect(problemsOf(raw)).toEqual(problems));
});

describe("parseSettings: whole stack", () => {
  it.each<[string, Raw, string]>([
    [
      "no region with jvb",
      withRegion({ jvb: undefined }),
      "jitsi:regions: no region has a jvb pool; at least one region needs bridges",
    ],
    [
      "no region with edge",
      withRegion({ edge: undefined }),
      "jitsi:regions: no region has an edge; at least one region needs HAProxy nodes",
    ],
    [
      "a region that runs nothing",
      withRegion({}, { "eu-central-1": { cidr: "10.1.0.0/16" } }),
      "jitsi:regions.eu-central-1: runs nothing (no jvb, no edge, no shard); give it a role or remove it",
    ],
  ])("%s", (_case, raw, problem) => expect(problemsOf(raw)).toEqual([problem]));
});

describe("parseSettings: octo", () => {
  const octo = (value: unknown) =>
    withTop({
      regions: {
        "eu-west-1": { cidr: "10.0.0.0/16", jvb: {}, edge: {} },
        "eu-central-1": { cidr: "10.1.0.0/16", jvb: {} },
      },
      octo: value,
    });
  const groups = "jitsi:octo.regionGroups";

  it.each<[string, unknown, string]>([
    [
      "not an object",
      "RegionBasedBridgeSelectionStrategy",
      'jitsi:octo: must be an object (got "RegionBasedBridgeSelectionStrategy")',
    ],
    [
      "unknown strategy",
      { selectionStrategy: "Random" },
      'jitsi:octo.selectionStrategy: "Random" is not one of SingleBridgeSelectionStrategy, SplitBridgeSelectionStrategy, RegionBasedBridgeSelectionStrategy, IntraRegionBridgeSelectionStrategy',
    ],
    ...[["eu-west-1"], "eu-west-1", [["eu-west-1"], "eu-central-1"]].map((regionGroups): [string, unknown, string] => [
      `regionGroups ${JSON.stringify(regionGroups)}`,
      { regionGroups },
      `${groups}: must be a list of lists of region codes, like [[eu-west-1, eu-central-1], [us-east-1]]`,
    ]),
    [
      "a group naming an unconfigured region",
      { regionGroups: [["eu-west-1", "us-east-1"]] },
      `${groups}[0][1]: "us-east-1" is not in jitsi:regions (eu-west-1, eu-central-1)`,
    ],
    [
      "a region in two groups",
      { regionGroups: [["eu-west-1"], ["eu-central-1", "eu-west-1"]] },
      `${groups}[1][1]: eu-west-1 is already in ${groups}[0]`,
    ],
    ["an empty group", { regionGroups: [["eu-west-1"], []] }, `${groups}[1]: is empty`],
    ...[1, 10001, 2.5].map((maxBridgeParticipants): [string, unknown, string] => [
      `maxBridgeParticipants ${maxBridgeParticipants}`,
      { maxBridgeParticipants },
      `jitsi:octo.maxBridgeParticipants: must be an integer from 2 to 10000 (got ${maxBridgeParticipants})`,
    ]),
  ])("%s", (_case, value, problem) => expect(problemsOf(octo(value))).toEqual([problem]));
});

describe("parseSettings: several problems", () => {
  it("reports every problem, one line each, in schema order", () => {
    const raw = {
      octo: { maxBridgeParticipants: 1 },
      ...withRegion({ jvb: { minSize: 3, maxSize: 2 } }),
      domain: "Meet.example.com",
    };
    expect(problemsOf(raw)).toEqual([
      'jitsi:domain: "Meet.example.com" is not a DNS name: lower-case labels of letters, digits and hyphens, at least two, joined by dots, no trailing dot (like meet.example.com)',
      "jitsi:regions.eu-west-1.jvb.maxSize: must be at least minSize (3)",
      "jitsi:octo.maxBridgeParticipants: must be an integer from 2 to 10000 (got 1)",
    ]);
  });
});

describe("ConfigError", () => {
  it("lists every problem, indented, under a heading", () => {
    const error = new ConfigError(["jitsi:a: first", "jitsi:b: second"]);
    expect(error.message).toBe("invalid stack config:\n  jitsi:a: first\n  jitsi:b: second");
    expect(error.name).toBe("ConfigError");
  });

  it("is what parseSettings throws", () => {
    expect(() => parseSettings(without("domain"))).toThrow(
      /^invalid stack config:\n {2}jitsi:domain: required \(the public hostname/,
    );
  });
});

describe("fromPulumiConfig", () => {
  it("keeps the jitsi namespace, strings as text and structured keys as parsed JSON", () => {
    expect(
      fromPulumiConfig({
        "aws:region": "eu-west-1",
        "pulumi:disable-default-providers": '["aws"]',
        "jitsi:domain": "meet.example.com",
        "jitsi:hostedZone": "",
        "jitsi:regions": '{"eu-west-1":{"cidr":"10.0.0.0/16","jvb":{},"edge":{}}}',
        "jitsi:shards": '[{"name":"shard-1","region":"eu-west-1"}]',
      }),
    ).toEqual({ ...base(), hostedZone: "" });
  });

  it("keeps string keys as text even when they look like JSON", () => {
    expect(fromPulumiConfig({ "jitsi:domain": "123", "jitsi:hostedZone": '"x"' })).toEqual({
      domain: "123",
      hostedZone: '"x"',
    });
  });

  it("keeps non-JSON text for a structured key, so that parseSettings reports its shape", () => {
    const raw = fromPulumiConfig({
      "jitsi:domain": "meet.example.com",
      "jitsi:regions": "eu-west-1",
      "jitsi:shards": '[{"name":"shard-1","region":"eu-west-1"}]',
    });
    expect(raw.regions).toBe("eu-west-1");
    expect(problemsOf(raw)).toEqual(["jitsi:regions: must be a map from AWS region code to { cidr, jvb?, edge? }"]);
  });
});

describe("parseSettings: one mistake, one line", () => {
  // Rules that look across keys judge what was written, so a broken part is not reported twice.
  it("does not also say 'no region has a jvb pool' when the only jvb block is malformed", () => {
    expect(problemsOf(withRegion({ jvb: null }))).toEqual([
      "jitsi:regions.eu-west-1.jvb: must be an object (got null)",
    ]);
  });

  it("does not also say a region runs nothing when its only shard has a bad name", () => {
    const raw = {
      ...base(),
      regions: { ...(base().regions as object), "us-east-1": { cidr: "10.20.0.0/16" } },
      shards: [
        { name: "eu1", region: "eu-west-1" },
        { name: "S", region: "us-east-1" },
      ],
    };
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^jitsi:shards\[1\]\.name: "S" is not DNS-safe/)]);
  });

  it("does not tell a shard its region is unknown when that region's settings are broken", () => {
    expect(problemsOf(withTop({ regions: { "eu-west-1": "10.10.0.0/16" } }))).toEqual([
      'jitsi:regions.eu-west-1: must be an object ({ cidr, jvb?, edge? }) (got "10.10.0.0/16")',
    ]);
  });

  it("says a region listed twice in one group is listed twice", () => {
    expect(problemsOf(withTop({ octo: { regionGroups: [["eu-west-1", "eu-west-1"]] } }))).toEqual([
      "jitsi:octo.regionGroups[0][1]: eu-west-1 is listed twice in jitsi:octo.regionGroups[0]",
    ]);
  });
});

describe("parseSettings: bridge pool scaling and spot", () => {
  it("reads target stress, graceful shutdown and spot with its defaults", () => {
    const settings = parseSettings(
      withRegion({
        jvb: {
          instanceType: "c6i.large",
          targetStress: 0.4,
          gracefulShutdownMinutes: 30,
          spot: { instanceTypes: ["c6a.large", "c6i.large"] },
        },
      }),
    );
    expect(settings.regions["eu-west-1"].jvb).toEqual({
      instanceType: "c6i.large",
      minSize: 1,
      maxSize: 10,
      targetStress: 0.4,
      gracefulShutdownMinutes: 30,
      spot: { onDemandBase: 1, instanceTypes: ["c6a.large", "c6i.large"] },
    });
  });

  it.each<[string, Raw, string[]]>([
    [
      "targetStress too high",
      { jvb: { targetStress: 1.2 } },
      ["jitsi:regions.eu-west-1.jvb.targetStress: must be a number from 0.05 to 0.95 (got 1.2)"],
    ],
    [
      "targetStress a string",
      { jvb: { targetStress: "0.3" } },
      ['jitsi:regions.eu-west-1.jvb.targetStress: must be a number from 0.05 to 0.95 (got "0.3")'],
    ],
    [
      "gracefulShutdownMinutes too long",
      { jvb: { gracefulShutdownMinutes: 600 } },
      ["jitsi:regions.eu-west-1.jvb.gracefulShutdownMinutes: must be an integer from 1 to 480 (got 600)"],
    ],
    [
      "spot not an object",
      { jvb: { spot: true } },
      ["jitsi:regions.eu-west-1.jvb.spot: must be an object ({ onDemandBase?, instanceTypes? }) (got true)"],
    ],
    [
      "spot onDemandBase negative",
      { jvb: { spot: { onDemandBase: -1 } } },
      ["jitsi:regions.eu-west-1.jvb.spot.onDemandBase: must be an integer from 0 to 200 (got -1)"],
    ],
    [
      "spot type of another architecture",
      { jvb: { instanceType: "c6i.large", spot: { instanceTypes: ["c7g.large"] } } },
      [
        "jitsi:regions.eu-west-1.jvb.spot.instanceTypes[0]: c7g.large is arm64 but instanceType c6i.large is amd64; a pool boots one image",
      ],
    ],
    [
      "spot type malformed",
      { jvb: { instanceType: "c6i.large", spot: { instanceTypes: ["c6a"] } } },
      ['jitsi:regions.eu-west-1.jvb.spot.instanceTypes[0]: "c6a" is not an EC2 instance type (like c6i.large)'],
    ],
    [
      "spot key typo",
      { jvb: { spot: { ondemandbase: 2 } } },
      ["jitsi:regions.eu-west-1.jvb.spot.ondemandbase: unknown key (did you mean onDemandBase?)"],
    ],
  ])("%s", (_case, changes, problems) => expect(problemsOf(withRegion(changes))).toEqual(problems));
});

describe("parseSettings: certificates for the edge", () => {
  const arn = (region: string) => `arn:aws:acm:${region}:111122223333:certificate/0a1b2c3d-0a1b-4c5d-8e9f-0a1b2c3d4e5f`;
  const noZone = (certificateArns?: unknown) => {
    const raw: Raw = { ...base(), ...(certificateArns === undefined ? {} : { certificateArns }) };
    delete raw.hostedZone;
    return raw;
  };

  it.each<[string, Raw, string[]]>([
    [
      "no zone and no certificate",
      noZone(),
      [
        "jitsi:certificateArns: required without jitsi:hostedZone: an issued ACM certificate for meet.example.com in each edge region (eu-west-1), or set jitsi:hostedZone to have them issued",
      ],
    ],
    [
      "both a zone and certificates",
      withTop({ certificateArns: { "eu-west-1": arn("eu-west-1") } }),
      [
        "jitsi:certificateArns: not used with jitsi:hostedZone (the stack has certificates issued through the zone); remove one of them",
      ],
    ],
    [
      "a certificate from another region",
      noZone({ "eu-west-1": arn("us-east-1") }),
      [
        "jitsi:certificateArns.eu-west-1: the certificate is in us-east-1; a load balancer in eu-west-1 needs one from eu-west-1",
      ],
    ],
    [
      "not an ARN",
      noZone({ "eu-west-1": "my-cert" }),
      ['jitsi:certificateArns.eu-west-1: "my-cert" is not an ACM certificate ARN'],
    ],
    [
      "a region without an edge",
      noZone({ "eu-west-1": arn("eu-west-1"), "us-east-1": arn("us-east-1") }),
      ["jitsi:certificateArns.us-east-1: us-east-1 is not an edge region (eu-west-1)"],
    ],
  ])("%s", (_case, raw, problems) => expect(problemsOf(raw)).toEqual(problems));
});

describe("parseSettings: protection", () => {
  it("takes a boolean", () => {
    expect(parseSettings(withRegion({ protect: false })).regions["eu-west-1"].protect).toBe(false);
    expect(problemsOf(withRegion({ protect: "no" }))).toEqual([
      'jitsi:regions.eu-west-1.protect: must be true or false (got "no")',
    ]);
  });
});
