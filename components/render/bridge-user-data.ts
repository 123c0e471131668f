// Everything a bridge receives at launch (through its launch template), assembled from the bridge renderers.
// Pure: no Pulumi import.

import {
  BRIDGE_UNITS,
  renderBridgeAgentUnits,
  renderRegistryAgentScript,
  renderStressPublisherScript,
  renderTerminationWatcherScript,
} from "./bridge-agents";
import { renderBridgeBootstrap } from "./bridge-bootstrap";
import { BRIDGE_PATHS, type BridgeRenderValues } from "./bridge-values";
import { renderCloudConfig, type NodeFile } from "./cloud-config";
import { renderJvbConfTemplate } from "./jvb";

/** The files cloud-init writes on a bridge, in the order it writes them; the bootstrap comes last. */
export function renderBridgeFiles(values: BridgeRenderValues): NodeFile[] {
  const p = BRIDGE_PATHS;
  const units = renderBridgeAgentUnits();
  const unit = (name: string, content: string): NodeFile => ({
    path: `${p.systemdDir}/${name}`,
    content,
    permissions: "0644",
  });
  return [
    { path: p.jvbConfTemplate, content: renderJvbConfTemplate(values), permissions: "0644" },
    { path: p.registryAgent, content: renderRegistryAgentScript(values), permissions: "0755" },
    { path: p.stressPublisher, content: renderStressPublisherScript(values), permissions: "0755" },
    { path: p.terminationWatcher, content: renderTerminationWatcherScript(values), permissions: "0755" },
    unit(BRIDGE_UNITS.registryService, units.registryService),
    unit(BRIDGE_UNITS.registryTimer, units.registryTimer),
    unit(BRIDGE_UNITS.stressService, units.stressService),
    unit(BRIDGE_UNITS.stressTimer, units.stressTimer),
    unit(BRIDGE_UNITS.watcherService, units.watcherService),
    { path: p.bootstrapScript, content: renderBridgeBootstrap(values), permissions: "0755" },
  ];
}

/** #cloud-config: the files above, then the bootstrap once at first boot. Encode with encodeUserData. */
export function renderBridgeUserData(values: BridgeRenderValues): string {
  return renderCloudConfig(renderBridgeFiles(values), [[BRIDGE_PATHS.bootstrapScript]]);
}
