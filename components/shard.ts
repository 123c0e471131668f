import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { architectureOf, debianAmiParameter } from "./ami";
import type { OctoSettings } from "./config";
import { encodeUserData } from "./render/cloud-config";
import { renderShardSettings } from "./render/shard-settings";
import { renderShardUserData } from "./render/shard-user-data";
import type { ShardPlan } from "./topology";
import { stackPath } from "./parameters";

/** `/jitsi/<stack>/shards/<id>/settings`: readable by the shard's role with its other values. */
export function shardSettingsPath(stack: string, shardId: string): string {
  return `${stackPath(stack)}/shards/${shardId}/settings`;
}

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
  /** Pulumi's `protect` on the node: a delete fails until the region's protection is lifted. */
  readonly protect: boolean;
}

/**
 * The signalling node of one shard: nginx with the web app, prosody, jicofo, from Jitsi's
 * packages on Debian 12, configured entirely by its user-data (files rendered in render/).
 *
 * A change of the rendered user-data replaces the node (cloud-init applies user-data at first
 * boot only, so an in-place update would leave the old configuration running); the user-data
 * holds only the shard's own settings (domain, name, region, instance type), so that is rare. What
 * follows the stack's regions and Octo settings lives in the shard settings parameter, which the
 * node applies in place. A newer Debian image does not replace it (`ami` is ignored after creation).
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
    const values = {
      domain: args.domain,
      shardId: shard.id,
      region: shard.region,
      knownRegions: args.knownRegions,
      octo: args.octo,
      stack: args.stack,
      parameters: args.parameters,
    };
    // What follows the rest of the stack (regions, Octo) goes to a parameter the node applies in
    // place; the user-data holds only what is the shard's own.
    const settingsParameter = shardSettingsPath(args.stack, shard.id);
    const settings = new aws.ssm.Parameter(
      `${name}-settings`,
      {
        name: settingsParameter,
        type: "String",
        tier: "Intelligent-Tiering",
        // plain: the SDK would treat `value` as a secret and hide the settings from previews
        insecureValue: renderShardSettings(values),
        description: `Settings of Jitsi shard ${shard.id} that follow the stack's regions`,
        tags: { Role: "signalling", Shard: shard.name, Bundle: "files" },
      },
      { parent: this, provider },
    );
    const userData = renderShardUserData(values, settingsParameter);
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
      { parent: this, provider, ignoreChanges: ["ami"], dependsOn: [settings], protect: args.protect },
    );
    this.instanceId = instance.id;
    this.privateIp = instance.privateIp;
    this.region = shard.region;
    this.registerOutputs({ instanceId: this.instanceId, privateIp: this.privateIp });
  }
}
