// Shell fragments every node's first-boot script shares: instance metadata through IMDSv2, apt
// that waits out first-boot locks, and Jitsi's apt repository. One place, so that the signalling
// node, the bridges and the edge nodes fetch and install the same way. Pure: no Pulumi import.

/** `imds <path>`: a metadata read with a fresh IMDSv2 session token (the instances refuse v1). */
export function imdsFunction(): string[] {
  return [
    "# Instance metadata through IMDSv2 only (the instance refuses v1): a session token per call.",
    "imds() {",
    "  local token",
    '  token=$(curl -fsS --max-time 5 -X PUT "http://169.254.169.254/latest/api/token" \\',
    '    -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    '  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"',
    "}",
  ];
}

/** `apt_get …`: apt-get, retried while another apt (unattended-upgrades at first boot) holds the lock. */
export function aptGetFunction(logPrefix: string): string[] {
  return [
    "# apt, retried while another apt (unattended-upgrades at first boot) holds the lock.",
    "apt_get() {",
    "  local attempt",
    "  for attempt in 1 2 3 4 5 6 7 8 9 10; do",
    '    if apt-get -o DPkg::Lock::Timeout=120 "$@"; then return 0; fi',
    `    echo "${logPrefix}: apt-get $1 failed (attempt $attempt), retrying"`,
    "    sleep 15",
    "  done",
    "  return 1",
    "}",
  ];
}

/** Jitsi's stable repository, signed with Jitsi's key (needs curl and gnupg installed first). */
export function jitsiAptRepository(): string[] {
  return [
    "# Jitsi's stable repository, signed with Jitsi's key.",
    "curl -fsSL --retry 5 https://download.jitsi.org/jitsi-key.gpg.key |",
    "  gpg --dearmor --yes -o /usr/share/keyrings/jitsi-keyring.gpg",
    'echo "deb [signed-by=/usr/share/keyrings/jitsi-keyring.gpg] https://download.jitsi.org stable/" \\',
    "  >/etc/apt/sources.list.d/jitsi-stable.list",
  ];
}

/**
 * The SSM agent, which Session Manager and Run Command need (operators never use SSH) and which
 * Debian's images do not carry: AWS's package for the instance's architecture, from the region's
 * own bucket. Needs `$REGION` set and curl installed.
 */
export function ssmAgentInstall(logPrefix: string): string[] {
  return [
    "# The SSM agent (Session Manager, Run Command): AWS's package, from this region's bucket.",
    "if ! systemctl is-active --quiet amazon-ssm-agent; then",
    '  ssm_deb="https://s3.$REGION.amazonaws.com/amazon-ssm-$REGION/latest/debian_$(dpkg --print-architecture)/amazon-ssm-agent.deb"',
    '  if curl -fsSL --retry 5 -o /tmp/amazon-ssm-agent.deb "$ssm_deb" && dpkg -i /tmp/amazon-ssm-agent.deb; then',
    "    systemctl enable --now amazon-ssm-agent",
    "  else",
    `    echo "${logPrefix}: could not install the SSM agent from $ssm_deb; Session Manager will not reach this node"`,
    "  fi",
    "  rm -f /tmp/amazon-ssm-agent.deb",
    "fi",
  ];
}
