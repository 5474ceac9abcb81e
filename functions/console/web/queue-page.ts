import { call, serviceNow } from "./api";
import { field, h, select } from "./dom";
import { money, timeLeft, words } from "./format";
import { type QueueItem, STATUSES } from "./types";
import { attempt, go, pageLink } from "./ui";

/**
 * The queue (API.md v1.2, "The ops console"): a table named Queue, one row
 * per escrow in the queue's order with a link named by its id, filters
 * labelled Needs attention, Status and Assigned to (kept in the address, so a
 * reload or a shared link shows the same queue), and Next page while there
 * is one.
 */
export async function renderQueue(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const status = params.get("status") ?? "";
  const attention = params.get("needsOpsAttention") === "true";
  const assignee = params.get("assignee") ?? "";

  const refilter = (change: Record<string, string>) => {
    const next = new URLSearchParams({
      ...(status ? { status } : {}),
      ...(attention ? { needsOpsAttention: "true" } : {}),
      ...(assignee ? { assignee } : {}),
    });
    for (const [k, v] of Object.entries(change))
      if (v) next.set(k, v);
      else next.delete(k);
    go(`./${next.size ? `?${next}` : ""}`);
  };

  const attentionBox = h("input", {
    type: "checkbox",
    id: "f-attention",
    name: "needsOpsAttention",
    checked: attention,
  });
  attentionBox.addEventListener("change", () =>
    refilter({ needsOpsAttention: attentionBox.checked ? "true" : "" }),
  );
  const statusSelect = select(
    "status",
    [["", "Disputed or needing attention"], ...STATUSES.map((s): [string, string] => [s, s])],
    status,
  );
  statusSelect.addEventListener("change", () => refilter({ status: statusSelect.value }));
  const assigneeSelect = select(
    "assignee",
    [
      ["", "Anyone or nobody"],
      ["me", "Me"],
      ["none", "Nobody"],
    ],
    assignee,
  );
  assigneeSelect.addEventListener("change", () => refilter({ assignee: assigneeSelect.value }));

  const body = h("tbody");
  const more = h("div", { class: "pager" });
  const table = h(
    "table",
    { class: "queue" },
    h("caption", {}, "Queue"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...[
          "Escrow",
          "Kind",
          "Status",
          "Amount",
          "Held",
          "Time left",
          "Waiting for",
          "Attention",
          "Assignee",
        ].map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    body,
  );
  main.replaceChildren(
    h("h1", { tabindex: "-1" }, "Ops queue"),
    h(
      "form",
      { class: "filters", "aria-label": "Filters", onsubmit: (e: Event) => e.preventDefault() },
      h("div", { class: "field check" }, attentionBox, h("label", { for: "f-attention" }, "Needs attention")),
      field("Status", statusSelect),
      field("Assigned to", assigneeSelect),
    ),
    table,
    more,
  );

  const load = async (cursor?: string) => {
    const query = new URLSearchParams({
      ...(status ? { status } : {}),
      ...(attention ? { needsOpsAttention: "true" } : {}),
      ...(assignee ? { assignee } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const { body: page } = await call<{ items: QueueItem[]; nextCursor: string | null }>(
      "GET",
      `v1/ops/escrows${query.size ? `?${query}` : ""}`,
    );
    body.replaceChildren();
    for (const e of page.items) body.append(row(e));
    if (body.children.length === 0)
      body.append(h("tr", {}, h("td", { colspan: "9" }, "Nothing here: no escrow matches.")));
    more.replaceChildren();
    if (page.nextCursor) {
      const next = page.nextCursor;
      more.append(
        h("button", { type: "button", onclick: () => void attempt(() => load(next)) }, "Next page"),
      );
    }
  };
  await attempt(() => load());
}

function row(e: QueueItem): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, pageLink(`escrows/${e.id}`, e.id)),
    h("td", {}, words(e.kind)),
    h("td", {}, e.status),
    h("td", {}, money(e.amount, e.currency)),
    h("td", {}, money(e.held, e.currency)),
    h("td", {}, timeLeft(e.deadline, serviceNow())),
    h("td", {}, e.ops.waitingFor ?? "—"),
    h("td", {}, words(e.ops.attentionReason)),
    h("td", {}, e.ops.assignee?.name ?? "nobody"),
  );
}
