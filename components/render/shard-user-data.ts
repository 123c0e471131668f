// Everything a signalling node receives at launch, assembled from the renderers of each daemon.
// Pure: no Pulumi import.

import { renderCloudConfig, type NodeFile } from "./cloud-config";
import { JICOFO_PASSWORD_JQ_PATH, renderJicofoConfTemplate } from "./jicofo";
import { renderShardConfigJsWrapper, renderShardNginxSite } from "./nginx";
import { prosodyRegisterCommands, renderProsodyShardConfig } from "./prosody";
import { renderShardAgentScript, renderShardAgentUnits, renderShardDrainScript } from "./shard-agent";
import { renderShardBootstrap } from "./shard-bootstrap";
import { SHARD_PATHS, type ShardRenderValues } from "./shard-values";

/** The files cloud-init writes on a signalling node, in the order it writes them. */
export function renderShardFiles(values: ShardRenderValues): NodeFile[] {
  const p = SHARD_PATHS;
  const units = renderShardAgentUnits();
  return [
    { path: p.jicofoConfTemplate, content: renderJicofoConfTemplate(values), permissions: "0644" },
    { path: p.prosodyShardConfig, content: renderProsodyShardConfig(values), permissions: "0644" },
    { path: p.nginxSite, content: renderShardNginxSite(values), permissions: "0644" },
    { path: p.shardConfigJs, content: renderShardConfigJsWrapper(values), permissions: "0644" },
    { path: p.agentScript, content: renderShardAgentScript(), permissions: "0755" },
    { path: p.drainScript, content: renderShardDrainScript(), permissions: "0755" },
    { path: "/etc/systemd/system/jitsi-shard-agent.socket", content: units.socket, permissions: "0644" },
    { path: "/etc/systemd/system/jitsi-shard-agent@.service", content: units.service, permissions: "0644" },
    {
      path: p.bootstrapScript,
      content: renderShardBootstrap(values, {
        jicofoPasswordJqPath: JICOFO_PASSWORD_JQ_PATH,
        prosodyRegister: prosodyRegisterCommands(values),
      }),
      permissions: "0755",
    },
  ];
}

export function renderShardUserData(values: ShardRenderValues): string {
  return renderCloudConfig(renderShardFiles(values), [[SHARD_PATHS.bootstrapScript]]);
}
