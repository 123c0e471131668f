// The smoke check's AWS calls through the AWS SDK v3: one SSM and one EC2 client per region, created on first use,
// with the SDK's default credential chain (environment, shared config and SSO profiles, instance or task roles).
// `options` exists for tests, which point both clients at a loopback stand-in with fixed credentials.

import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient, type SSMClientConfig } from "@aws-sdk/client-ssm";
import type { SmokeAws } from "./smoke-run";

export type SmokeAwsOptions = Pick<SSMClientConfig, "endpoint" | "credentials" | "maxAttempts">;

export function sdkSmokeAws(options: SmokeAwsOptions = {}): SmokeAws {
  const ssm = new Map<string, SSMClient>();
  const ec2 = new Map<string, EC2Client>();
  const ssmIn = (region: string) => {
    if (!ssm.has(region)) ssm.set(region, new SSMClient({ ...options, region }));
    return ssm.get(region)!;
  };
  const ec2In = (region: string) => {
    if (!ec2.has(region)) ec2.set(region, new EC2Client({ ...options, region }));
    return ec2.get(region)!;
  };
  return {
    sendCommand: (region, input) => ssmIn(region).send(new SendCommandCommand(input)),
    getCommandInvocation: (region, input) => ssmIn(region).send(new GetCommandInvocationCommand(input)),
    describeInstances: (region, input) => ec2In(region).send(new DescribeInstancesCommand(input)),
  };
}
