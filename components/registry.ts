import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registryPath } from "./parameters";
import { renderShardRegistry, type RegistryEntry } from "./render/registry";

export interface ShardRegistryArgs {
  readonly stack: string;
  /** The shards as bridges and HAProxy see them (addresses resolve once the nodes exist). */
  readonly entries: readonly pulumi.Input<RegistryEntry>[];
  /** Providers of the regions that need the list: every region with bridges or an edge. */
  readonly providers: Readonly<Record<string, aws.Provider>>;
}

/** Name of the registry parameter (the same in every region that holds it). */
export function shardRegistryParameter(stack: string): string {
  return `${registryPath(stack)}/shards`;
}

/**
 * The shard list, one plain SSM parameter per region that follows it. Adding, draining or removing
 * a shard changes these parameters only; bridges and HAProxy nodes pick the change up themselves.
 */
export class ShardRegistry extends pulumi.ComponentResource {
  public readonly parameterName: string;

  constructor(name: string, args: ShardRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:ShardRegistry", name, {}, opts);
    this.parameterName = shardRegistryParameter(args.stack);
    const value = pulumi.all([...args.entries]).apply((entries) => renderShardRegistry(entries));
    for (const region of Object.keys(args.providers).sort()) {
      new aws.ssm.Parameter(
        `${name}-${region}`,
        {
          name: this.parameterName,
          type: "String",
          // Advanced tier holds 8 KB; the standard tier's 4 KB fits about 25 shards.
          tier: "Intelligent-Tiering",
          // not secret: the SDK would treat `value` as one and hide the list from previews
          insecureValue: value,
          description: "Jitsi shards that bridges and HAProxy nodes follow",
        },
        { parent: this, provider: args.providers[region] },
      );
    }
    this.registerOutputs({ parameterName: this.parameterName });
  }
}
