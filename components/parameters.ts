// Where the stack keeps values in SSM Parameter Store: one path per stack, split by who reads it,
// so that each instance role can be granted exactly its own part. Pure: no Pulumi import.

/** The root of everything this stack stores: `/jitsi/<stack>`. */
export function stackPath(stack: string): string {
  return `/jitsi/${stack}`;
}

/** The secrets a shard needs. `readers` says which node roles must read the value. */
export const SHARD_SECRETS = {
  /** prosody's account for the bridges (`jvb@auth.<domain>`): the shard registers it, every bridge logs in with it. */
  "jvb-password": { readers: ["signalling", "bridges"] },
  /** prosody's account for jicofo (`focus@auth.<domain>`): only the shard itself uses it. */
  "jicofo-password": { readers: ["signalling"] },
} as const;

export type ShardSecretName = keyof typeof SHARD_SECRETS;

export function shardSecretPath(stack: string, shardId: string, secret: ShardSecretName): string {
  return `${stackPath(stack)}/shards/${shardId}/${secret}`;
}

/** Plain (non-secret) values that bridges and HAProxy nodes follow, such as the shard list. */
export function registryPath(stack: string): string {
  return `${stackPath(stack)}/registry`;
}
