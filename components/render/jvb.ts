// jvb.conf for a bridge (jitsi-videobridge2), rendered as JSON (valid HOCON) and WITHOUT the per-instance relay id:
// the bootstrap writes BRIDGE_PATHS.jvbConf from BRIDGE_PATHS.jvbConfTemplate at boot with
//   jq --arg relay_id "<instance id from IMDS>" "$JVB_RELAY_ID_JQ_FILTER" <template> > <conf>
// The MUC nickname (also the instance id) is not in jvb.conf at all: the bridge starts with no XMPP connection and
// the registry agent (render/bridge-agents.ts) adds one per shard at run time through the REST API.
// Pure: no Pulumi import.
//
// Every key below was checked against the current sources of jitsi/jitsi-videobridge (abbreviated "jvb:") and
// jitsi/jicoco (abbreviated "jicoco:"); the defaults are in jvb:jvb/src/main/resources/reference.conf ("reference"),
// and the code that reads each key is named next to it.

import { PORTS } from "../ports";
import { BRIDGE_REST_PORT, type BridgeRenderValues } from "./bridge-values";

/** Where the bootstrap puts this instance's relay id (the EC2 instance id, unique among all bridges). */
export const JVB_RELAY_ID_JQ_PATH = '.videobridge.relay["relay-id"]';
/** The jq filter the bootstrap runs, with the instance id passed as `--arg relay_id "$INSTANCE_ID"`. */
export const JVB_RELAY_ID_JQ_FILTER = `${JVB_RELAY_ID_JQ_PATH} = $relay_id`;

/** Where the private REST server listens (colibri, muc-client, stats, shutdown): loopback only. */
export const JVB_REST_HOST = "127.0.0.1";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** HOCON duration ("3600 seconds"), as reference.conf writes its own ("24 hours", "1 minutes"). */
export function hoconSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`jvb.conf: a duration must be a positive whole number of seconds, got ${seconds}`);
  }
  return `${seconds} seconds`;
}

/** The jvb.conf object (without relay id); `renderJvbConfTemplate` pretty-prints it. */
export function jvbConf(values: BridgeRenderValues): Record<string, unknown> {
  if (!REGION.test(values.region)) {
    throw new Error(`jvb.conf: region ${JSON.stringify(values.region)} must match ${REGION}`);
  }
  return {
    videobridge: {
      relay: {
        // jvb:jvb/src/main/kotlin/org/jitsi/videobridge/relay/RelayConfig.kt reads videobridge.relay.enabled (after
        // the older alias videobridge.octo.enabled; default false in reference), videobridge.relay.region (optional
        // in code, "must be set when enabled" in reference: jicofo matches it against the participants' regions) and
        // videobridge.relay.relay-id (required when enabled; filled at boot, see JVB_RELAY_ID_JQ_FILTER).
        // Also jvb:doc/relay.md ("Relay configuration").
        enabled: true,
        region: values.region,
      },
      apis: {
        rest: {
          // videobridge.apis.rest.enabled (default false in reference): the COLIBRI REST API, which serves
          // /colibri/stats, /colibri/muc-client/{add,remove,list} and is required by /colibri/shutdown. Read by
          // jvb:jvb/src/main/kotlin/org/jitsi/videobridge/rest/RestConfig.kt (colibriRestEnabled). That property reads
          // the system property org.jitsi.videobridge.rest FIRST, which jvb:jvb/src/main/kotlin/org/jitsi/videobridge/
          // Main.kt sets from a `--apis=` command-line argument; the package's JVB_OPTS carry `--apis=,` (off), so the
          // bootstrap rewrites it to `--apis=rest` (see render/bridge-bootstrap.ts).
          enabled: true,
        },
        "xmpp-client": {
          // videobridge.apis.xmpp-client.configs (reference: empty), read by jvb:jvb/src/main/kotlin/org/jitsi/
          // videobridge/xmpp/config/XmppClientConnectionConfig.kt (clientConfigs; one MucClientConfiguration of
          // jicoco:jicoco-mucclient/.../MucClientConfiguration.java per entry). Empty on purpose: no connection at
          // start, one per shard added at run time (jvb:doc/rest-muc-client.md).
          //
          // The package's own default connection ("shard", to localhost) is NOT in jvb.conf: jvb:debian/postinst
          // appends org.jitsi.videobridge.xmpp.user.shard.* to sip-communicator.properties, and clientConfigs reads
          // that legacy prefix BEFORE this key. This file replaces the whole jvb.conf (nothing of the package's
          // "videobridge {}" stays), and the bootstrap comments those legacy lines out, so this empty object is what
          // the bridge starts with. The registry agent also removes any listed connection that is not a shard.
          configs: {},
        },
      },
      rest: {
        shutdown: {
          // videobridge.rest.shutdown.enabled (default false in reference; RestConfig.kt shutdownEnabledProperty,
          // effective only with the COLIBRI API above): POST /colibri/shutdown {"graceful-shutdown": true}
          // (jvb:jvb/src/main/java/org/jitsi/videobridge/rest/root/colibri/shutdown/Shutdown.java).
          enabled: true,
        },
      },
      shutdown: {
        // videobridge.shutdown.graceful-shutdown-max-duration (default "24 hours" in reference), read by
        // jvb:jvb/src/main/kotlin/org/jitsi/videobridge/shutdown/ShutdownConfig.kt and used by ShutdownManager.kt:
        // how long the bridge keeps its conferences after a graceful shutdown before it goes to SHUTTING_DOWN. The
        // same cap bounds the termination watcher, so the bridge and the lifecycle hook agree.
        "graceful-shutdown-max-duration": hoconSeconds(values.gracefulShutdownSeconds),
      },
      ice: {
        udp: {
          // videobridge.ice.udp.port (default 10000 in reference), read by jvb:jvb/src/main/kotlin/org/jitsi/
          // videobridge/ice/IceConfig.kt (port): clients' media and bridge-to-bridge relays (ICE/DTLS). Written out
          // because the security group opens exactly this port (components/ports.ts).
          port: PORTS.media.port,
        },
      },
      "http-servers": {
        private: {
          // videobridge.http-servers.private.{host,port}: jvb Main.kt builds the private server from
          // JettyBundleActivatorConfig("org.jitsi.videobridge.rest.private", "videobridge.http-servers.private")
          // (jicoco:jicoco-jetty/src/main/kotlin/org/jitsi/rest/JettyBundleActivatorConfig.kt: `host`, and `port`
          // default 8080; plain HTTP since no key-store-path is set). reference already binds it to 127.0.0.1;
          // written out because the agents depend on it and nothing else may reach it.
          host: JVB_REST_HOST,
          port: BRIDGE_REST_PORT,
        },
      },
      // No videobridge.stats.enabled: current bridges build /colibri/stats from their metrics
      // (jvb:jvb/src/main/kotlin/org/jitsi/videobridge/stats/VideobridgeStatisticsShim.kt, which includes
      // "stress_level" and "local_endpoints"); the key is gone from reference and only gated the old StatsManager.
    },
  };
}

/** jvb.conf (JSON, valid HOCON) without the relay id; see JVB_RELAY_ID_JQ_FILTER. */
export function renderJvbConfTemplate(values: BridgeRenderValues): string {
  return `${JSON.stringify(jvbConf(values), null, 2)}\n`;
}
