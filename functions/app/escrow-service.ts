import type { CreateEscrowInput } from "../domain/create-input";
import {
  DependencyUnavailableError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  NotFoundError,
  ValidationError,
} from "../domain/errors";
import {
  type ActionCommand,
  decideAction,
  describeEntry,
  type Entry,
  evolve,
  fold,
  initialState,
  toView,
} from "../domain/escrow";
import { escrowIdFor, IDEM_TAG_DIGITS, idemTag, keyHash } from "../domain/ids";
import { kindTerms } from "../domain/terms";
import type { EscrowTerms, EscrowView, OpsUser } from "../domain/types";
import { executionNames, INITIAL_STEP } from "../domain/workflow-step";
import type {
  EscrowRecord,
  EscrowStore,
  EvidenceRecord,
  HandoverRecord,
  ListFilter,
} from "../ports/escrow-store";
import type { PaymentProvider } from "../ports/payment-provider";
import type { WorkflowEngine } from "../ports/workflow";
import { mayHaveTakenEffect } from "../ports/write-outcome";
import { logger } from "../shared/logger";
import { evidenceInOrder, toEvidenceItem } from "./evidence";
import { checkHandoverCode, useHandoverCode } from "./handover";
import { IDEMPOTENCY_TTL_SECONDS, rememberAnswer } from "./idempotency";
import { pauseBeforeRetry } from "./pause";
import { readable, readEscrow } from "./readable";
import { transact } from "./transact";
import { continueFromRecord } from "./workflow-handoff";
import { OutcomeUnknownError } from "./write-outcome";

/** What a use case may need; each takes only the ports it uses. */
export interface ServiceDeps {
  store: EscrowStore;
  workflow: WorkflowEngine;
  payments: PaymentProvider;
  now: () => Date;
}
type ReadDeps = Pick<ServiceDeps, "store" | "now">;
type WriteDeps = Pick<ServiceDeps, "store" | "workflow" | "now">;

export interface IdempotentRequest {
  key: string;
  requestHash: string;
}

export interface Answer {
  statusCode: number;
  escrow: EscrowView;
  replayed: boolean;
}

export { IDEMPOTENCY_TTL_SECONDS };
/**
 * A request whose effect is recorded but whose answer is not, and that is
 * older than this, died mid-way (API Lambdas time out after 10 s): a retry with
 * the same key finishes it instead of waiting for it.
 */
export const TAKEOVER_AFTER_MS = 15_000;

const snapshot = (record: EscrowRecord, version?: number) => fold(record.terms, record.history, version);

export async function getEscrow(deps: ReadDeps, tenantId: string, escrowId: string): Promise<EscrowView> {
  return toView(snapshot(await readEscrow(deps, tenantId, escrowId)));
}

export async function listEscrows(
  deps: ReadDeps,
  tenantId: string,
  filter: ListFilter,
): Promise<{ items: EscrowView[]; nextCursor: string | null }> {
  const page = await deps.store.escrows.list(tenantId, filter);
  return { items: page.items.filter(readable).map((r) => toView(snapshot(r))), nextCursor: page.nextCursor };
}

/**
 * The escrow's history: one entry per transition and accepted action, with
 * the evidence the parties added in its place among them (after the version
 * of the escrow it was added at), oldest first.
 */
export async function listHistory(deps: ReadDeps, tenantId: string, escrowId: string) {
  const record = await readEscrow(deps, tenantId, escrowId);
  const evidence = await evidenceInOrder(deps.store, { tenantId, escrowId });
  let state = initialState(record.terms);
  const items: {
    at: string;
    type: string;
    actor: string;
    opsUser?: OpsUser;
    data: unknown;
    version?: number;
  }[] = [];
  const evidenceUpTo = (version: number) => {
    while (evidence.length > 0 && (evidence[0] as EvidenceRecord).version <= version) {
      const e = evidence.shift() as EvidenceRecord;
      items.push({ at: e.at, type: "evidence_added", actor: e.by, data: toEvidenceItem(e) });
    }
  };
  for (const e of record.history) {
    evidenceUpTo(e.v - 1);
    const before = state;
    state = evolve(state, e);
    // One entry per transition and accepted action (API.md): the intent to settle is the service's
    // own bookkeeping before it calls the provider, not something that happened to the escrow.
    if (INTERNAL_ENTRIES.has(e.type)) continue;
    items.push({
      at: e.at,
      type: e.type,
      actor: e.actor,
      // An ops action names who acted (API.md v1.2).
      ...(e.opsUser ? { opsUser: e.opsUser } : {}),
      data: describeEntry(before, state, e),
      version: e.v,
    });
  }
  evidenceUpTo(Number.POSITIVE_INFINITY);
  return { items };
}

const INTERNAL_ENTRIES: ReadonlySet<string> = new Set(["settling"]);

// ---------------------------------------------------------------- creation

export async function createEscrow(
  deps: WriteDeps & Pick<ServiceDeps, "payments"> & { cellId?: string | null },
  tenantId: string,
  input: CreateEscrowInput,
  idem: IdempotentRequest,
): Promise<Answer> {
  const now = deps.now();
  const kHash = keyHash(tenantId, idem.key);
  const replay = await replayIfCompleted(deps, tenantId, kHash, idem);
  if (replay) return replay;

  acceptedPaymentMethod(deps.payments, input.paymentMethod);

  const kindOf = kindTerms(input, now);
  const terms: EscrowTerms = {
    tenantId,
    id: escrowIdFor(tenantId, idem.key, deps.cellId),
    ...kindOf,
    buyerId: input.buyerId,
    sellerId: input.sellerId,
    amount: input.amount,
    currency: input.currency,
    fee: input.fee ?? 0,
    paymentMethod: input.paymentMethod,
    description: input.description ?? null,
    listingRef: input.listingRef ?? null,
    metadata: input.metadata ?? {},

    createdAt: now.toISOString(),
  };
  const created: Entry = {
    type: "created",
    actor: "marketplace",
    data: {},
    v: 1,
    at: terms.createdAt,
    idem: idemTag(kHash, idem.requestHash),
  };
  const record: EscrowRecord = { terms, history: [created] };

  if (!(await createOnce(deps, record))) {
    const existing = await deps.store.escrows.get(tenantId, terms.id);
    if (!existing) throw new IdempotencyInProgressError();
    return finishAbandoned(deps, existing, existing.history[0], kHash, idem, 201);
  }
  // The escrow is recorded, provisional: confirmed (readable), then started — if Step Functions refuses,
  // the reconciler starts it, so the answer is 201 all the same; if it cannot be confirmed, 503, nothing held.
  await startFirst(deps, tenantId, terms.id);
  await remember(deps, tenantId, kHash, idem, terms.id, 1, 201);
  return { statusCode: 201, escrow: toView(snapshot(record)), replayed: false };
}

/** 400 for a payment method the configured provider does not take (create's, and an action's that names one). */
function acceptedPaymentMethod(
  payments: Pick<PaymentProvider, "acceptsPaymentMethod"> | undefined,
  paymentMethod: string,
): void {
  if (payments && !payments.acceptsPaymentMethod(paymentMethod))
    throw new ValidationError("The payment method is not accepted by the configured payment provider.", [
      {
        path: "paymentMethod",
        message: "must be a pm_sandbox_… value while the sandbox provider is configured",
      },
    ]);
}

// ---------------------------------------------------------------- actions

export async function performAction(
  deps: WriteDeps & { payments?: Pick<PaymentProvider, "acceptsPaymentMethod"> },
  tenantId: string,
  escrowId: string,
  command: ActionCommand,
  idem?: IdempotentRequest,
  /** The ops user behind an ops action: recorded on its entry (API.md v1.2, "Every ops action says who"). */
  by?: OpsUser,
): Promise<Answer> {
  // An action naming a payment method (a car's inspection, for its balance) follows create's rule: one the
  // provider does not take is 400, checked with the body's shape (API.md v1.2).
  if ("paymentMethod" in command && typeof command.paymentMethod === "string")
    acceptedPaymentMethod(deps.payments, command.paymentMethod);
  const kHash = idem ? keyHash(tenantId, idem.key) : undefined;
  if (idem && kHash) {
    const replay = await replayIfCompleted(deps, tenantId, kHash, idem);
    if (replay) return replay;
  }
  const tag = idem && kHash ? idemTag(kHash, idem.requestHash) : undefined;
  let code: HandoverRecord | null = null;
  if (command.action === "delivery" && command.handoverCode !== undefined) {
    // The code is checked before the delivery is recorded (422 when it is not valid) and used up after.
    const record = await readEscrow(deps, tenantId, escrowId);
    const earlier =
      kHash && record.history.find((e) => e.idem?.startsWith(`${kHash.slice(0, IDEM_TAG_DIGITS)}.`));
    if (!earlier) code = await checkHandoverCode(deps, snapshot(record), command);
  }
  const result = await transact<Answer>(deps, { tenantId, escrowId }, async (state, record, now) => {
    if (!readable(record)) throw new NotFoundError();
    if (idem && kHash) {
      const earlier = record.history.find((e) => e.idem?.startsWith(`${kHash.slice(0, IDEM_TAG_DIGITS)}.`));
      if (earlier) return { done: await finishAbandoned(deps, record, earlier, kHash, idem, 202) };
    }
    const draft = decideAction(state, command, now);
    const signed = by && draft.actor === "ops" ? { ...draft, opsUser: by } : draft;
    return { append: signed, ...(tag ? { idem: tag } : {}) };
  });
  if ("done" in result) return result.done;
  if (code) await useHandoverCode(deps, { tenantId, escrowId }, code);
  await handOff(deps, result.record);
  if (idem && kHash) await remember(deps, tenantId, kHash, idem, escrowId, result.entry.v, 202);
  return { statusCode: 202, escrow: toView(result.state), replayed: false };
}

/**
 * Writes a new escrow; false when one with its id exists. A write whose answer
 * was lost (it may have taken effect) is read back: if the escrow is there
 * with this request's creation entry, it was this write.
 */
async function createOnce(deps: WriteDeps, record: EscrowRecord): Promise<boolean> {
  // The answer must say whether the escrow exists: while the store leaves it unknown (a write whose
  // answer was lost, then a read-back that fails too), ask again, within the API's time budget.
  const { tenantId, id } = record.terms;
  const mine = (found: EscrowRecord | null | undefined) =>
    found?.history[0]?.idem === record.history[0]?.idem && found?.history[0]?.at === record.history[0]?.at;
  let lastError: unknown;
  let ambiguous = false;
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      if (await deps.store.escrows.create(record, snapshot(record))) return true;
      // The item exists: this request's own earlier attempt (whose answer was lost), or another's.
      if (!ambiguous) return false;
      const found = await deps.store.escrows.get(tenantId, id);
      return mine(found);
    } catch (error) {
      lastError = error;
      ambiguous = true;
      const found = await deps.store.escrows.get(tenantId, id).catch(() => undefined);
      if (found && mine(found)) return true;
      if (found === null) throw error; // definitely not written: the 503 changes nothing
      if (attempt < 5) await pauseBeforeRetry(attempt);
    }
  }
  throw lastError;
}

/** Whether a creation's confirmation landed, read back a few times while the read fails. */
async function confirmationSeen(
  deps: WriteDeps,
  tenantId: string,
  escrowId: string,
): Promise<"confirmed" | "provisional" | "unknown"> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const record = await deps.store.escrows.get(tenantId, escrowId);
      if (record) return record.marks?.provisional ? "provisional" : "confirmed";
      return "unknown";
    } catch (error) {
      logFailure("reading back a confirmation", escrowId, error);
      await pauseBeforeRetry(attempt);
    }
  }
  return "unknown";
}

/**
 * Undoes confirmations that may have landed unseen, trying a few times (the
 * store was failing); whether one of these writes was taken.
 */
async function unconfirm(deps: WriteDeps, tenantId: string, escrowId: string): Promise<boolean> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      await deps.store.escrows.unconfirm(tenantId, escrowId);
      return true;
    } catch (error) {
      logFailure("undoing a confirmation", escrowId, error);
      await pauseBeforeRetry(attempt);
    }
  }
  return false;
}

/**
 * Confirms a new escrow's creation, then starts its first execution: the
 * escrow is readable, and may hold money, only once confirmed — so a creation
 * that cannot be confirmed (the store keeps failing) answers 503 and leaves
 * nothing behind (a retry of its key confirms and starts it; one never retried
 * is let go after the idempotency window) — or, if the store will not even take
 * the undoing of a confirmation that may have landed, 500: outcome unknown. Once confirmed the answer is 201
 * whatever Step Functions says: "started" by this call, "existed" (an earlier
 * request started it), or "refused" — then the reconciler starts it (asked
 * now; the creation's own mark brings it within the grace anyway).
 */
async function startFirst(
  deps: WriteDeps,
  tenantId: string,
  escrowId: string,
): Promise<"started" | "existed" | "refused"> {
  let unseen = false;
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.store.escrows.confirm(tenantId, escrowId);
      break;
    } catch (error) {
      unseen ||= mayHaveTakenEffect(error);
      if (attempt === 4) {
        if (!unseen) throw new DependencyUnavailableError("the escrow store", { cause: error });
        // One of those confirmations may have landed unseen: if one did, the escrow is carried on (201);
        // if none did, or it can be undone, the 503 leaves nothing readable.
        const seen = await confirmationSeen(deps, tenantId, escrowId);
        if (seen === "confirmed") break;
        if (seen === "provisional" || (await unconfirm(deps, tenantId, escrowId)))
          throw new DependencyUnavailableError("the escrow store", { cause: error });
        // Logged here, not carried as `cause`: a transient cause would make the answer a 503.
        logFailure("confirming the creation; its outcome is unknown", escrowId, error);
        throw new OutcomeUnknownError(
          "the escrow store failed to confirm the creation, then to undo a confirmation that may have landed",
        );
      }
      await pauseBeforeRetry(attempt);
    }
  }
  try {
    const started = await deps.workflow.start({
      tenantId,
      escrowId,
      name: executionNames.first(escrowId),
      step: INITIAL_STEP,
    });
    return started ? "started" : "existed";
  } catch (error) {
    logFailure("StartExecution", escrowId, error);
  }
  await deps.store.marks
    .requestVisit(tenantId, escrowId, deps.now().toISOString(), { requested: true })
    .catch((error) => logFailure("asking the reconciler", escrowId, error));
  return "refused";
}

/**
 * Claim, then signal: the claim is recorded; this hands the workflow the next
 * step the record dictates. The API never waits on the workflow's health: if
 * Step Functions refuses, or the step cannot be handed now, the reconciler is
 * asked to see to it (within one reconciliation period) and the action stands.
 */
export async function handOff(deps: WriteDeps, record: EscrowRecord): Promise<void> {
  const { tenantId, id } = record.terms;
  let handed: Awaited<ReturnType<typeof continueFromRecord>> | "failed" = "failed";
  try {
    handed = await continueFromRecord(deps, record);
  } catch (error) {
    logFailure("hand-off", id, error);
  }
  if (handed === "signalled" || handed === "continued" || handed === "nothing") return;
  try {
    await deps.store.marks.requestVisit(tenantId, id, deps.now().toISOString(), { requested: true });
  } catch (error) {
    // The action stands (it is recorded): a claim is due by its own write, and any other action is
    // carried out by the wait's timeout branch at the latest. The caller's answer does not wait on this.
    logFailure("asking the reconciler", id, error);
  }
}

// ---------------------------------------------------------------- idempotency

async function replayIfCompleted(
  deps: WriteDeps,
  tenantId: string,
  kHash: string,
  idem: IdempotentRequest,
): Promise<Answer | null> {
  const done = await deps.store.idempotency.get(tenantId, kHash);
  if (!done || done.expiresAt * 1000 <= deps.now().getTime()) return null;
  if (done.requestHash !== idem.requestHash) throw new IdempotencyKeyReusedError();
  const record = await deps.store.escrows.get(tenantId, done.escrowId);
  if (!record) throw new NotFoundError();
  await handOff(deps, record);
  return { statusCode: done.statusCode, escrow: toView(snapshot(record, done.version)), replayed: true };
}

/**
 * The key's effect is recorded (on `entry`) but its answer is not: either the
 * first request is still running (409), or it died before answering and this
 * retry completes it and answers as it would have.
 */
async function finishAbandoned(
  deps: WriteDeps,
  record: EscrowRecord,
  entry: Entry | undefined,
  kHash: string,
  idem: IdempotentRequest,
  statusCode: number,
): Promise<Answer> {
  if (!entry || entry.idem !== idemTag(kHash, idem.requestHash)) throw new IdempotencyKeyReusedError();
  if (deps.now().getTime() - Date.parse(entry.at) < TAKEOVER_AFTER_MS) throw new IdempotencyInProgressError();
  const { tenantId, id } = record.terms;
  // A creation takes effect when its workflow starts: if no earlier request started it (the first
  // answered 503, or died before starting it), this one does, and its answer is not a replay.
  const replayed = entry.type === "created" ? (await startFirst(deps, tenantId, id)) === "existed" : true;
  if (entry.type !== "created") await handOff(deps, record);
  await remember(deps, tenantId, kHash, idem, id, entry.v, statusCode);
  return { statusCode, escrow: toView(snapshot(record, entry.v)), replayed };
}

/** The answer of a request with a key, for its replays (TAKEOVER_AFTER_MS covers one never written). */
const remember = (
  deps: WriteDeps,
  tenantId: string,
  kHash: string,
  idem: IdempotentRequest,
  escrowId: string,
  version: number,
  statusCode: number,
) => rememberAnswer(deps, tenantId, kHash, { requestHash: idem.requestHash, escrowId, version, statusCode });

function logFailure(what: string, escrowId: string, error: unknown): void {
  logger.warn(`${what} failed; the reconciler will carry the escrow on`, { escrowId, error: String(error) });
}
