import {
  ConcurrentUpdateError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  NotFoundError,
  ValidationError,
} from "../domain/errors";
import {
  type ActionCommand,
  apply,
  decideAction,
  describeEntry,
  type Entry,
  evolve,
  fold,
  initialState,
  toView,
} from "../domain/escrow";
import { escrowIdFor, IDEM_TAG_DIGITS, idemTag, keyHash } from "../domain/ids";
import type { CreateEscrowInput } from "../domain/schemas";
import type { EscrowTerms, EscrowView } from "../domain/types";
import { withDefaults } from "../domain/windows";
import { nextStep } from "../domain/workflow-step";
import type { EscrowRecord, EscrowStore, ListFilter } from "../ports/escrow-store";
import type { PaymentProvider } from "../ports/payment-provider";
import type { WorkflowEngine } from "../ports/workflow";

export interface ServiceDeps {
  store: EscrowStore;
  workflow: WorkflowEngine;
  payments: PaymentProvider;
  now: () => Date;
}

export interface IdempotentRequest {
  key: string;
  requestHash: string;
}

export interface Answer {
  statusCode: number;
  escrow: EscrowView;
  replayed: boolean;
}

/** Replays are kept this long (API.md: 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/**
 * A request whose effect is recorded but whose answer is not, and that is
 * older than this, died mid-way (API Lambdas time out after 10 s): a retry with
 * the same key finishes it instead of waiting for it.
 */
export const TAKEOVER_AFTER_MS = 15_000;
/** Conditional-write retries before giving up on a hot escrow. */
const MAX_ATTEMPTS = 8;

const snapshot = (record: EscrowRecord, version?: number) => fold(record.terms, record.history, version);

export async function getEscrow(deps: ServiceDeps, tenantId: string, escrowId: string): Promise<EscrowView> {
  const record = await deps.store.get(tenantId, escrowId);
  if (!record) throw new NotFoundError();
  return toView(snapshot(record));
}

export async function listEscrows(
  deps: ServiceDeps,
  tenantId: string,
  filter: ListFilter,
): Promise<{ items: EscrowView[]; nextCursor: string | null }> {
  const page = await deps.store.list(tenantId, filter);
  return { items: page.items.map((r) => toView(snapshot(r))), nextCursor: page.nextCursor };
}

export async function listHistory(deps: ServiceDeps, tenantId: string, escrowId: string) {
  const record = await deps.store.get(tenantId, escrowId);
  if (!record) throw new NotFoundError();
  let state = initialState(record.terms);
  const items = record.history.map((e) => {
    const before = state;
    state = evolve(state, e);
    return { at: e.at, type: e.type, actor: e.actor, data: describeEntry(before, state, e), version: e.v };
  });
  return { items };
}

// ---------------------------------------------------------------- creation

export async function createEscrow(
  deps: ServiceDeps,
  tenantId: string,
  input: CreateEscrowInput,
  idem: IdempotentRequest,
): Promise<Answer> {
  const now = deps.now();
  const kHash = keyHash(tenantId, idem.key);
  const replay = await replayIfCompleted(deps, tenantId, kHash, idem);
  if (replay) return replay;

  if (!deps.payments.acceptsPaymentMethod(input.paymentMethod))
    throw new ValidationError("The payment method is not accepted by the configured payment provider.", [
      {
        path: "paymentMethod",
        message: "must be a pm_sandbox_… value while the sandbox provider is configured",
      },
    ]);

  const kind = input.kind ?? "goods";
  const terms: EscrowTerms = {
    tenantId,
    id: escrowIdFor(tenantId, idem.key),
    kind,
    buyerId: input.buyerId,
    sellerId: input.sellerId,
    amount: input.amount,
    currency: input.currency,
    fee: input.fee ?? 0,
    paymentMethod: input.paymentMethod,
    description: input.description ?? null,
    listingRef: input.listingRef ?? null,
    metadata: input.metadata ?? {},
    windows: withDefaults(kind, input.windows),
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

  if (!(await deps.store.create(record, snapshot(record)))) {
    const existing = await deps.store.get(tenantId, terms.id);
    if (!existing) throw new IdempotencyInProgressError();
    return finishAbandoned(deps, existing, existing.history[0], kHash, idem, 201);
  }
  await deps.workflow.start({ tenantId, escrowId: terms.id });
  await remember(deps, tenantId, kHash, idem, terms.id, 1, 201);
  return { statusCode: 201, escrow: toView(snapshot(record)), replayed: false };
}

// ---------------------------------------------------------------- actions

export async function performAction(
  deps: ServiceDeps,
  tenantId: string,
  escrowId: string,
  command: ActionCommand,
  idem?: IdempotentRequest,
): Promise<Answer> {
  const kHash = idem ? keyHash(tenantId, idem.key) : undefined;
  if (idem && kHash) {
    const replay = await replayIfCompleted(deps, tenantId, kHash, idem);
    if (replay) return replay;
  }
  for (let attempt = 1; ; attempt++) {
    const now = deps.now();
    const record = await deps.store.get(tenantId, escrowId);
    if (!record) throw new NotFoundError();
    if (idem && kHash) {
      const earlier = record.history.find((e) => e.idem?.startsWith(`${kHash.slice(0, IDEM_TAG_DIGITS)}.`));
      if (earlier) return finishAbandoned(deps, record, earlier, kHash, idem, 202);
    }
    const state = snapshot(record);
    const draft = decideAction(state, command, now);
    const { entry, state: next } = apply(
      state,
      draft,
      now,
      idem && kHash ? idemTag(kHash, idem.requestHash) : undefined,
    );
    try {
      await deps.store.append(record, entry, state, next);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    const updated: EscrowRecord = { terms: record.terms, history: [...record.history, entry] };
    await signalWorkflow(deps, updated);
    if (idem && kHash) await remember(deps, tenantId, kHash, idem, escrowId, entry.v, 202);
    return { statusCode: 202, escrow: toView(next), replayed: false };
  }
}

/**
 * Claim, then signal: the claim is already recorded; this hands the waiting
 * workflow the next step the record dictates. A wait that has not stored its
 * token yet, or whose token has expired, catches up from the record by itself.
 */
export async function signalWorkflow(deps: ServiceDeps, record: EscrowRecord): Promise<void> {
  const wait = await deps.store.getWait(record.terms.tenantId, record.terms.id);
  if (!wait) return;
  const step = nextStep(record.terms, record.history, wait.seenVersion, deps.now());
  if (step) await deps.workflow.signal(wait.token, step);
}

// ---------------------------------------------------------------- idempotency

async function replayIfCompleted(
  deps: ServiceDeps,
  tenantId: string,
  kHash: string,
  idem: IdempotentRequest,
): Promise<Answer | null> {
  const done = await deps.store.getIdempotency(tenantId, kHash);
  if (!done || done.expiresAt * 1000 <= deps.now().getTime()) return null;
  if (done.requestHash !== idem.requestHash) throw new IdempotencyKeyReusedError();
  const record = await deps.store.get(tenantId, done.escrowId);
  if (!record) throw new NotFoundError();
  await signalWorkflow(deps, record);
  return { statusCode: done.statusCode, escrow: toView(snapshot(record, done.version)), replayed: true };
}

/**
 * The key's effect is recorded (on `entry`) but its answer is not: either the
 * first request is still running (409), or it died before answering and this
 * retry completes it and answers as it would have.
 */
async function finishAbandoned(
  deps: ServiceDeps,
  record: EscrowRecord,
  entry: Entry | undefined,
  kHash: string,
  idem: IdempotentRequest,
  statusCode: number,
): Promise<Answer> {
  if (!entry || entry.idem !== idemTag(kHash, idem.requestHash)) throw new IdempotencyKeyReusedError();
  if (deps.now().getTime() - Date.parse(entry.at) < TAKEOVER_AFTER_MS) throw new IdempotencyInProgressError();
  const { tenantId, id } = record.terms;
  if (entry.type === "created") await deps.workflow.start({ tenantId, escrowId: id });
  else await signalWorkflow(deps, record);
  await remember(deps, tenantId, kHash, idem, id, entry.v, statusCode);
  return { statusCode, escrow: toView(snapshot(record, entry.v)), replayed: true };
}

async function remember(
  deps: ServiceDeps,
  tenantId: string,
  kHash: string,
  idem: IdempotentRequest,
  escrowId: string,
  version: number,
  statusCode: number,
): Promise<void> {
  const expiresAt = Math.floor(deps.now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS;
  await deps.store.putIdempotency(tenantId, kHash, {
    requestHash: idem.requestHash,
    escrowId,
    version,
    statusCode,
    expiresAt,
  });
}
