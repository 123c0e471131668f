// jicofo.conf for a signalling node, rendered as JSON (valid HOCON) and WITHOUT the XMPP password: the bootstrap
// writes SHARD_PATHS.jicofoConf from SHARD_PATHS.jicofoConfTemplate at boot with
//   jq --arg password "$pw" "$JICOFO_PASSWORD_JQ_FILTER" <template> > <conf>
// Pure: no Pulumi import.
//
// Every key below was checked against the current sources of jitsi/jicofo. Since jicofo split its reference.conf per module,
// the defaults live in three files (abbreviated in the comments below):
//   common   = jicofo-common/src/main/resources/reference.conf
//   selector = jicofo-selector/src/main/resources/reference.conf
//   main     = jicofo/src/main/resources/reference.conf
// and the code that reads each key is named next to it.

import type { ShardRenderValues } from "./shard-values";
import { SHARD_LOCAL_PORTS } from "./shard-values";

/**
 * Where the bootstrap puts the XMPP client password (jicofo.xmpp.client.password, read by
 * XmppClientConnectionConfig.password in jicofo-common/src/main/kotlin/org/jitsi/jicofo/xmpp/XmppConfig.kt).
 */
export const JICOFO_PASSWORD_JQ_PATH = ".jicofo.xmpp.client.password";
/** The jq filter the bootstrap runs, with the password passed as `--arg password "$pw"`. */
export const JICOFO_PASSWORD_JQ_FILTER = `${JICOFO_PASSWORD_JQ_PATH} = $password`;

/** The jicofo account on prosody (focus@auth.<domain>), as jitsi-meet-prosody and jicofo's postinst name it. */
export const JICOFO_XMPP_USERNAME = "focus";

const SAFE = /^[a-z0-9.-]+$/;

function safe(what: string, value: string): string {
  if (!SAFE.test(value)) {
    throw new Error(`jicofo.conf: ${what} ${JSON.stringify(value)} must match ${SAFE}`);
  }
  return value;
}

/** The brewery room every bridge joins (jitsi-meet-prosody's internal MUC; jicofo's postinst uses the same JID). */
export function breweryJid(domain: string): string {
  return `JvbBrewery@internal.auth.${safe("domain", domain)}`;
}

/** The jicofo.conf object (without password); `renderJicofoConfTemplate` pretty-prints it. */
export function jicofoConf(values: ShardRenderValues): Record<string, unknown> {
  const domain = safe("domain", values.domain);
  const region = safe("region", values.region);
  const { selectionStrategy, maxBridgeParticipants } = values.octo;
  if (!Number.isInteger(maxBridgeParticipants) || (maxBridgeParticipants < 1 && maxBridgeParticipants !== -1)) {
    throw new Error(
      `jicofo.conf: maxBridgeParticipants must be a positive integer or -1, got ${maxBridgeParticipants}`,
    );
  }
  // A fresh array of fresh arrays: [] stays [], never [[]].
  const regionGroups = values.octo.regionGroups.map((group) => group.map((r) => safe("region group member", r)));

  return {
    jicofo: {
      xmpp: {
        client: {
          // XmppConfig.kt (jicofo-common/src/main/kotlin/org/jitsi/jicofo/xmpp/), defaults in common.
          enabled: true, // jicofo.xmpp.client.enabled
          hostname: "127.0.0.1", // jicofo.xmpp.client.hostname (default "localhost")
          port: 5222, // jicofo.xmpp.client.port
          domain: `auth.${domain}`, // jicofo.xmpp.client.domain: the login domain
          "xmpp-domain": domain, // jicofo.xmpp.client.xmpp-domain: pings and component discovery
          username: JICOFO_XMPP_USERNAME, // jicofo.xmpp.client.username
          "conference-muc-jid": `conference.${domain}`, // jicofo.xmpp.client.conference-muc-jid
          // jicofo.xmpp.client.client-proxy: still read (XmppClientConnectionConfig.clientProxy, used by
          // jicofo/src/main/kotlin/org/jitsi/jicofo/xmpp/ConferenceIqHandler.kt) and matched by the
          // `Component "focus.<domain>" "client_proxy"` in jitsi-meet-prosody's config; jicofo's debian/postinst
          // sets the same value on every configure.
          "client-proxy": `focus.${domain}`,
          // use-tls and disable-certificate-verification keep their defaults (true / false): jitsi-meet-prosody
          // adds auth.<domain>'s certificate to the system trust store (update-ca-certificates).
        },
        // jicofo.xmpp.trusted-domains (XmppConfig.trustedDomains; default [] in common): members of these domains may
        // declare themselves Jibri. This stack runs no Jibri. Written explicitly as a list so that jicofo's
        // postinst (which adds recorder.<domain> unless the key is already an array) leaves it alone.
        "trusted-domains": [],
      },
      bridge: {
        // BridgeConfig.kt (jicofo-selector/src/main/kotlin/org/jitsi/jicofo/bridge/), defaults in selector.
        "selection-strategy": selectionStrategy, // jicofo.bridge.selection-strategy
        "brewery-jid": breweryJid(domain), // jicofo.bridge.brewery-jid (commented out in selector: no default)
        "max-bridge-participants": maxBridgeParticipants, // jicofo.bridge.max-bridge-participants (default 80)
        // jicofo.bridge.region-groups: a list of lists of region names (BridgeConfig.regionGroups reads
        // `region-groups` from the jicofo.bridge object; commented out in selector, absent means no groups).
        "region-groups": regionGroups,
        "health-checks": {
          enabled: true, // jicofo.bridge.health-checks.enabled (default true): health-check every bridge
        },
      },
      octo: {
        // OctoConfig.kt (jicofo-common/src/main/kotlin/org/jitsi/jicofo/), defaults in common.
        enabled: true, // jicofo.octo.enabled (default false): relays between bridges, per selection-strategy
        // jicofo.octo.sctp-datachannels (default ${jicofo.sctp.enabled} = true): bridge-to-bridge control over
        // SCTP, so no relay websocket needs proxying. Read by OctoConfig.sctpDatachannels, used in
        // jicofo-selector/src/main/kotlin/org/jitsi/jicofo/bridge/colibri/Colibri2Session.kt.
        "sctp-datachannels": true,
      },
      // jicofo.local-region (JicofoConfig.localRegion in jicofo-common/src/main/kotlin/org/jitsi/jicofo/JicofoConfig.kt;
      // commented out in common), used by RegionBasedBridgeSelectionStrategy for participants without a region.
      "local-region": region,
      health: {
        // jicofo.health.enabled (HealthConfig.kt in jicofo/src/main/kotlin/org/jitsi/jicofo/health/; default FALSE in
        // main). Without it jicofo starts no JicofoHealthChecker and the REST server has no /about/health route
        // (jicofo/src/main/kotlin/org/jitsi/jicofo/ktor/Application.kt), which the edge's health check needs.
        enabled: true,
      },
      rest: {
        // jicofo/src/main/kotlin/org/jitsi/jicofo/ktor/RestConfig.kt, defaults in main (already true/8888/127.0.0.1;
        // written out because nginx's /about/health proxy depends on them).
        enabled: true, // jicofo.rest.enabled
        host: "127.0.0.1", // jicofo.rest.host
        port: SHARD_LOCAL_PORTS.jicofoRest, // jicofo.rest.port
      },
    },
  };
}

/** jicofo.conf (JSON, valid HOCON) without the XMPP password; see JICOFO_PASSWORD_JQ_FILTER. */
export function renderJicofoConfTemplate(values: ShardRenderValues): string {
  return `${JSON.stringify(jicofoConf(values), null, 2)}\n`;
}
