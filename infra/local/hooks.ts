import { LOCAL_HOOKS, type LocalHooks } from "../../functions/adapters/local-hooks";

/**
 * Lends the functions running in this process what only the local runtime
 * has (functions/adapters/local-hooks.ts): the fault point and the sandbox
 * payment ledger. Call before any handler is loaded; hooks already installed
 * are kept unless replaced.
 */
export function installLocalHooks(hooks: LocalHooks): void {
  const g = globalThis as Record<symbol, unknown>;
  g[LOCAL_HOOKS] = { ...((g[LOCAL_HOOKS] as LocalHooks | undefined) ?? {}), ...hooks };
}
