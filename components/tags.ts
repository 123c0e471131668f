// The tags every resource of the stack carries. Pure: no Pulumi import.

export interface TagContext {
  readonly project: string;
  readonly stack: string;
}

/** Tags for everything in one region (the region's provider applies them as default tags). */
export function regionTags(context: TagContext, region: string): Record<string, string> {
  return { Project: context.project, Stack: context.stack, Region: region, ManagedBy: "pulumi" };
}
