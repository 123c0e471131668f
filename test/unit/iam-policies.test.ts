import { nodeRolePolicy, sessionManagerPolicyArn } from "../../components/iam-policies";

const context = {
  partition: "aws-cn",
  accountId: "111122223333",
  region: "cn-north-1",
  stack: "prod",
  shardIds: ["cn-north-1-a", "cn-north-1-b"],
};

describe("node role policies", () => {
  it("let a signalling node read the secrets of the shards in its region, in its partition and account", () => {
    expect(nodeRolePolicy("signalling", context)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadOwnShardSecrets",
          Effect: "Allow",
          Action: ["ssm:GetParameter", "ssm:GetParameters"],
          Resource: [
            "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/jitsi/prod/shards/cn-north-1-a/*",
            "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/jitsi/prod/shards/cn-north-1-b/*",
          ],
        },
      ],
    });
  });

  it("let bridges read every shard's bridge account and the registry, publish their stress, and finish their own scale-in", () => {
    expect(nodeRolePolicy("bridges", context).Statement.map((s) => [s.Action, s.Resource, s.Condition])).toEqual([
      [
        ["ssm:GetParameter", "ssm:GetParameters"],
        ["arn:aws-cn:ssm:cn-north-1:111122223333:parameter/jitsi/prod/shards/*/jvb-password"],
        undefined,
      ],
      [["cloudwatch:PutMetricData"], ["*"], { StringEquals: { "cloudwatch:namespace": "Jitsi/Bridges" } }],
      [
        ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
        [
          "arn:aws-cn:autoscaling:cn-north-1:111122223333:autoScalingGroup:*:autoScalingGroupName/jitsi-prod-cn-north-1-jvb",
        ],
        undefined,
      ],
      [
        ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        [
          "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/jitsi/prod/registry",
          "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/jitsi/prod/registry/*",
        ],
        undefined,
      ],
    ]);
  });

  it("let edge nodes read only their own region's HAProxy configurations", () => {
    expect(nodeRolePolicy("edge", context).Statement.flatMap((s) => s.Resource)).toEqual([
      "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/jitsi/prod/edge/cn-north-1-edge-*",
    ]);
  });

  it("name Session Manager's managed policy in the right partition", () => {
    expect(sessionManagerPolicyArn("aws-us-gov")).toBe("arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore");
  });
});
