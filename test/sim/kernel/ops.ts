import type { Scheduler } from "./scheduler";

/**
 * An operation: one invocation of the service's code (an API request, a task
 * Lambda, a reconciler run). Its calls to ports park on the scheduler; an
 * operation that dies (a crash, or its Lambda's timeout) is never woken
 * again, so nothing it would have done afterwards happens.
 */
export type OpKind = "api" | "task" | "reconciler";

export class Op {
  dead = false;
  done = false;
  /** Lasting changes this operation made (an entry appended, a code used up): what "a 503 changed nothing" looks at. */
  readonly effects: string[] = [];
  /** Calls to ports so far; a planned crash happens at one of them. */
  calls = 0;
  /** Crash (die without an answer) when this call is reached, if set. */
  crashAtCall: number | null = null;

  constructor(
    readonly id: number,
    readonly kind: OpKind,
    readonly label: string,
    readonly escrowId: string | null,
    /** This invocation's clock error (Lambda hosts' clocks are not exactly the same). */
    readonly skewMs: number,
  ) {}
}

/** Parks `op` for `ms`; never resumes a dead operation. */
export function pause(scheduler: Scheduler, op: Op | null, ms: number, label: string): Promise<void> {
  return new Promise<void>((resolve) => {
    scheduler.after(ms, label, () => {
      if (!op?.dead) resolve();
    });
  });
}

/** A promise that never settles: what a dead operation's call waits on. */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
