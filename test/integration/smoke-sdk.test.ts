// The smoke command through the real AWS SDK v3 clients (scripts/lib/smoke-aws.ts), pointed at a stand-in for SSM
// and EC2 on loopback that speaks their wire protocols: SSM's JSON 1.1 (X-Amz-Target AmazonSSM.*) and EC2's query
// protocol (form-encoded Action=DescribeInstances, XML answer). This checks what the unit tests cannot: that the
// requests the command builds are valid SDK input and reach the wire as intended, and that the SDK's answers and
// errors (InvocationDoesNotExist) come back in the shape the command reads. Fixed credentials, no network beyond
// 127.0.0.1.

import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { sdkSmokeAws } from "../../scripts/lib/smoke-aws";
import type { DescribeInstancesAnswer, InvocationAnswer } from "../../scripts/lib/smoke-parse";
import { readStackOutputs, realClock, runSmoke } from "../../scripts/lib/smoke-run";

const FIXTURES = join(__dirname, "..", "fixtures", "smoke");
const OUTPUTS_FILE = join(FIXTURES, "stack-outputs.json");
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as unknown;
const recordedStdout = (name: string) =>
  (fixture(join("run-command", name)) as InvocationAnswer).StandardOutputContent!;

const SHARD_INSTANCES = ["i-0e1f2a3b4c5d6e7f8", "i-0f2a3b4c5d6e7f809"];

/** The recorded shard output, with one more bridge: jicofo then sees a usable bridge in every bridge region. */
function healthyShardStdout(): string {
  const stdout = recordedStdout("shard-success.json");
  return stdout.replace(/^(### jicofo-bridges\n)(.*)$/m, (_all, header: string, line: string) => {
    const debug = JSON.parse(line) as { bridge_selector: { bridge: Record<string, unknown> } };
    debug.bridge_selector.bridge["jvbbrewery@internal.auth.meet-dev.example.com/i-0d4e5f60718293a4b"] = {
      region: "eu-central-1",
      operational: true,
      healthy: true,
      drain: false,
      "graceful-shutdown": false,
      "shutting-down": false,
    };
    return `${header}${JSON.stringify(debug)}`;
  });
}

function describeInstancesXml(answer: DescribeInstancesAnswer): string {
  const items = (answer.Reservations ?? [])
    .map((r) => {
      const instances = (r.Instances ?? [])
        .map(
          (
            i,
          ) => `<item><instanceId>${i.InstanceId}</instanceId><privateIpAddress>${i.PrivateIpAddress}</privateIpAddress>
<instanceState><code>16</code><name>${i.State?.Name}</name></instanceState><tagSet>${(i.Tags ?? [])
            .map((t) => `<item><key>${t.Key}</key><value>${t.Value}</value></item>`)
            .join("")}</tagSet></item>`,
        )
        .join("");
      return `<item><reservationId>r-1</reservationId><ownerId>123456789012</ownerId><instancesSet>${instances}</instancesSet></item>`;
    })
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f</requestId><reservationSet>${items}</reservationSet></DescribeInstancesResponse>`;
}

interface Seen {
  readonly target: string;
  readonly body: string;
  readonly host: string;
  readonly authorization: string;
}

describe("smoke command through the AWS SDK against a loopback stand-in", () => {
  let server: http.Server;
  let endpoint: string;
  const seen: Seen[] = [];
  const polls = new Map<string, number>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const target = String(req.headers["x-amz-target"] ?? "");
        seen.push({
          target: target || new URLSearchParams(body).get("Action") || "?",
          body,
          host: String(req.headers.host),
          authorization: String(req.headers.authorization ?? ""),
        });
        const json = (status: number, value: unknown) => {
          res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
          res.end(JSON.stringify(value));
        };
        if (target === "AmazonSSM.SendCommand") {
          const input = JSON.parse(body) as { InstanceIds: string[] };
          json(200, { Command: { CommandId: `cmd-${input.InstanceIds[0]}`, Status: "Pending" } });
        } else if (target === "AmazonSSM.GetCommandInvocation") {
          const input = JSON.parse(body) as { CommandId: string; InstanceId: string };
          const n = (polls.get(input.CommandId) ?? 0) + 1;
          polls.set(input.CommandId, n);
          if (n === 1) {
            json(400, { __type: "InvocationDoesNotExist", message: "" });
          } else {
            const shard = SHARD_INSTANCES.includes(input.InstanceId);
            json(200, {
              CommandId: input.CommandId,
              InstanceId: input.InstanceId,
              DocumentName: "AWS-RunShellScript",
              PluginName: "aws:runShellScript",
              ResponseCode: 0,
              Status: "Success",
              StatusDetails: "Success",
              StandardOutputContent: shard ? healthyShardStdout() : recordedStdout("edge-success.json"),
              StandardErrorContent: "",
            });
          }
        } else if (new URLSearchParams(body).get("Action") === "DescribeInstances") {
          res.writeHead(200, { "content-type": "text/xml;charset=UTF-8" });
          res.end(describeInstancesXml(fixture("describe-instances-edge.json") as DescribeInstancesAnswer));
        } else {
          json(400, { __type: "UnknownOperationException", message: target });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends valid requests and reads the answers", async () => {
    let stdout = "";
    let stderr = "";
    const code = await runSmoke(["--stack", "dev", "--outputs", OUTPUTS_FILE, "--timeout", "0"], {
      aws: sdkSmokeAws({
        endpoint,
        credentials: { accessKeyId: "AKIDSMOKETEST", secretAccessKey: "not-a-secret" },
        maxAttempts: 1,
      }),
      readOutputs: (stack, file) => readStackOutputs(stack, file),
      clock: realClock,
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      defaultProject: "jitsi",
      invocationPollMs: 10,
      commandTimeoutMs: 10_000,
    });
    expect(stderr).toBe("");
    expect(stdout).toContain(
      "eu-west-1-eu1  eu-west-1  i-0e1f2a3b4c5d6e7f8  200     ready  eu-central-1:1 eu-west-1:1/2 us-east-1:1  ok",
    );
    expect(stdout).toContain("edge-0     eu-west-1  i-01a2b3c4d5e6f7a8b  200      2          0      0     ok");
    expect(code).toBe(0);

    // Every request signed with SigV4 for the client's region.
    expect(
      seen.every((s) =>
        /^AWS4-HMAC-SHA256 Credential=AKIDSMOKETEST\/\d{8}\/[a-z0-9-]+\/(ssm|ec2)\//.test(s.authorization),
      ),
    ).toBe(true);
    const sends = seen.filter((s) => s.target === "AmazonSSM.SendCommand").map((s) => JSON.parse(s.body));
    expect(sends).toHaveLength(4);
    expect(sends[0]).toEqual({
      DocumentName: "AWS-RunShellScript",
      InstanceIds: ["i-0e1f2a3b4c5d6e7f8"],
      Parameters: { commands: expect.arrayContaining(['echo "### jicofo-health"']), executionTimeout: ["30"] },
      Comment: "jitsi smoke check (dev)",
      TimeoutSeconds: 60,
    });
    const describe = seen.find((s) => s.target === "DescribeInstances")!;
    const form = new URLSearchParams(describe.body);
    expect(describe.authorization).toContain("/eu-west-1/ec2/");
    expect(Object.fromEntries(form)).toMatchObject({
      Action: "DescribeInstances",
      "Filter.1.Name": "tag:Project",
      "Filter.1.Value.1": "jitsi",
      "Filter.2.Name": "tag:Stack",
      "Filter.2.Value.1": "dev",
      "Filter.3.Name": "tag:Role",
      "Filter.3.Value.1": "edge",
      "Filter.4.Name": "instance-state-name",
    });
    // The first GetCommandInvocation of each command met InvocationDoesNotExist and was asked again.
    expect([...polls.values()].every((n) => n === 2)).toBe(true);
  });
});
