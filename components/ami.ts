// Which machine image a node boots: Debian 12, the release whose nginx and prosody the renderers
// are tested against on this project's own machines, for the node's CPU architecture.
// Pure: no Pulumi import.

export type Architecture = "amd64" | "arm64";

/**
 * Graviton instance types carry a `g` right after the generation digit (c7g, m6gd, c6gn, t4g,
 * r8g); a7g-style `a1` is also arm64. Everything else the stack allows is x86_64.
 */
export function architectureOf(instanceType: string): Architecture {
  const family = instanceType.split(".")[0];
  return /^[a-z]+\d+g[a-z]*$/.test(family) || family === "a1" ? "arm64" : "amd64";
}

/** The public SSM parameter, published by Debian's cloud team, that names the latest Debian 12 AMI. */
export function debianAmiParameter(architecture: Architecture): string {
  return `/aws/service/debian/release/bookworm/latest/${architecture}`;
}
