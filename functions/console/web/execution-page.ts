import { call } from "./api";
import { h } from "./dom";
import { when } from "./format";
import type { OpsEscrow } from "./types";
import { attempt, pageLink } from "./ui";

/**
 * The local console's execution view (API.md v1.2, local mode): what
 * "Open in Step Functions" opens when there is no AWS console — the
 * execution's status and its history events, read (through the ops route)
 * from the local Step Functions endpoint. An escrow's executions are named
 * with its id first, so the escrow is known from the ARN.
 */
export async function renderExecution(main: HTMLElement, arn: string): Promise<void> {
  const name = arn.split(":").pop() ?? arn;
  const escrowId = name.split("-")[0] ?? name;
  main.replaceChildren(h("h1", { tabindex: "-1" }, `Execution ${name}`), h("p", {}, "Loading…"));
  await attempt(async () => {
    const { body: e } = await call<OpsEscrow>("GET", `v1/ops/escrows/${escrowId}`);
    const x = e.ops.execution;
    const current = x.arn === arn;
    main.replaceChildren(
      pageLink(`escrows/${escrowId}`, `Back to ${escrowId}`, { class: "back" }),
      h("h1", { tabindex: "-1" }, `Execution ${name}`),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Escrow"),
        h("dd", {}, escrowId),
        h("dt", {}, "Execution ARN"),
        h("dd", {}, h("code", {}, arn)),
        h("dt", {}, "Status"),
        h(
          "dd",
          { class: "status" },
          current ? (x.status ?? "unknown") : "not the escrow's current execution",
        ),
        h("dt", {}, "Started"),
        h("dd", {}, current ? when(x.startedAt) : "—"),
      ),
      current
        ? h(
            "table",
            {},
            h("caption", {}, "History (latest events)"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "Time"),
                h("th", { scope: "col" }, "Event"),
                h("th", { scope: "col" }, "State"),
              ),
            ),
            h(
              "tbody",
              {},
              x.recent.map((r) =>
                h("tr", {}, h("td", {}, when(r.at)), h("td", {}, r.type), h("td", {}, r.state ?? "")),
              ),
            ),
          )
        : h(
            "p",
            {},
            "The escrow has moved on to another execution: ",
            pageLink(x.consoleUrl, x.arn.split(":").pop() ?? x.arn),
          ),
    );
    main.querySelector<HTMLElement>("h1")?.focus();
  });
}
