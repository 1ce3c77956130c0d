import packageJson from "../package.json" with { type: "json" };

/** Runbook's version, from package.json, embedded at build time. */
export const RUNBOOK_VERSION: string = packageJson.version;
