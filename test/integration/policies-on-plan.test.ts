// The guardrails on the real program: every policy over every resource of the dev stack's offline
// plan (no violation expected), and the policy pack itself, started the way the Pulumi CLI starts
// it (Pulumi's run-policy-pack in the policy folder), answering the analyzer's gRPC calls.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { PlannedResource } from "../../scripts/lib/plan-output";
import { RESOURCE_CHECKS, STACK_CHECKS, type StackResource } from "../../policy/policies";
import { devStack, runProgram, ROOT } from "../harness";

/** Resources as a stack policy sees them: each with its provider (and the provider's inputs) attached. */
function stackResources(planned: readonly PlannedResource[]): StackResource[] {
  const byUrn = new Map(planned.map((r) => [r.urn, r]));
  return planned.map((r) => {
    const provider = r.provider ? byUrn.get(r.provider) : undefined;
    return {
      type: r.type,
      urn: r.urn,
      name: r.name,
      props: (r.inputs ?? {}) as Record<string, unknown>,
      provider: provider && {
        type: provider.type,
        urn: provider.urn,
        name: provider.name,
        props: (provider.inputs ?? {}) as Record<string, unknown>,
      },
    };
  });
}

let planned: PlannedResource[];

beforeAll(async () => {
  planned = (await runProgram(devStack())).planned;
});

describe("every policy over the dev stack's plan", () => {
  it("plans the resources the policies are about", () => {
    const types = new Set(planned.map((r) => r.type));
    for (const type of [
      "pulumi:providers:aws",
      "aws:ec2/instance:Instance",
      "aws:ec2/launchTemplate:LaunchTemplate",
      "aws:autoscaling/group:Group",
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      "aws:ec2/securityGroup:SecurityGroup",
    ]) {
      expect(types).toContain(type);
    }
  });

  it("finds no violation of a resource policy", () => {
    const violations = planned.flatMap((r) =>
      RESOURCE_CHECKS.flatMap((p) =>
        p.check(r.type, (r.inputs ?? {}) as Record<string, unknown>).map((m) => `${p.name}: ${r.urn}: ${m}`),
      ),
    );
    expect(violations).toEqual([]);
  });

  it("finds no violation of a stack policy", () => {
    const resources = stackResources(planned);
    const violations = STACK_CHECKS.flatMap((p) => p.check(resources).map((v) => `${p.name}: ${v.urn}: ${v.message}`));
    expect(violations).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------
// The pack as the CLI runs it

// Pulumi's generated gRPC stubs and protobuf messages, untyped here.
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const modules = join(ROOT, "node_modules");
const grpc = require(join(modules, "@grpc/grpc-js")) as typeof import("@grpc/grpc-js");
const analyzer = require(join(modules, "@pulumi/pulumi/proto/analyzer_pb.js")) as any;
const analyzerGrpc = require(join(modules, "@pulumi/pulumi/proto/analyzer_grpc_pb.js")) as any;
const { Struct } = require(join(modules, "google-protobuf/google/protobuf/struct_pb.js")) as any;
const { Empty } = require(join(modules, "google-protobuf/google/protobuf/empty_pb.js")) as any;
/* eslint-enable @typescript-eslint/no-require-imports */

interface Diagnostic {
  policy: string;
  message: string;
  urn: string;
  mandatory: boolean;
}

class Pack {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
  ) {}

  /** Starts the pack with Pulumi's own runner, in the policy folder, as the CLI does. */
  static async start(): Promise<Pack> {
    const runner = join(modules, "@pulumi/pulumi/cmd/run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: join(ROOT, "policy") });
    let stdout = "";
    let stderr = "";
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        stdout += d.toString();
        const m = /^(\d+)\s/m.exec(stdout);
        if (m) resolve(m[1]);
      });
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => reject(new Error(`the policy pack exited (${code}):\n${stderr}`)));
    });
    return new Pack(child, new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  }

  stop(): void {
    this.client.close();
    this.child.kill();
  }

  private call(method: string, request: unknown): Promise<any> {
    return new Promise((resolve, reject) =>
      this.client[method](request, (err: Error | null, response: unknown) => (err ? reject(err) : resolve(response))),
    );
  }

  async info(): Promise<{ name: string; version: string; policies: [string, boolean][] }> {
    const info = await this.call("getAnalyzerInfo", new Empty());
    return {
      name: info.getName(),
      version: info.getVersion(),
      policies: info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel() === mandatoryLevel]),
    };
  }

  async analyze(resource: PlannedResource, provider?: PlannedResource): Promise<Diagnostic[]> {
    const request = new analyzer.AnalyzeRequest();
    fill(request, resource, provider);
    return diagnostics(await this.call("analyze", request));
  }

  async analyzeStack(resources: readonly PlannedResource[]): Promise<Diagnostic[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const request = new analyzer.AnalyzeStackRequest();
    request.setResourcesList(
      resources.map((r) => {
        const resource = new analyzer.AnalyzerResource();
        fill(resource, r, r.provider ? byUrn.get(r.provider) : undefined);
        if (r.parent) resource.setParent(r.parent);
        return resource;
      }),
    );
    return diagnostics(await this.call("analyzeStack", request));
  }
}

const mandatoryLevel = 1; // pulumirpc.EnforcementLevel.MANDATORY

function fill(target: any, r: PlannedResource, provider?: PlannedResource): void {
  target.setType(r.type);
  target.setUrn(r.urn);
  target.setName(r.name);
  target.setProperties(Struct.fromJavaScript(r.inputs ?? {}));
  target.setOptions(new analyzer.AnalyzerResourceOptions());
  if (provider) {
    const p = new analyzer.AnalyzerProviderResource();
    p.setType(provider.type);
    p.setUrn(provider.urn);
    p.setName(provider.name);
    p.setProperties(Struct.fromJavaScript(provider.inputs ?? {}));
    target.setProvider(p);
  }
}

function diagnostics(response: any): Diagnostic[] {
  return response.getDiagnosticsList().map((d: any) => ({
    policy: d.getPolicyname(),
    message: d.getMessage(),
    urn: d.getUrn(),
    mandatory: d.getEnforcementlevel() === mandatoryLevel,
  }));
}

/* eslint-enable @typescript-eslint/no-explicit-any */

describe("the policy pack, run as `pulumi preview --policy-pack policy` runs it", () => {
  let pack: Pack;
  beforeAll(async () => {
    pack = await Pack.start();
  }, 60_000);
  afterAll(() => pack?.stop());

  it("serves jitsi-guardrails with every policy mandatory", async () => {
    const info = await pack.info();
    expect(info.name).toBe("jitsi-guardrails");
    expect(info.version).toBe("0.1.0");
    expect(info.policies).toEqual([...RESOURCE_CHECKS, ...STACK_CHECKS].map((p) => [p.name, true]));
  });

  it("passes every resource of the dev stack, one by one and as a stack", async () => {
    const byUrn = new Map(planned.map((r) => [r.urn, r]));
    const found: Diagnostic[] = [];
    for (const r of planned) found.push(...(await pack.analyze(r, r.provider ? byUrn.get(r.provider) : undefined)));
    expect(found).toEqual([]);
    expect(await pack.analyzeStack(planned)).toEqual([]);
  });

  it("reports a violation as mandatory, naming the policy and the resource", async () => {
    const template = planned.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
    const weakened = {
      ...template,
      inputs: { ...(template.inputs as object), metadataOptions: { httpTokens: "optional" } },
    };
    expect(await pack.analyze(weakened)).toEqual([
      {
        policy: "imdsv2-required",
        message: expect.stringContaining(
          'LaunchTemplate must require IMDSv2: set metadataOptions.httpTokens to "required"',
        ),
        // a resource policy's diagnostic carries no URN: the engine attributes it to the resource it asked about
        urn: "",
        mandatory: true,
      },
    ]);
    const provider = planned.find((r) => r.type === "pulumi:providers:aws")!;
    const untagged = { ...provider, inputs: { region: (provider.inputs as { region: string }).region } };
    const vpc = planned.find((r) => r.type === "aws:ec2/vpc:Vpc" && r.provider === provider.urn)!;
    expect(await pack.analyzeStack([untagged, vpc])).toEqual([
      {
        policy: "project-and-stack-tags",
        message: expect.stringContaining(`Vpc "${vpc.name}" has no Project or Stack tag`),
        urn: vpc.urn,
        mandatory: true,
      },
    ]);
  });
});
