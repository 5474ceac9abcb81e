import type { ZodMiniType } from "zod/mini";
import type { $ZodRawIssue as RawIssue, $ZodError as ZodError } from "zod/v4/core";
import { type FieldError, ValidationError } from "../domain/errors";

/**
 * What a refused request is told, in the API's own words. zod's default texts
 * depend on which of its builds the process loaded ("Invalid input" from the
 * mini build in a Lambda bundle, "Invalid input: expected string, received
 * undefined" where the classic build is loaded too), so every issue a schema
 * does not word itself is worded here. A schema's own message (a refinement,
 * `error:` on a check) still wins: zod applies a parse's error map only to
 * issues without one.
 */

/** The kind of a value as a person names it: "a string", "a number", "null", "an array"… */
function kindOf(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "an array";
  switch (typeof input) {
    case "string":
      return "a string";
    case "number":
      return Number.isInteger(input) ? "an integer" : "a number";
    case "boolean":
      return "true or false";
    case "object":
      return "an object";
    default:
      return typeof input;
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  record: "an object",
  date: "a date",
};

const UNITS: Record<string, (n: number) => string> = {
  string: (n) => `${n} character${n === 1 ? "" : "s"}`,
  array: (n) => `${n} item${n === 1 ? "" : "s"}`,
  set: (n) => `${n} item${n === 1 ? "" : "s"}`,
};

const list = (values: readonly unknown[]) => values.map((v) => String(v)).join(", ");

/** The message of one issue, or undefined to keep the schema's own. */
export function messageOf(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      // A query parameter coerced from text that is no number at all.
      if (typeof issue.input === "number" && Number.isNaN(issue.input)) return "must be a number";
      return `must be ${EXPECTED[issue.expected] ?? issue.expected} (not ${kindOf(issue.input)})`;
    case "too_big": {
      const unit = UNITS[issue.origin];
      const limit = Number(issue.maximum);
      if (unit) return `must be at most ${unit(limit)}`;
      return issue.inclusive === false ? `must be less than ${limit}` : `must be at most ${limit}`;
    }
    case "too_small": {
      const unit = UNITS[issue.origin];
      const limit = Number(issue.minimum);
      if (issue.origin === "string" && limit === 1) return "must not be empty";
      if (unit) return `must be at least ${unit(limit)}`;
      return issue.inclusive === false ? `must be greater than ${limit}` : `must be at least ${limit}`;
    }
    case "invalid_value":
      if (issue.input === undefined) return "is required";
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${list(issue.values)}`;
    case "not_multiple_of":
      return Number(issue.divisor) === 1 ? "must be an integer" : `must be a multiple of ${issue.divisor}`;
    case "invalid_format":
      return issue.format === "regex" ? "has an invalid format" : `must be a valid ${issue.format}`;
    case "invalid_union":
      return "is not any of the accepted shapes";
    case "invalid_key":
      return "has an invalid key";
    case "invalid_element":
      return "has an invalid element";
    default:
      return undefined;
  }
}

/** Parses with the API's wording for every issue the schema does not word itself. */
export function parseWithOurWords<T>(schema: ZodMiniType<T>, value: unknown) {
  return schema.safeParse(value, { error: (issue) => messageOf(issue) });
}

export interface FieldErrorOptions {
  /** What an unknown member is called: "field" in a body, "query parameter" in a query. */
  unknownKey?: string;
  /** The path given to an issue about the whole value. */
  rootPath?: string;
}

/**
 * One error per problem: an issue per field (the first one zod found; a
 * value both too large and outside the safe range is one problem), and each
 * unknown member named by its own path.
 */
export function fieldErrors(error: ZodError, options: FieldErrorOptions = {}): FieldError[] {
  const unknown = options.unknownKey ?? "field";
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    errors.push({ path, message });
  };
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(base ? `${base}.${key}` : key, `is not a known ${unknown}`);
      continue;
    }
    add(base || (options.rootPath ?? "(body)"), issue.message);
  }
  return errors;
}

/** The 400 a request gets for what its schema refused. */
export function validationErrorOf(error: ZodError, options: FieldErrorOptions = {}): ValidationError {
  const errors = fieldErrors(error, options);
  return new ValidationError(
    `The request is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
    errors,
  );
}
