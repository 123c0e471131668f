import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SHARD_SECRETS, shardSecretPath, type ShardSecretName } from "./parameters";
import type { ShardPlan } from "./topology";

export interface ShardSecretsArgs {
  readonly shard: ShardPlan;
  readonly stack: string;
  /**
   * Providers of the regions whose instances read the shard's secrets, by region code: the
   * shard's own region and every region with bridges.
   */
  readonly providers: Readonly<Record<string, aws.Provider>>;
  /** Regions with bridges (they read the bridge account's password). */
  readonly bridgeRegions: readonly string[];
}

/**
 * A shard's passwords: generated once by Pulumi (kept as secrets in the state), and written as
 * SecureString parameters into every region whose instances read them, under
 * `/jitsi/<stack>/shards/<shard id>/`. Instances fetch them at boot; user-data only names them.
 */
export class ShardSecrets extends pulumi.ComponentResource {
  /** SSM parameter name of each secret (the same name in every region that holds a copy). */
  public readonly parameterNames: Record<ShardSecretName, string>;

  constructor(name: string, args: ShardSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:aws:ShardSecrets", name, {}, opts);
    const names = {} as Record<ShardSecretName, string>;
    for (const secret of Object.keys(SHARD_SECRETS) as ShardSecretName[]) {
      // Letters and digits only: the values end up in prosody's and jicofo's config syntax.
      const password = new random.RandomPassword(`${name}-${secret}`, { length: 32, special: false }, { parent: this });
      const parameterName = shardSecretPath(args.stack, args.shard.id, secret);
      names[secret] = parameterName;
      const readers: readonly string[] = SHARD_SECRETS[secret].readers;
      const regions = new Set<string>();
      if (readers.includes("signalling")) regions.add(args.shard.region);
      if (readers.includes("bridges")) args.bridgeRegions.forEach((r) => regions.add(r));
      for (const region of [...regions].sort()) {
        new aws.ssm.Parameter(
          `${name}-${secret}-${region}`,
          {
            name: parameterName,
            type: "SecureString",
            value: password.result,
            description: `${secret} of Jitsi shard ${args.shard.id}`,
          },
          { parent: this, provider: args.providers[region] },
        );
      }
    }
    this.parameterNames = names;
    this.registerOutputs({ parameterNames: names });
  }
}
