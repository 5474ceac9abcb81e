import { call, newKey, serviceNow } from "./api";
import { decisionForm } from "./decision-form";
import { field, h, region, select } from "./dom";
import { money, timeLeft, when, words } from "./format";
import type { EvidenceItem, HistoryItem, OpsEscrow } from "./types";
import { attempt, clearMessages, pageLink, showStatus } from "./ui";

/**
 * An escrow's page (its own address, `/ops/escrows/<id>`): a heading with its
 * id, its status as a word, the regions Money, Timeline, Evidence, Notes and
 * Workflow, and what ops can do now — Decision, Evidence request, Add note,
 * Assign to me / Unassign, Resume.
 */
export async function renderEscrow(main: HTMLElement, id: string): Promise<void> {
  const reload = async () => {
    const [view, history, evidence] = await Promise.all([
      call<OpsEscrow>("GET", `v1/ops/escrows/${id}`),
      call<{ items: HistoryItem[] }>("GET", `v1/escrows/${id}/events`),
      call<{ items: EvidenceItem[] }>("GET", `v1/escrows/${id}/evidence`),
    ]);
    const focused = document.activeElement?.closest("form")?.getAttribute("aria-label");
    main.replaceChildren(
      ...page(view.body, history.body.items, evidence.body.items, reload).filter(
        (n): n is HTMLElement => n instanceof HTMLElement,
      ),
    );
    // After an action, keep the keyboard where it was (the same form), else start at the heading.
    const again =
      focused &&
      main.querySelector<HTMLElement>(`form[aria-label="${focused}"] :is(input,select,textarea,button)`);
    (again || main.querySelector<HTMLElement>("h1"))?.focus();
  };
  main.replaceChildren(h("h1", { tabindex: "-1" }, id), h("p", {}, "Loading…"));
  await attempt(reload);
}

function page(e: OpsEscrow, history: HistoryItem[], evidence: EvidenceItem[], reload: () => Promise<void>) {
  // A dispute with nothing accepted yet; or anything that needs ops (API.md: a resolution settles an
  // escrow that needs them in any non-terminal status, unless a settlement was already sent).
  const decidable = e.needsOpsAttention || (e.status === "DISPUTED" && !e.pendingAction);
  return [
    pageLink("./", "Back to the queue", { class: "back" }),
    h("h1", { tabindex: "-1" }, e.id),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"),
      h("dd", { class: "status" }, e.status),
      h("dt", {}, "Kind"),
      h("dd", {}, words(e.kind)),
      h("dt", {}, "Buyer"),
      h("dd", {}, e.buyerId),
      h("dt", {}, "Seller"),
      h("dd", {}, e.sellerId),
      h("dt", {}, "Deadline"),
      h("dd", {}, e.deadline ? `${when(e.deadline)} (${timeLeft(e.deadline, serviceNow())} left)` : "—"),
      h("dt", {}, "Waiting for"),
      h("dd", {}, e.ops.waitingFor ?? "—"),
      h("dt", {}, "Pending"),
      h("dd", {}, words(e.pendingAction)),
      h("dt", {}, "Needs attention"),
      h("dd", {}, e.needsOpsAttention ? `yes: ${words(e.attentionReason)}` : "no"),
      h("dt", {}, "Assignee"),
      h("dd", {}, e.ops.assignee?.name ?? "nobody"),
      e.dispute && [h("dt", {}, "Dispute"), h("dd", {}, `${e.dispute.openedBy}: ${e.dispute.reason}`)],
      e.resolution && [
        h("dt", {}, "Decided"),
        h(
          "dd",
          {},
          `${e.resolution.outcome} by ${e.resolution.decidedBy.name} (${words(e.resolution.reasonCode)}): ${e.resolution.note}`,
        ),
      ],
    ),
    assignment(e, reload),
    e.needsOpsAttention && resumeForm(e, reload),
    decidable && decisionForm(e, reload),
    e.status === "DISPUTED" && !e.pendingAction && evidenceRequestForm(e, reload),
    moneyRegion(e),
    timelineRegion(history, e.currency),
    evidenceRegion(evidence, e),
    notesRegion(e, reload),
    workflowRegion(e),
  ];
}

function assignment(e: OpsEscrow, reload: () => Promise<void>) {
  const assign = (assignee: "me" | null, done: string) => async () => {
    clearMessages();
    if (
      await attempt(() =>
        call("POST", `v1/ops/escrows/${e.id}/assignment`, { assignee }, { "Idempotency-Key": newKey() }),
      )
    ) {
      await attempt(reload);
      showStatus(done);
    }
  };
  return h(
    "div",
    { class: "actions" },
    h("button", { type: "button", onclick: assign("me", "Assigned to you.") }, "Assign to me"),
    h("button", { type: "button", onclick: assign(null, "Unassigned.") }, "Unassign"),
  );
}

function resumeForm(e: OpsEscrow, reload: () => Promise<void>) {
  const note = h("textarea", { name: "note", rows: "2", maxlength: "1000" });
  return h(
    "form",
    {
      "aria-label": "Resume",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        clearMessages();
        const text = note.value.trim() || "Resumed from the ops console: the cause was dealt with.";
        if (
          await attempt(() =>
            call("POST", `v1/ops/escrows/${e.id}/resume`, { note: text }, { "Idempotency-Key": newKey() }),
          )
        ) {
          await attempt(reload);
          showStatus("Resumed: the service is trying again.");
        }
      },
    },
    h("h2", {}, "Needs ops attention"),
    h(
      "p",
      {},
      `Reason: ${words(e.attentionReason)}. Once the cause is dealt with (for a refused payout, at the provider), resume.`,
    ),
    field("Note", note, "Optional: what was done about it."),
    h("button", { type: "submit" }, "Resume"),
  );
}

function evidenceRequestForm(e: OpsEscrow, reload: () => Promise<void>) {
  const from = select("from", [
    ["buyer", "buyer"],
    ["seller", "seller"],
    ["both", "both"],
  ]);
  const hours = h("input", {
    type: "number",
    name: "dueHours",
    min: "1",
    max: "336",
    step: "1",
    value: "48",
    required: true,
  });
  const note = h("textarea", { name: "note", rows: "2", maxlength: "1000", required: true });
  return h(
    "form",
    {
      "aria-label": "Evidence request",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        clearMessages();
        const body = {
          from: from.value,
          dueSeconds: Math.round(Number(hours.value) * 3600),
          note: note.value.trim(),
        };
        if (
          await attempt(() =>
            call("POST", `v1/ops/escrows/${e.id}/evidence-request`, body, { "Idempotency-Key": newKey() }),
          )
        ) {
          await attempt(reload);
          showStatus(`Evidence requested from ${body.from}.`);
        }
      },
    },
    h("h2", {}, "Evidence request"),
    field("From", from),
    field("Due in hours", hours, "1 to 336 hours; the dispute's deadline moves to at least 72 hours after."),
    field("Note", note, "What you need, as the parties will read it."),
    h("button", { type: "submit" }, "Request"),
  );
}

function moneyRegion(e: OpsEscrow) {
  const m = (n: number) => money(n, e.currency);
  return region(
    "Money",
    h(
      "dl",
      {},
      h("dt", {}, "Amount"),
      h("dd", {}, m(e.amount)),
      h("dt", {}, "Fee"),
      h("dd", {}, m(e.fee)),
      h("dt", {}, "Funded"),
      h("dd", {}, m(e.funded)),
      h("dt", {}, "Held"),
      h("dd", {}, m(e.held)),
      e.dispute?.contestedAmount !== undefined && [
        h("dt", {}, "Contested"),
        h("dd", {}, m(e.dispute.contestedAmount)),
      ],
      h("dt", {}, "Settlement"),
      h(
        "dd",
        {},
        e.settlement
          ? `paid to seller ${m(e.settlement.paidToSeller)}, refunded to buyer ${m(e.settlement.refundedToBuyer)}, platform fee ${m(e.settlement.platformFee)}`
          : "none yet",
      ),
    ),
    h("h3", {}, "Disbursements"),
    e.disbursements.length === 0
      ? h("p", {}, "None yet.")
      : h(
          "ul",
          {},
          e.disbursements.map((d) =>
            h(
              "li",
              {},
              `${when(d.at)} (${words(d.reason)}): paid to seller ${m(d.paidToSeller)}, refunded to buyer ${m(d.refundedToBuyer)}, platform fee ${m(d.platformFee)}`,
            ),
          ),
        ),
  );
}

/** An entry's facts worth reading in a line. */
function describe(item: HistoryItem, currency: string): string {
  const d = item.data;
  const parts: string[] = [];
  if (typeof d.outcome === "string") parts.push(`outcome ${d.outcome}`);
  if (typeof d.refundAmount === "number") parts.push(`refund ${money(d.refundAmount, currency)}`);
  if (typeof d.reasonCode === "string") parts.push(`reason ${words(d.reasonCode)}`);
  for (const key of ["reason", "note", "text"] as const)
    if (typeof d[key] === "string") parts.push(String(d[key]));
  if (typeof d.from === "string") parts.push(`from ${d.from}`);
  return parts.join("; ");
}

function timelineRegion(history: HistoryItem[], currency: string) {
  return region(
    "Timeline",
    h(
      "ol",
      { class: "timeline" },
      history.map((item) => {
        const who = item.opsUser ? `${item.opsUser.name} (ops)` : item.actor;
        const facts = describe(item, currency);
        return h(
          "li",
          {},
          h("time", { datetime: item.at }, when(item.at)),
          ` ${words(item.type)} by ${who}`,
          facts && ` — ${facts}`,
        );
      }),
    ),
  );
}

function evidenceRegion(items: EvidenceItem[], e: OpsEscrow) {
  const ofParty = (by: "buyer" | "seller") => {
    const mine = items.filter((i) => i.by === by);
    return [
      h("h3", {}, by === "buyer" ? `Buyer (${e.buyerId})` : `Seller (${e.sellerId})`),
      mine.length === 0
        ? h("p", {}, "No evidence.")
        : h(
            "ul",
            {},
            mine.map((i) =>
              h(
                "li",
                {},
                h("p", {}, h("time", { datetime: i.at }, when(i.at)), ` ${i.text}`),
                i.attachments.length > 0 &&
                  h(
                    "ul",
                    {},
                    i.attachments.map((a) =>
                      h(
                        "li",
                        {},
                        h("a", { href: a.uri, rel: "noopener noreferrer", target: "_blank" }, a.name),
                        ` (${a.contentType}) SHA-256 `,
                        h("code", {}, a.sha256),
                      ),
                    ),
                  ),
              ),
            ),
          ),
    ];
  };
  const request = e.dispute?.evidenceRequest;
  return region(
    "Evidence",
    request && h("p", {}, `Requested from ${request.from}, due ${when(request.dueAt)}: ${request.note}`),
    ofParty("buyer"),
    ofParty("seller"),
  );
}

function notesRegion(e: OpsEscrow, reload: () => Promise<void>) {
  const text = h("textarea", { name: "text", rows: "3", maxlength: "2000", required: true });
  return region(
    "Notes",
    e.ops.notes.length === 0
      ? h("p", {}, "No notes yet.")
      : h(
          "ol",
          { class: "notes" },
          e.ops.notes.map((n) =>
            h("li", {}, h("p", {}, n.text), h("p", { class: "by" }, `${n.by.name}, ${when(n.at)}`)),
          ),
        ),
    h(
      "form",
      {
        "aria-label": "Add note",
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          clearMessages();
          const body = { text: text.value.trim() };
          if (
            await attempt(() =>
              call("POST", `v1/ops/escrows/${e.id}/notes`, body, { "Idempotency-Key": newKey() }),
            )
          ) {
            await attempt(reload);
            showStatus("Note added.");
          }
        },
      },
      field("Note", text, "Only ops read notes; marketplaces never see them."),
      h("button", { type: "submit" }, "Add"),
    ),
  );
}

function workflowRegion(e: OpsEscrow) {
  const x = e.ops.execution;
  const sameOrigin = new URL(x.consoleUrl, location.href).origin === location.origin;
  return region(
    "Workflow",
    h(
      "dl",
      {},
      h("dt", {}, "Execution"),
      h("dd", {}, x.arn.split(":").pop() ?? x.arn),
      h("dt", {}, "Execution status"),
      h("dd", {}, x.status ?? "unknown"),
      h("dt", {}, "Started"),
      h("dd", {}, when(x.startedAt)),
    ),
    h("h3", {}, "Recent events"),
    x.recent.length === 0
      ? h("p", {}, "None.")
      : h(
          "ol",
          { class: "events" },
          x.recent.map((r) => h("li", {}, `${when(r.at)} ${r.type}${r.state ? ` (${r.state})` : ""}`)),
        ),
    sameOrigin
      ? pageLink(x.consoleUrl, "Open in Step Functions")
      : h(
          "a",
          { href: x.consoleUrl, target: "_blank", rel: "noopener noreferrer" },
          "Open in Step Functions",
        ),
  );
}
