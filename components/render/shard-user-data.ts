// Everything a signalling node receives at launch, assembled from the renderers of each daemon.
// Pure: no Pulumi import.

import { renderCloudConfig, type NodeFile } from "./cloud-config";
import { renderShardConfigJsWrapper, renderShardNginxSite } from "./nginx";
import { prosodyRegisterCommands, renderProsodyShardConfig } from "./prosody";
import { renderShardAgentScript, renderShardAgentUnits, renderShardDrainScript } from "./shard-agent";
import { renderShardBootstrap } from "./shard-bootstrap";
import { renderShardSettingsAgent, renderShardSettingsUnits } from "./shard-settings";
import { SHARD_PATHS, type ShardRenderValues } from "./shard-values";

/**
 * The files cloud-init writes on a signalling node, in the order it writes them. None of them
 * depends on the stack's other regions or Octo settings (those travel in the shard settings), so
 * that changing them never replaces the node: `values.knownRegions` and `values.octo` are unused.
 */
export function renderShardFiles(values: ShardRenderValues, settingsParameter: string): NodeFile[] {
  const p = SHARD_PATHS;
  const units = renderShardAgentUnits();
  const settings = renderShardSettingsUnits();
  return [
    { path: p.prosodyShardConfig, content: renderProsodyShardConfig(values), permissions: "0644" },
    { path: p.nginxSite, content: renderShardNginxSite(values), permissions: "0644" },
    { path: p.shardConfigJs, content: renderShardConfigJsWrapper(values), permissions: "0644" },
    { path: p.agentScript, content: renderShardAgentScript(), permissions: "0755" },
    { path: p.drainScript, content: renderShardDrainScript(), permissions: "0755" },
    { path: "/etc/systemd/system/jitsi-shard-agent.socket", content: units.socket, permissions: "0644" },
    { path: "/etc/systemd/system/jitsi-shard-agent@.service", content: units.service, permissions: "0644" },
    { path: p.settingsAgent, content: renderShardSettingsAgent(values, settingsParameter), permissions: "0755" },
    { path: "/etc/systemd/system/jitsi-shard-settings-agent.service", content: settings.service, permissions: "0644" },
    { path: "/etc/systemd/system/jitsi-shard-settings-agent.timer", content: settings.timer, permissions: "0644" },
    {
      path: p.bootstrapScript,
      content: renderShardBootstrap(values, { prosodyRegister: prosodyRegisterCommands(values) }),
      permissions: "0755",
    },
  ];
}

export function renderShardUserData(values: ShardRenderValues, settingsParameter: string): string {
  return renderCloudConfig(renderShardFiles(values, settingsParameter), [[SHARD_PATHS.bootstrapScript]]);
}
