import { ApiError, call, newKey } from "./api";
import { field, h, select } from "./dom";
import { money, parseMajor, words } from "./format";
import { type OpsEscrow, REASON_CODES } from "./types";
import { clearMessages, explain, showError, showStatus } from "./ui";

interface Preview {
  paidToSeller: number;
  refundedToBuyer: number;
  platformFee: number;
}

/**
 * The form named Decision: Outcome, Refund amount (a split's, typed in major
 * units), Reason and Note; Preview asks the service what the decision would
 * move and shows its three sums; only then Confirm decides. Changing the form
 * after a preview asks for a new one. A conflict (someone decided first) is
 * said in the alert, and the page reloads the escrow as it now is.
 */
export function decisionForm(escrow: OpsEscrow, reload: () => Promise<void>): HTMLFormElement {
  const outcome = select("outcome", [
    ["release", "release"],
    ["refund", "refund"],
    ["split", "split"],
  ]);
  const refundAmount = h("input", {
    type: "text",
    name: "refundAmount",
    inputmode: "decimal",
    autocomplete: "off",
  });
  const reason = select("reasonCode", [
    ["", "Choose a reason"],
    ...REASON_CODES.map((c): [string, string] => [c, words(c)]),
  ]);
  reason.required = true;
  const note = h("textarea", { name: "note", rows: "3", maxlength: "1000", required: true });
  const sums = h("div", { class: "preview", "aria-live": "polite" });
  const confirm = h("button", { type: "button", hidden: true }, "Confirm");
  let previewed: { body: Record<string, unknown>; key: string } | null = null;

  const readBody = (): Record<string, unknown> | null => {
    if (!reason.value) {
      showError("Choose a reason for the decision.");
      reason.focus();
      return null;
    }
    if (!note.value.trim()) {
      showError("Write a note: why this decision.");
      note.focus();
      return null;
    }
    const body: Record<string, unknown> = {
      outcome: outcome.value,
      reasonCode: reason.value,
      note: note.value.trim(),
    };
    if (outcome.value === "split") {
      const parsed = parseMajor(refundAmount.value, escrow.currency);
      if ("error" in parsed) {
        showError(`Refund amount: ${parsed.error}`);
        refundAmount.focus();
        return null;
      }
      body.refundAmount = parsed.minor;
    }
    return body;
  };

  const stale = () => {
    previewed = null;
    confirm.hidden = true;
    sums.replaceChildren();
  };

  const conflict = async (error: unknown) => {
    showError(explain(error, "Someone else decided this escrow first; nothing was changed by you."));
    if (error instanceof ApiError && error.problem.status === 409) await reload().catch(() => {});
  };

  const preview = async () => {
    clearMessages();
    const body = readBody();
    if (!body) return;
    try {
      const { body: p } = await call<Preview>("POST", `v1/ops/escrows/${escrow.id}/resolution-preview`, body);
      previewed = { body, key: newKey() };
      sums.replaceChildren(
        h("h3", {}, "Preview"),
        h(
          "dl",
          {},
          h("dt", {}, "Paid to seller"),
          h("dd", {}, money(p.paidToSeller, escrow.currency)),
          h("dt", {}, "Refunded to buyer"),
          h("dd", {}, money(p.refundedToBuyer, escrow.currency)),
          h("dt", {}, "Platform fee"),
          h("dd", {}, money(p.platformFee, escrow.currency)),
        ),
      );
      confirm.hidden = false;
      confirm.focus();
    } catch (error) {
      await conflict(error);
    }
  };

  confirm.addEventListener("click", async () => {
    if (!previewed) return;
    clearMessages();
    const { body, key } = previewed;
    try {
      await call("POST", `v1/ops/escrows/${escrow.id}/resolution`, body, { "Idempotency-Key": key });
      showStatus(`Decision recorded: ${String(body.outcome)}.`);
      await reload();
    } catch (error) {
      await conflict(error);
    }
  });

  const form = h(
    "form",
    {
      "aria-label": "Decision",
      class: "decision",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void preview();
      },
    },
    h("h2", {}, "Decision"),
    field("Outcome", outcome),
    field(
      "Refund amount",
      refundAmount,
      `For a split: what goes back to the buyer, in ${escrow.currency}, of ${money(escrow.held, escrow.currency)} held.`,
    ),
    field("Reason", reason),
    field("Note", note),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Preview"), confirm),
    sums,
  );
  for (const control of [outcome, refundAmount, reason, note]) {
    control.addEventListener("input", stale);
    control.addEventListener("change", stale);
  }
  return form;
}
