import * as z from "zod/mini";
import type { RouteId } from "../functions/api/routes";
import { doc } from "../functions/api/schemas";
import { EXAMPLE_EVIDENCE_REQUEST, EXAMPLE_EVIDENCE_REQUESTED } from "./openapi-examples";
import { ACTION_ERRORS, accepted, LIST_ERRORS, READ_ERRORS, type RouteDoc } from "./openapi-route-doc";
import { EscrowSchema, OpsUserSchema } from "./openapi-schemas";

/**
 * The ops routes' documentation (API.md v1.1 "The ops queue", v1.2 "Ops
 * staff: who decided, and why"): prose, answer shapes and the choices made
 * where API.md is silent.
 */

const iso = () =>
  doc(z.string(), { description: "ISO 8601 UTC timestamp.", example: "2026-12-05T10:00:00.000Z" });
const money = () => z.int().check(z.minimum(0));

export const OpsNoteSchema = doc(
  z.looseObject({
    id: doc(z.string(), { description: "Note id (`note_…`).", example: "note_5f0c9a1b2d3e4f5a6b7c8d9e" }),
    text: z.string(),
    by: OpsUserSchema,
    at: iso(),
  }),
  { id: "OpsNote", description: "An ops note: internal, never on a marketplace route nor in an event." },
);

const AssignmentChangeSchema = doc(
  z.looseObject({
    at: iso(),
    type: z.literal("assigned"),
    by: OpsUserSchema,
    assignee: doc(z.nullable(OpsUserSchema), {
      description: "Who holds the case after the change; null: nobody.",
    }),
  }),
  { id: "AssignmentChange" },
);

const opsSummaryShape = {
  needsOpsAttention: z.boolean(),
  attentionReason: z.nullable(z.string()),
  assignee: doc(z.nullable(OpsUserSchema), { description: "Who holds the case, or null." }),
  history: doc(z.array(AssignmentChangeSchema), {
    description: "Every change of who holds the case, oldest first (the last 200).",
  }),
  waitingFor: doc(z.nullable(z.enum(["buyer", "seller", "ops"])), {
    description:
      "Who must act next for the escrow to move other than by its deadline: the party of the current wait, `ops` for a dispute or an escrow that needs them; null while the service itself acts (a hold, an accepted outcome being carried out) or once terminal.",
  }),
  evidenceCount: z.looseObject({ buyer: money(), seller: money() }),
};

export const OpsQueueItemSchema = doc(
  z.intersection(EscrowSchema, z.looseObject({ ops: z.looseObject(opsSummaryShape) })),
  { id: "OpsQueueItem", description: "An escrow of the queue with its ops desk (no notes, no execution)." },
);
export const OpsQueueSchema = doc(
  z.looseObject({ items: z.array(OpsQueueItemSchema), nextCursor: z.nullable(z.string()) }),
  { id: "OpsQueue" },
);

export const OpsEscrowSchema = doc(
  z.intersection(
    EscrowSchema,
    z.looseObject({
      ops: z.looseObject({
        ...opsSummaryShape,
        executionArn: doc(z.string(), {
          example: "arn:aws:states:us-east-1:123456789012:execution:Escrow-EscrowLifecycle:esc_…",
        }),
        consoleUrl: doc(z.string(), { description: "The execution in the Step Functions console." }),
        notes: doc(z.array(OpsNoteSchema), { description: "Oldest first." }),
        execution: doc(
          z.looseObject({
            arn: z.string(),
            status: doc(
              z.nullable(
                z.enum(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]),
              ),
              {
                description:
                  "Null when Step Functions has no such execution yet, or could not be asked just now.",
              },
            ),
            startedAt: z.nullable(iso()),
            consoleUrl: doc(z.string(), {
              description:
                "The execution's page: the AWS Step Functions console in AWS; locally the ops console's execution view (`/ops/executions/{executionArn}`).",
            }),
            recent: doc(
              z.array(
                z.looseObject({
                  at: iso(),
                  type: doc(z.string(), { example: "TaskStateEntered" }),
                  state: z.optional(z.string()),
                }),
              ),
              {
                description:
                  "The execution's last 20 history events, oldest first; `state` names the state an event entered or left.",
              },
            ),
          }),
          {
            description:
              "The escrow's current workflow execution (an escrow that outlives one continues in another).",
          },
        ),
      }),
    }),
  ),
  { id: "OpsEscrow" },
);

export const ResolutionPreviewSchema = doc(
  z.looseObject({ paidToSeller: money(), refundedToBuyer: money(), platformFee: money() }),
  { id: "ResolutionPreview", description: "What the resolution would move now, in minor units." },
);

const OPS_ONLY =
  "For ops staff (`escrow/ops`): a signed-in person (authorization code with PKCE) or the ops client.";

/** A change at the ops desk (a note, an assignee): an action's errors but 409, as any status allows it. */
const DESK_ERRORS = [400, 401, 403, 404, 422, 429, 500, 503];

export const OPS_DOCS = {
  ListOpsEscrows: {
    summary: "Ops: the queue",
    description:
      "For ops staff (`escrow/ops`). Without `status` it lists what needs ops: every DISPUTED escrow and every escrow with `needsOpsAttention`, soonest deadline first (none last). `?status=X` lists every escrow in status X instead, in the same order (for a status other than DISPUTED the order holds within a page); `?needsOpsAttention=true` only those that need ops; `?assignee=me` only the caller's cases, `?assignee=none` only cases nobody holds (with `assignee` a page may hold fewer than `limit` items while `nextCursor` is set). Each item carries the `ops` object of `GET /v1/ops/escrows/{id}` without `notes`, `execution`, `executionArn` and `consoleUrl` (open the escrow for those). Eventually consistent, like every list.",
    ok: { schema: OpsQueueSchema, description: "A page of the queue." },
    errors: LIST_ERRORS,
  },
  GetOpsEscrow: {
    summary: "Ops: an escrow, its desk and its workflow",
    description:
      "For ops staff (`escrow/ops`): the escrow plus `ops`: `needsOpsAttention`, `attentionReason`; who holds the case (`assignee`, `history` of its changes), the `notes` (oldest first), who must act next (`waitingFor`), the evidence counted per party (`evidenceCount`), and the current workflow `execution` — its ARN, status, start, console link and last 20 history events, read from Step Functions (locally from the local endpoint). An escrow that outlives one execution continues in another; this names the current one, or the last one while it is parked. When Step Functions cannot be asked just now the escrow is still answered, with the execution's `status` null and no `recent` events. `executionArn` and `consoleUrl` (v1.1) name the same execution.",
    ok: { schema: OpsEscrowSchema, description: "The escrow, as ops see it." },
    errors: READ_ERRORS,
  },
  ResolveEscrow: {
    summary: "Ops resolve a dispute",
    description:
      "DISPUTED → the terminal status the final sums give. A resolution decides what is still held (`held`; for goods the amount, after a rejected rental claim the contested part): `release` all of it to the seller less the pro-rata fee, `refund` all of it to the buyer, `split` `refundAmount` (1 to held − 1) to the buyer and the rest to the seller. Once a settlement was sent to the payment provider it can only be carried out, not replaced (409). Also settles an escrow whose workflow failed and was escalated to ops (`needsOpsAttention: true`) in any non-terminal status; an escalated escrow that never held money can only be `refund` (it ends CANCELLED). Other statuses are 409. `reasonCode` (optional here; the ops console asks for it) and `note` are kept in the escrow's `resolution` (every route shows it once decided, with `decidedBy` and `decidedAt`); the history's `resolution_accepted` entry and the events the settlement causes carry `actor: \"ops\"` and `opsUser` (the signed-in user's sub and username, or the ops client's id twice). Preview first with `POST …/resolution-preview`. Same idempotency rules as the other actions.",
    ok: accepted,
    errors: ACTION_ERRORS,
    examples: {
      request: {
        split: {
          summary: "Split: 40.00 of 129.99 CNY back to the buyer",
          value: {
            outcome: "split",
            refundAmount: 4000,
            reasonCode: "damaged",
            note: "Scratched frame; both agree to 40.00 back.",
          },
        },
      },
    },
  },
  PreviewResolution: {
    summary: "Ops preview a resolution",
    description: `${OPS_ONLY} The resolution's body (\`note\` optional) → what that resolution would move now, by the same rules: \`paidToSeller\`, \`refundedToBuyer\`, \`platformFee\` in minor units (their sum is what is held; for an escrow that never held money, all 0). The same checks and problems as \`POST …/resolution\` (400, 404, 409 — a conflict if someone decided first), and it changes nothing: no entry, no event, the \`version\` stays. An \`Idempotency-Key\` is accepted and ignored: a preview is safe to repeat.`,
    ok: { schema: ResolutionPreviewSchema, description: "The three sums the resolution would move." },
    errors: [400, 401, 403, 404, 409, 429, 500, 503],
    examples: {
      request: {
        split: {
          summary: "A split of 129.99 CNY (fee 3.90)",
          value: { outcome: "split", refundAmount: 4000 },
        },
      },
      response: {
        split: {
          summary: "The seller's side pays its pro-rata fee",
          value: { paidToSeller: 8730, refundedToBuyer: 4000, platformFee: 269 },
        },
      },
    },
  },
  ResumeEscrow: {
    summary: "Ops resume an escrow that needs them",
    description: `${OPS_ONLY} For an escrow with \`needsOpsAttention\` whose cause ops have dealt with (a payout the provider refused, now fixed at the provider): clears the flag and the service tries again at once — the workflow carries on from the record (a refused payout is paid out again, under new movement keys; a wait goes on to its deadline). The history gets a \`resumed\` entry (\`note\`, \`actor: "ops"\`, \`opsUser\`); no event is published for it (the escrow's own events follow). 409 \`invalid_transition\` when the escrow does not need ops attention (or is terminal). Same idempotency rules as the other actions.`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  AddNote: {
    summary: "Ops add a note",
    description: `${OPS_ONLY} A note for the next shift (\`text\` 1–2,000 characters), in any status → 201 \`{ id, text, by, at }\`. Internal: notes appear only on ops routes (\`GET /v1/ops/escrows/{id}\`, oldest first), never on marketplace routes or in events. At most 200 an escrow: the 201st is 400 \`validation_error\` (path \`text\`). Not a transition: the escrow's \`version\` does not move. An \`Idempotency-Key\` is optional; with one, a retry replays the 201 with the same note.`,
    ok: { schema: OpsNoteSchema, description: "Added: the note (on a replay, the same note)." },
    errors: DESK_ERRORS,
  },
  AssignEscrow: {
    summary: "Ops take or let go of a case",
    description: `${OPS_ONLY} \`{ "assignee": "me" }\` makes the caller the case's assignee — also when someone else holds it (the last writer wins); \`{ "assignee": null }\` leaves it to nobody. Any status. Each change is kept in \`ops.history\` (\`{ at, type: "assigned", by, assignee }\`, oldest first, the last 200). Answers 200 with the ops view as it now is. Not a transition: the escrow's \`version\` does not move, and no event is published. An \`Idempotency-Key\` is optional; with one, a retry records nothing more and answers the ops view as it then is.`,
    ok: { schema: OpsEscrowSchema, description: "The ops view after the change." },
    errors: DESK_ERRORS,
  },
  RequestEvidence: {
    summary: "Ops ask the parties for evidence",
    description:
      "For ops staff (`escrow/ops`), in DISPUTED only: ops ask the buyer, the seller or both (`from`) for evidence by `dueAt` = now + `dueSeconds` (1 hour to 14 days). The dispute's deadline becomes the later of its current deadline and `dueAt` + 72 hours — a request never brings it earlier; the dispute's wait follows the new deadline, and so does its reminder (a new `escrow.deadline_approaching` for the new deadline). The 202 shows `dispute.evidenceRequest: { from, dueAt, note }`; a later request replaces it. The history gets an `evidence_requested` entry (data `from`, `dueAt`, `note` and, when it moved, `deadline`) and the event `escrow.evidence_requested` carries `evidenceRequest`. Not a settlement: `version` grows by one, no money moves. 409 `invalid_transition` in any other status, while an accepted resolution is pending, and once the dispute's deadline has passed. Same idempotency rules as the other actions.",
    ok: {
      schema: EscrowSchema,
      description:
        "Accepted: the escrow with `dispute.evidenceRequest` and the dispute's deadline as they now stand.",
    },
    errors: ACTION_ERRORS,
    examples: {
      request: {
        fromSeller: {
          summary: "The seller has two days",
          value: { from: "seller", dueSeconds: 172800, note: EXAMPLE_EVIDENCE_REQUEST.note },
        },
      },
      response: {
        deadlineMoved: {
          summary: "The 3-day dispute deadline moved to dueAt + 72 hours",
          value: EXAMPLE_EVIDENCE_REQUESTED,
        },
      },
    },
  },
} satisfies Partial<Record<RouteId, RouteDoc>>;
