/** JSON values as the workflow's data holds them, and the error of a state that ends an execution. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A copy with the JSON meaning only (what crosses a Lambda or an API boundary). */
export const toJson = (value: unknown): Json => JSON.parse(JSON.stringify(value ?? null)) as Json;

/**
 * An error as Step Functions names it. `States.Runtime` (a path that is not
 * there, a timeout that is not a positive integer) is neither retried nor
 * caught: it fails the execution.
 */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = error;
  }
}
