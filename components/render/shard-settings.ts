// The shard's settings that follow the rest of the stack (its regions, region groups, Octo
// choices): jicofo's configuration and nginx's region map. They travel in an SSM parameter, not in
// user-data, and an agent on the node applies them, so that adding or removing a region, or
// retuning Octo, updates the shard in place (nginx reload, jicofo restart) instead of replacing it.
// Pure: no Pulumi import.

import { JICOFO_PASSWORD_JQ_PATH, renderJicofoConfTemplate } from "./jicofo";
import { renderShardNginxRegionMap } from "./nginx";
import { SHARD_PATHS, type ShardRenderValues } from "./shard-values";

export const SHARD_SETTINGS_VERSION = 1;

/** The files the settings carry, by path on the node. */
export function shardSettingsFiles(values: ShardRenderValues): Record<string, string> {
  return {
    [SHARD_PATHS.jicofoConfTemplate]: renderJicofoConfTemplate(values),
    [SHARD_PATHS.nginxRegionMap]: renderShardNginxRegionMap(values),
  };
}

/** The parameter's value: `{ version, files: { <path>: <content> } }`, stable text. */
export function renderShardSettings(values: ShardRenderValues): string {
  return `${JSON.stringify({ version: SHARD_SETTINGS_VERSION, files: shardSettingsFiles(values) }, null, 2)}\n`;
}

const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

function word(value: string): string {
  if (!SAFE_WORD.test(value)) throw new Error(`refusing to render ${JSON.stringify(value)} into a shell script`);
  return value;
}

/**
 * Fetch → validate → write what changed → apply: `nginx -t` then reload for the region map (the
 * old map comes back if the test fails), a new jicofo.conf (with its password from SSM) and a
 * jicofo restart for jicofo's settings. An unchanged parameter changes nothing. Everything the
 * node touches can be pointed elsewhere for tests (JITSI_SHARD_ROOT prefixes every path).
 */
export function renderShardSettingsAgent(values: ShardRenderValues, settingsParameter: string): string {
  const p = SHARD_PATHS;
  return `#!/bin/bash
# Applies the shard settings of ${word(values.shardId)} from SSM parameter ${word(settingsParameter)}.
set -euo pipefail
root=\${JITSI_SHARD_ROOT:-}
aws_cli=\${JITSI_AWS_CLI:-aws}
read -r -a nginx_test <<<"\${JITSI_NGINX_TEST:-nginx -t -q}"
read -r -a nginx_reload <<<"\${JITSI_NGINX_RELOAD:-systemctl reload nginx}"
read -r -a jicofo_restart <<<"\${JITSI_JICOFO_RESTART:-systemctl restart jicofo}"
region=${word(values.region)}
template="$root${p.jicofoConfTemplate}"
region_map="$root${p.nginxRegionMap}"
jicofo_conf="$root${p.jicofoConf}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "$aws_cli" ssm get-parameter --region "$region" --name ${word(settingsParameter)} \\
  --query Parameter.Value --output text >"$work/settings.json"; then
  echo "jitsi-shard-settings-agent: could not read ${word(settingsParameter)}; nothing changed" >&2
  exit 1
fi
if ! jq -e --arg t "${p.jicofoConfTemplate}" --arg m "${p.nginxRegionMap}" \\
  '.version == ${SHARD_SETTINGS_VERSION} and (.files | type == "object") and (.files[$t] | type == "string") and (.files[$m] | type == "string")' \\
  "$work/settings.json" >/dev/null 2>&1; then
  echo "jitsi-shard-settings-agent: ${word(settingsParameter)} is not valid shard settings (version ${SHARD_SETTINGS_VERSION}); nothing changed" >&2
  exit 1
fi
jq -j --arg t "${p.jicofoConfTemplate}" '.files[$t]' "$work/settings.json" >"$work/template"
jq -j --arg m "${p.nginxRegionMap}" '.files[$m]' "$work/settings.json" >"$work/region-map"

if ! [ -f "$region_map" ] || ! cmp -s "$work/region-map" "$region_map"; then
  mkdir -p "$(dirname "$region_map")"
  if [ -f "$region_map" ]; then cp -p "$region_map" "$work/region-map.old"; fi
  install -m 0644 "$work/region-map" "$region_map"
  if ! "\${nginx_test[@]}" >"$work/nginx-test.log" 2>&1; then
    echo "jitsi-shard-settings-agent: nginx rejects the new region map; keeping the old one:" >&2
    cat "$work/nginx-test.log" >&2
    if [ -f "$work/region-map.old" ]; then install -m 0644 "$work/region-map.old" "$region_map"; fi
    exit 1
  fi
  "\${nginx_reload[@]}"
  echo "jitsi-shard-settings-agent: applied a new region map"
fi

if ! [ -f "$template" ] || ! cmp -s "$work/template" "$template" || ! [ -f "$jicofo_conf" ]; then
  mkdir -p "$(dirname "$template")"
  install -m 0644 "$work/template" "$template"
  password=$("$aws_cli" ssm get-parameter --region "$region" --with-decryption \\
    --name ${word(values.parameters.jicofoPassword)} --query Parameter.Value --output text)
  jq --arg password "$password" '${word(JICOFO_PASSWORD_JQ_PATH)} = $password' "$template" >"$work/jicofo.conf"
  unset password
  chmod 0640 "$work/jicofo.conf"
  chown root:jicofo "$work/jicofo.conf" 2>/dev/null || true
  mv -f "$work/jicofo.conf" "$jicofo_conf"
  "\${jicofo_restart[@]}"
  echo "jitsi-shard-settings-agent: applied new jicofo settings"
fi
`;
}

export function renderShardSettingsUnits(): { service: string; timer: string } {
  return {
    service: `[Unit]
Description=Apply this Jitsi shard's settings from SSM
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=${SHARD_PATHS.settingsAgent}
`,
    timer: `[Unit]
Description=Follow this Jitsi shard's settings in SSM

[Timer]
OnBootSec=60s
OnUnitActiveSec=60s
AccuracySec=5s

[Install]
WantedBy=timers.target
`,
  };
}
