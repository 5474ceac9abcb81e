import type { CreateEscrowInput } from "./create-input";
import { ValidationError } from "./errors";
import type { FieldError } from "./kinds/kind";
import { DEFAULT_KIND, KIND_MODULES, NO_KIND_TERMS, windowKeysOf, withDefaults } from "./kinds/registry";
import type { EscrowTerms, KindTerms } from "./types";

/**
 * The rules of a kind for the terms of a new escrow, beyond the body's shape:
 * which fields and windows the kind has, and its own rules (its module's
 * `terms`). Each broken rule is a 400 naming its field.
 */
export function kindTerms(
  input: CreateEscrowInput,
  now: Date,
): Pick<EscrowTerms, "kind" | "windows"> & KindTerms {
  const kind = input.kind ?? DEFAULT_KIND;
  const errors: FieldError[] = [];
  const windows = windowKeysOf(kind);
  for (const key of Object.keys(input.windows ?? {}))
    if (!(windows as string[]).includes(key))
      errors.push({
        path: `windows.${key}`,
        message: `is not a window of kind ${kind} (${windows.join(", ")})`,
      });
  let own = {};
  for (const other of Object.values(KIND_MODULES)) {
    if (other.name === kind) own = other.terms(input, now, errors);
    else
      for (const field of other.createFields)
        if (input[field] !== undefined)
          errors.push({ path: field, message: `is not a field of kind ${kind}` });
  }
  if (errors.length > 0) throw new ValidationError(`The terms do not fit an escrow of kind ${kind}.`, errors);
  return { kind, windows: withDefaults(kind, input.windows), ...NO_KIND_TERMS, ...own };
}
