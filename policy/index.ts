// The policy pack: `pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`) runs
// every guardrail of policies.ts on the stack, each mandatory: a violation fails the command.
// The CLI runs this file with the policy folder as its working directory (package.json there
// gives the pack's version) and resolves @pulumi/policy from the project's node_modules.

import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { RESOURCE_CHECKS, STACK_CHECKS } from "./policies";

const resourcePolicies = RESOURCE_CHECKS.map((policy): ResourceValidationPolicy => ({
  name: policy.name,
  description: policy.description,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!policy.types.includes(args.type)) return;
    for (const message of policy.check(args.type, args.props)) reportViolation(message);
  },
}));

const stackPolicies = STACK_CHECKS.map((policy): StackValidationPolicy => ({
  name: policy.name,
  description: policy.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const violation of policy.check(args.resources)) reportViolation(violation.message, violation.urn);
  },
}));

new PolicyPack("jitsi-guardrails", {
  enforcementLevel: "mandatory",
  description:
    "Guardrails of the multi-region Jitsi stack: IMDSv2, encrypted volumes, no open ports but media and HTTPS, no SSH, tags, unpinned autoscaling.",
  policies: [...resourcePolicies, ...stackPolicies],
});
