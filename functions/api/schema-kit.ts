import * as z from "zod/mini";
import { MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS } from "../domain/windows";

/**
 * The building blocks of the request schemas (schemas.ts): documented,
 * side-effect-free builders of text, amounts, instants and windows, so that
 * every schema words its checks and its documentation the same way.
 */

export type Doc = { id?: string; description?: string; example?: unknown };
/**
 * Builds a top-level schema. Marked free of side effects (zod's builders are
 * not known to esbuild as such), so a bundle that does not use a schema does
 * not build it at cold start, nor carry its code.
 */
/* @__NO_SIDE_EFFECTS__ */ export const schema = <S>(build: () => S): S => build();

/* @__NO_SIDE_EFFECTS__ */ export const doc = <S extends z.ZodMiniType>(schema: S, meta: Doc): S => {
  z.globalRegistry.add(schema, meta);
  return schema;
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
/** Half of a surrogate pair without its other half: JSON allows it (`"\ud800"`), UTF-8 cannot encode it. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A check function, not a pattern, so the gateway's models (draft-4 patterns) never see it. */
/* @__NO_SIDE_EFFECTS__ */ export const wellFormed = () =>
  z.refine<string>((s) => !LONE_SURROGATE.test(s), "must not contain lone surrogates (invalid Unicode)");

/* @__NO_SIDE_EFFECTS__ */ export const text = (max: number) =>
  z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(max),
      z.regex(NO_CONTROL_CHARACTERS, "must not contain control characters"),
      wellFormed(),
    );

/**
 * An optional text field: absent and null both mean "not given" (API.md's
 * choice: optional text fields may be null), so the parsed body has no nulls —
 * the same request hashes the same either way, and it fits the domain's
 * commands.
 */
/* @__NO_SIDE_EFFECTS__ */ export const optionalText = (max: number) =>
  z.pipe(
    z.nullish(text(max)),
    z.transform((value: string | null | undefined) => value ?? undefined),
  );

/* @__NO_SIDE_EFFECTS__ */ export const partyId = (description: string) =>
  doc(text(128), { description, example: "u-1001" });

/**
 * Worded only when the value is not an integer at all: an integer out of range gets the range's
 * own message (functions/api/validation-messages.ts), once.
 */
export const minorUnitsType = (issue: { code: string }) =>
  issue.code === "invalid_type" ? "must be an integer number of minor units" : undefined;

/* @__NO_SIDE_EFFECTS__ */ export const minorUnits = (description: string) =>
  doc(
    z
      .int({ error: minorUnitsType })
      .check(z.positive("must be greater than 0"), z.maximum(Number.MAX_SAFE_INTEGER)),
    { description, example: 12999 },
  );

/* @__NO_SIDE_EFFECTS__ */ export const windowSeconds = () =>
  doc(z.int().check(z.minimum(MIN_WINDOW_SECONDS), z.maximum(MAX_WINDOW_SECONDS)), {
    description: "Seconds, from 1 second to 90 days.",
  });

/** An ISO 8601 date and time, with `Z` or an offset; kept as the UTC instant it names. */
/* @__NO_SIDE_EFFECTS__ */ export const instant = (description: string, example: string) =>
  doc(
    z.pipe(
      z.iso.datetime({
        offset: true,
        // A missing or non-text value gets the general wording ("is required"); a malformed one this.
        error: (issue) =>
          issue.code === "invalid_format"
            ? "must be an ISO 8601 date and time, e.g. 2026-12-01T00:00:00Z"
            : undefined,
      }),
      z.transform((value: string) => new Date(value).toISOString()),
    ),
    { description, example },
  );

/* @__NO_SIDE_EFFECTS__ */ export const actorId = () =>
  partyId("The user the marketplace acts for: the buyer or the seller of the escrow.");
/* @__NO_SIDE_EFFECTS__ */ export const note = () => optionalText(1000);

/** A timestamp the API answers with (the resource's fields, for the OpenAPI document). */
/* @__NO_SIDE_EFFECTS__ */ export const timestamp = () =>
  doc(z.string(), { description: "ISO 8601 UTC timestamp.", example: "2026-12-05T10:00:00.000Z" });

/** An amount the API answers with, in minor units (the resource's fields, for the OpenAPI document). */
/* @__NO_SIDE_EFFECTS__ */ export const amount = () => z.int().check(z.minimum(0));

/** A reference to a file the marketplace keeps (dispute evidence, a claim item's proof). */
/* @__NO_SIDE_EFFECTS__ */ const attachment = () =>
  z.strictObject({
    name: text(255),
    contentType: doc(
      z
        .string()
        .check(
          z.minLength(3),
          z.maxLength(255),
          z.regex(/^[\w.+-]+\/[\w.+-]+$/, "must be a media type, e.g. image/jpeg"),
        ),
      { example: "image/jpeg" },
    ),
    sha256: doc(z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex characters")), {
      description: "The SHA-256 of the file, which stays with the marketplace.",
    }),
    uri: doc(
      z
        .string()
        .check(
          z.maxLength(2048),
          z.regex(/^https:\/\/[^\s/$.?#][^\s]*$/, "must be an https: URL"),
          wellFormed(),
        ),
      { example: "https://files.example.com/claims/kitchen.jpg" },
    ),
  });

export const AttachmentsInput = schema(() =>
  doc(z.array(attachment()).check(z.maxLength(10)), {
    id: "Attachments",
    description: "Up to 10 references to files the marketplace keeps, each with its SHA-256.",
  }),
);
