import type { EscrowState } from "../../../functions/domain/types";
import type { Random } from "../kernel/random";
import type { RouteId } from "../wiring";
import { type Deal, isoAt, windowLength } from "./deals";

/**
 * What a deal's people do next, given the escrow as it stands: the buyer,
 * the seller and ops acting as they should (an action their status allows,
 * with sensible values), and acting wrong (another party's action, one the
 * status or the kind does not allow, values out of range, a body that does
 * not parse, an Idempotency-Key reused for another request).
 */

export interface Move {
  routeId: RouteId;
  body: unknown;
  why: string;
}

const DAY = 86_400;
const ACTION_ROUTES: RouteId[] = [
  "RecordDelivery",
  "ConfirmReceipt",
  "ExtendConfirmation",
  "RequestRefund",
  "RespondToRefund",
  "OpenDispute",
  "CancelEscrow",
  "MoveOut",
  "RenewLease",
  "ClaimDeductions",
  "ReturnDeposit",
  "RespondToClaim",
  "InspectVehicle",
  "IssueHandoverCode",
  "AddEvidence",
  "ResolveEscrow",
  "RequestEvidence",
  "ResumeEscrow",
];

const held = (s: EscrowState) =>
  s.funded - s.disbursements.reduce((t, d) => t + d.paidToSeller + d.refundedToBuyer + d.platformFee, 0);

/** A body for `routeId` as `actorId` would send it, with values that make sense for the escrow now. */
export function bodyFor(
  routeId: RouteId,
  actorId: string,
  s: EscrowState,
  d: Deal,
  r: Random,
  now: number,
): unknown {
  const h = held(s);
  switch (routeId) {
    case "RecordDelivery": {
      const code = d.codes[d.codes.length - 1];
      const withCode = code && r.chance(0.85);
      return {
        actorId,
        ...(r.chance(0.5) ? { carrier: "SF", trackingNumber: `SF${r.int(1000, 9999)}` } : {}),
        ...(s.kind === "vehicle" || r.chance(0.05)
          ? { titleTransferRef: `BJ-${r.int(100000, 999999)}` }
          : {}),
        ...(withCode
          ? { handoverCode: r.chance(0.85) ? code.code : String(r.int(0, 99_999_999)).padStart(8, "0") }
          : {}),
      };
    }
    case "ConfirmReceipt":
    case "IssueHandoverCode":
      return { actorId };
    case "ExtendConfirmation":
      return { actorId, seconds: r.logUniform(1, 30 * DAY) };
    case "RequestRefund":
      return {
        actorId,
        reason: "not as described",
        ...(r.chance(0.5) ? { amount: r.int(1, Math.max(1, h)) } : {}),
      };
    case "RespondToRefund":
      return { actorId, accept: r.chance(0.5) };
    case "OpenDispute":
      return { actorId, reason: "we disagree" };
    case "CancelEscrow":
    case "MoveOut":
    case "ReturnDeposit":
      return { actorId };
    case "RenewLease": {
      const end = Date.parse(s.lease?.endsAt ?? isoAt(now));
      return {
        actorId,
        endsAt: isoAt(Math.min(end + r.logUniform(60, 365 * DAY) * 1000, now + 5 * 365 * DAY * 1000)),
      };
    }
    case "ClaimDeductions": {
      const n = r.int(1, 3);
      const total = r.chance(0.2) ? s.amount : r.int(n, Math.max(n, s.amount));
      const items = Array.from({ length: n }, (_, i) => ({
        category: r.pick(["cleaning", "damage", "unpaid_rent", "utilities", "other"]),
        amount:
          i < n - 1
            ? Math.max(1, Math.floor(total / n))
            : Math.max(1, total - (n - 1) * Math.floor(total / n)),
        description: "as photographed",
      }));
      return { actorId, items };
    }
    case "RespondToClaim": {
      const total = s.claim?.total ?? 1;
      return r.chance(0.4)
        ? { actorId, accept: true }
        : {
            actorId,
            accept: false,
            ...(r.chance(0.7) ? { acceptedAmount: r.int(0, Math.max(0, total - 1)) } : {}),
          };
    }
    case "InspectVehicle":
      return r.chance(0.65)
        ? {
            actorId,
            accept: true,
            ...(r.chance(0.2)
              ? { paymentMethod: r.pick(["pm_sandbox_ok", "pm_sandbox_decline", "pm_sandbox_unavailable"]) }
              : {}),
          }
        : { actorId, accept: false, reason: "rust on the sills" };
    case "AddEvidence":
      return { actorId, text: `statement ${r.int(1, 1_000_000)}` };
    case "ResolveEscrow": {
      const outcome = r.pick(["release", "refund", "split"] as const);
      return outcome === "split"
        ? {
            outcome,
            refundAmount: r.chance(0.9) ? r.int(1, Math.max(1, h - 1)) : r.int(1, s.amount),
            note: "decided",
          }
        : { outcome, note: "decided" };
    }
    case "ResumeEscrow":
      return { note: "dealt with" };
    case "RequestEvidence":
      return {
        from: r.pick(["buyer", "seller", "both"]),
        dueSeconds: r.int(3600, 14 * DAY),
        note: "more photos",
      };
    default:
      return { actorId };
  }
}

/**
 * What ops do with an escrow that needs them: a dispute with nothing decided yet they resolve; one
 * whose workflow kept failing (its outcome already decided, or an escrow that is no dispute) they
 * resume once its dependency is back, as the ops desk offers (API.md v1.2, `resume`).
 */
export function opsDecision(s: EscrowState): "ResolveEscrow" | "ResumeEscrow" {
  const resumable = s.attention && s.attention.reason !== "payout_rejected";
  return resumable && (s.pending || s.status !== "DISPUTED") ? "ResumeEscrow" : "ResolveEscrow";
}

/** The actions that make sense now, with who takes them and how likely they are. */
function rightMoves(s: EscrowState, d: Deal): [RouteId, "buyer" | "seller" | "ops", number][] {
  if (s.attention) return [[opsDecision(s), "ops", 1]];
  if (s.pending || s.balanceDue) return [];
  const rental = s.kind === "rental_deposit";
  switch (s.status) {
    case "RESERVED":
      return [
        ["InspectVehicle", "buyer", 6],
        ["CancelEscrow", "buyer", 1],
        ["CancelEscrow", "seller", 1],
        ["OpenDispute", "buyer", 1],
      ];
    case "FUNDED":
      return rental
        ? [
            ["MoveOut", "buyer", 4],
            ["MoveOut", "seller", 1],
            ["RenewLease", "buyer", 2],
            ["CancelEscrow", "seller", 1],
          ]
        : [
            ["RecordDelivery", "seller", 6],
            ["IssueHandoverCode", "buyer", d.codes.length === 0 ? 2 : 1],
            ["CancelEscrow", "buyer", 1],
            ["OpenDispute", "seller", 1],
          ];
    case "DELIVERED":
      return [
        ["ConfirmReceipt", "buyer", 5],
        ["ExtendConfirmation", "buyer", 1],
        ["RequestRefund", "buyer", 3],
        ["OpenDispute", "buyer", 1],
      ];
    case "REFUND_REQUESTED":
      return [
        ["RespondToRefund", "seller", 5],
        ["OpenDispute", "seller", 1],
        ["AddEvidence", "buyer", 2],
      ];
    case "DISPUTED":
      return [
        ["ResolveEscrow", "ops", 4],
        ["RequestEvidence", "ops", 1],
        ["AddEvidence", "seller", 1],
        ["AddEvidence", "buyer", 1],
      ];
    case "MOVED_OUT":
      return [
        ["ClaimDeductions", "seller", 5],
        ["ReturnDeposit", "seller", 2],
      ];
    case "CLAIMED":
      return [
        ["RespondToClaim", "buyer", 5],
        ["AddEvidence", "seller", 1],
      ];
    default:
      return [];
  }
}

export function chooseMove(
  s: EscrowState,
  d: Deal,
  r: Random,
  now: number,
  only?: RouteId,
  bias: Partial<Record<RouteId, number>> = {},
): Move {
  const idOf = (who: "buyer" | "seller" | "ops" | "stranger") =>
    who === "buyer" ? s.buyerId : who === "seller" ? s.sellerId : who === "stranger" ? `someone-${d.n}` : "";
  if (only) {
    const who =
      only === "RecordDelivery"
        ? "seller"
        : only === "ResolveEscrow" || only === "RequestEvidence" || only === "ResumeEscrow"
          ? "ops"
          : "buyer";
    return { routeId: only, body: bodyFor(only, idOf(who), s, d, r, now), why: `${who} ${only}` };
  }
  const options = rightMoves(s, d);
  if (options.length > 0 && r.chance(0.8)) {
    const weights = Object.fromEntries(
      options.map(([route, , w], i) => [`${i}`, w * (bias[route] ?? 1)]),
    ) as Record<string, number>;
    const [routeId, who] = options[Number(r.weighted(weights))] as [
      RouteId,
      "buyer" | "seller" | "ops",
      number,
    ];
    return { routeId, body: bodyFor(routeId, idOf(who), s, d, r, now), why: `${who} ${routeId}` };
  }
  if (r.chance(0.25)) return { routeId: "GetEscrow", body: undefined, why: "reads the escrow" };
  // Acting wrong: any action, by anyone, sometimes with a body that does not parse.
  const routeId = r.pick(ACTION_ROUTES);
  const who = r.pick(["buyer", "seller", "stranger"] as const);
  const body = bodyFor(routeId, idOf(who), s, d, r, now);
  if (r.chance(0.1))
    return { routeId, body: { ...(body as object), unexpected: true }, why: `${who} ${routeId} (malformed)` };
  return { routeId, body, why: `${who} ${routeId} (maybe wrong)` };
}

/** When this deal's people act next: soon, racing the deadline, within the window, late, or after a long silence. */
export function nextActionAt(s: EscrowState | null, r: Random, now: number): number {
  const deadline = s?.deadline ? Date.parse(s.deadline) : null;
  const how = r.weighted({ soon: 40, race: 25, within: 20, late: 10, jump: 5 });
  if (how === "jump") return now + r.logUniform(DAY, 3 * 365 * DAY) * 1000;
  if (deadline === null || how === "soon") return now + r.logUniform(1, 3_600) * 1000;
  if (how === "race") return Math.max(now, deadline + r.int(-120_000, 30_000));
  if (how === "within") return now + Math.floor(r.next() * Math.max(0, deadline - now));
  return Math.max(now, deadline) + windowLength(r) * 1000;
}
