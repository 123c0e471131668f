// Least-privilege policy documents for the instance roles. No `*` action anywhere, and resources
// narrowed to the exact parameter paths a role reads. Pure: no Pulumi import.

import type { NodeGroup } from "./firewall";
import { registryPath, shardSecretPath, stackPath } from "./parameters";
import { BRIDGE_METRICS, bridgePoolName } from "./scaling";

export type NodeRoleName = Exclude<NodeGroup, "lb">;

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

export interface RolePolicyContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly stack: string;
  /** Ids of the shards whose signalling node runs in this region. */
  readonly shardIds: readonly string[];
}

/** The trust policy of every node role: EC2 instances may assume it. */
export const EC2_TRUST_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;

/** What Session Manager needs on the instance; operators connect through it instead of SSH. */
export function sessionManagerPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`;
}

function parameterArn(c: RolePolicyContext, path: string): string {
  // SSM parameter ARNs carry the path without its leading slash after "parameter/".
  return `arn:${c.partition}:ssm:${c.region}:${c.accountId}:parameter${path}`;
}

const READ_PARAMETERS = ["ssm:GetParameter", "ssm:GetParameters"];

/** The inline policy of a node role in one region, or undefined when the role needs none. */
export function nodeRolePolicy(role: NodeRoleName, c: RolePolicyContext): PolicyDocument {
  const statements: PolicyStatement[] = [];
  if (role === "signalling") {
    statements.push({
      Sid: "ReadOwnShardSecrets",
      Effect: "Allow",
      Action: READ_PARAMETERS,
      Resource: c.shardIds.map((id) => parameterArn(c, `${stackPath(c.stack)}/shards/${id}/*`)),
    });
  }
  if (role === "bridges") {
    statements.push({
      Sid: "ReadBridgeAccountPasswords",
      Effect: "Allow",
      Action: READ_PARAMETERS,
      // every shard's bridge account, and nothing else of the shards
      Resource: [parameterArn(c, shardSecretPath(c.stack, "*", "jvb-password"))],
    });
  }
  if (role === "bridges") {
    statements.push({
      Sid: "PublishStress",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      // PutMetricData has no resource-level permissions; the namespace condition is the narrowing
      Resource: ["*"],
      Condition: { StringEquals: { "cloudwatch:namespace": BRIDGE_METRICS.namespace } },
    });
    statements.push({
      Sid: "FinishOwnScaleIn",
      Effect: "Allow",
      Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
      Resource: [
        `arn:${c.partition}:autoscaling:${c.region}:${c.accountId}:autoScalingGroup:*:autoScalingGroupName/${bridgePoolName(c.stack, c.region)}`,
      ],
    });
  }
  if (role === "edge") {
    statements.push({
      Sid: "ReadOwnHaproxyConfig",
      Effect: "Allow",
      Action: READ_PARAMETERS,
      // each edge node's haproxy.cfg, rendered by the stack from the registry (see edge.ts)
      Resource: [parameterArn(c, `${stackPath(c.stack)}/edge/${c.region}-edge-*`)],
    });
  }
  if (role === "bridges") {
    statements.push({
      Sid: "ReadRegistry",
      Effect: "Allow",
      Action: [...READ_PARAMETERS, "ssm:GetParametersByPath"],
      Resource: [parameterArn(c, registryPath(c.stack)), parameterArn(c, `${registryPath(c.stack)}/*`)],
    });
  }
  return { Version: "2012-10-17", Statement: statements.filter((s) => s.Resource.length > 0) };
}
