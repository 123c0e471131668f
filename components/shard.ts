import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { architectureOf, debianAmiParameter } from "./ami";
import type { OctoSettings } from "./config";
import { encodeUserData } from "./render/cloud-config";
import { renderShardUserData } from "./render/shard-user-data";
import type { ShardPlan } from "./topology";

export interface ShardArgs {
  readonly shard: ShardPlan;
  readonly domain: string;
  readonly stack: string;
  readonly octo: OctoSettings;
  /** Every configured region: the values X-Proxy-Region may carry. */
  readonly knownRegions: readonly string[];
  /** SSM parameter names of the shard's secrets. */
  readonly parameters: { readonly jvbPassword: string; readonly jicofoPassword: string };
  readonly provider: aws.Provider;
  readonly subnetId: pulumi.Input<string>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly instanceProfileName: pulumi.Input<string>;
}

/**
 * The signalling node of one shard: nginx with the web app, prosody, jicofo, from Jitsi's
 * packages on Debian 12, configured entirely by its user-data (files rendered in render/).
 *
 * A change of the rendered user-data replaces the node (cloud-init applies user-data at first
 * boot only, so an in-place update would leave the old configuration running): drain the shard
 * before such a change. A newer Debian image does not replace it (`ami` is ignored after creation).
 */
export class Shard extends pulumi.ComponentResource {
  public readonly instanceId: pulumi.Output<string>;
  public readonly privateIp: pulumi.Output<string>;
  public readonly region: string;

  constructor(name: string, args: ShardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:Shard", name, {}, opts);
    const { shard, provider } = args;
    const image = aws.ssm.getParameterOutput(
      { name: debianAmiParameter(architectureOf(shard.instanceType)) },
      { parent: this, provider },
    );
    const userData = renderShardUserData({
      domain: args.domain,
      shardId: shard.id,
      region: shard.region,
      knownRegions: args.knownRegions,
      octo: args.octo,
      stack: args.stack,
      parameters: args.parameters,
    });
    const instance = new aws.ec2.Instance(
      `${name}-node`,
      {
        ami: image.value,
        instanceType: shard.instanceType,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: [args.securityGroupId],
        iamInstanceProfile: args.instanceProfileName,
        userDataBase64: encodeUserData(userData),
        userDataReplaceOnChange: true,
        // IMDSv2 only; one hop: nothing on the node needs metadata from inside a container.
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { volumeType: "gp3", volumeSize: 20, encrypted: true, deleteOnTermination: true },
        tags: { Name: `jitsi-${args.stack}-${shard.id}`, Role: "signalling", Shard: shard.name },
        volumeTags: { Name: `jitsi-${args.stack}-${shard.id}`, Role: "signalling", Shard: shard.name },
      },
      { parent: this, provider, ignoreChanges: ["ami"] },
    );
    this.instanceId = instance.id;
    this.privateIp = instance.privateIp;
    this.region = shard.region;
    this.registerOutputs({ instanceId: this.instanceId, privateIp: this.privateIp });
  }
}
