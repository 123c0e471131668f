import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EC2_TRUST_POLICY, nodeRolePolicy, sessionManagerPolicyArn, type NodeRoleName } from "./iam-policies";

export interface NodeRoleArgs {
  /** Which kind of node assumes this role. */
  readonly role: NodeRoleName;
  readonly region: string;
  readonly stack: string;
  /** Shards whose signalling node runs in this region (their secrets are this role's to read). */
  readonly shardIds: readonly string[];
  /** The region's provider (IAM is global; the provider only carries credentials and tags). */
  readonly provider: aws.Provider;
}

/**
 * The instance role and profile of one kind of node in one region: Session Manager access
 * (operators never use SSH) and an inline least-privilege policy from iam-policies.ts.
 * Node components add their own statements with RolePolicy resources on `roleName`.
 */
export class NodeRole extends pulumi.ComponentResource {
  public readonly roleName: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly instanceProfileName: pulumi.Output<string>;

  constructor(name: string, args: NodeRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:NodeRole", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const invoke = { parent: this, provider: args.provider };

    const role = new aws.iam.Role(
      `${name}`,
      {
        assumeRolePolicy: JSON.stringify(EC2_TRUST_POLICY),
        description: `Jitsi ${args.role} nodes of stack ${args.stack} in ${args.region}`,
      },
      child,
    );
    const partition = aws.getPartitionOutput({}, invoke).partition;
    const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;
    new aws.iam.RolePolicyAttachment(
      `${name}-ssm-core`,
      { role: role.name, policyArn: partition.apply(sessionManagerPolicyArn) },
      child,
    );

    const policy = pulumi.all([partition, accountId]).apply(([p, a]) =>
      nodeRolePolicy(args.role, {
        partition: p,
        accountId: a,
        region: args.region,
        stack: args.stack,
        shardIds: args.shardIds,
      }),
    );
    new aws.iam.RolePolicy(
      `${name}-parameters`,
      { role: role.name, policy: policy.apply((doc) => JSON.stringify(doc)) },
      child,
    );
    const profile = new aws.iam.InstanceProfile(`${name}`, { role: role.name }, child);

    this.roleName = role.name;
    this.roleArn = role.arn;
    this.instanceProfileName = profile.name;
    this.registerOutputs({ roleArn: this.roleArn, instanceProfileName: this.instanceProfileName });
  }
}
