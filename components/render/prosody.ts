// The prosody snippet of a signalling node (SHARD_PATHS.prosodyShardConfig, /etc/prosody/conf.d/jitsi-shard.cfg.lua)
// and the prosodyctl commands that create the shard's accounts. Pure: no Pulumi import.
//
// What the stock packages already provide, so this snippet does not repeat it (checked against jitsi/jitsi-meet
// debian/jitsi-meet-prosody.postinst and doc/debian/jitsi-meet-prosody/prosody.cfg.lua-jvb.example, Debian 12's
// /etc/prosody/prosody.cfg.lua and prosody 0.12's core/portmanager.lua):
// - c2s on 5222 on all interfaces: neither config sets `interfaces` / `c2s_interfaces`, and prosody then binds
//   c2s to "*" and "::" (only private services such as the admin socket default to loopback).
// - TLS for auth.<domain>: the postinst generates its certificate and adds it to the VirtualHost; remote bridges
//   connect with STARTTLS and `disable_certificate_verification`.
// - The brewery: `Component "internal.auth.<domain>" "muc"` with jvb@ and focus@auth.<domain> as admins.
// - No c2s rate limit for the bridge: `unlimited_jids` holds jvb@ and focus@auth.<domain>, and the auth VirtualHost
//   loads mod_limits_exception (Debian's global `limits.c2s.rate = "10kb/s"` would otherwise throttle bridges).
// - `Include "conf.d/*.cfg.lua"` in prosody.cfg.lua (Debian ships it; the postinst adds it when missing).
// Each included file is parsed with its own environment that starts in the global section (core/configmanager.lua),
// so the options below are global even though prosody.cfg.lua includes conf.d after a VirtualHost.
// Left to the stack elsewhere: the accounts' passwords (prosodyRegisterCommands) and TCP 5222 in the security group.

import type { ShardRenderValues } from "./shard-values";
import { JICOFO_XMPP_USERNAME } from "./jicofo";

/** The bridges' account on every shard: jvb@auth.<domain>. */
export const JVB_XMPP_USERNAME = "jvb";
/** Placeholders in prosodyRegisterCommands; the bootstrap substitutes the passwords fetched from SSM. */
export const JVB_PASSWORD_TOKEN = "$JVB_PASSWORD";
export const JICOFO_PASSWORD_TOKEN = "$JICOFO_PASSWORD";

const SAFE = /^[a-z0-9.-]+$/;

/**
 * A Lua string literal. Only [a-z0-9.-] is accepted: such a value needs no escaping, and anything else
 * (quotes, backslashes, newlines, `]]`) is a bug upstream, better thrown than rendered into a broken config.
 */
export function luaString(what: string, value: string): string {
  if (!SAFE.test(value)) {
    throw new Error(`prosody config: ${what} ${JSON.stringify(value)} must match ${SAFE}`);
  }
  return `"${value}"`;
}

export function renderProsodyShardConfig(values: ShardRenderValues): string {
  const region = luaString("region", values.region);
  const shard = luaString("shardId", values.shardId);
  luaString("domain", values.domain);
  return [
    "-- Rendered by the jitsi-multiregion-aws stack: the shard's identity. Global options (this file starts in the",
    "-- global section). The stock jitsi-meet-prosody config already lets remote bridges in (c2s on all interfaces,",
    "-- auth.<domain> with TLS, the internal.auth MUC brewery, unlimited_jids): see components/render/prosody.ts.",
    "",
    "-- Read by mod_jiconop (resources/prosody-plugins/mod_jiconop.lua: disco identity server/region),",
    "-- mod_short_lived_token.lua (backend_region) and mod_measure_message_count.lua (event properties).",
    `region_name = ${region}`,
    "-- Read by mod_jiconop.lua (disco identity server/shard) and mod_measure_message_count.lua.",
    `shard_name = ${shard}`,
    "",
  ].join("\n");
}

/**
 * argv of the commands that (re)create the shard's accounts with the stack's passwords. `prosodyctl register`
 * overwrites the password of an existing account (prosody 0.12 usermanager.create_user on internal_hashed), so it
 * is idempotent and replaces the random passwords the packages' postinst scripts set. Run after
 * jitsi-meet-prosody is configured (auth.<domain> must exist). The password is an argv element: the bootstrap
 * must pass it as a quoted expansion ("$JVB_PASSWORD"), never through eval.
 */
export function prosodyRegisterCommands(values: ShardRenderValues): string[][] {
  const authDomain = `auth.${values.domain}`;
  luaString("domain", values.domain);
  return [
    ["prosodyctl", "register", JVB_XMPP_USERNAME, authDomain, JVB_PASSWORD_TOKEN],
    ["prosodyctl", "register", JICOFO_XMPP_USERNAME, authDomain, JICOFO_PASSWORD_TOKEN],
  ];
}
