import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { BUYER, order, SELLER } from "../e2e/client";
import { useLocalService } from "../e2e/server";
import { signInAs } from "../support/people";
import { waitFor } from "../support/wait";
import { cspViolations, useBrowser } from "./browser";

/**
 * The ops console in a real browser (API.md v1.2, "The ops console"), driven
 * only by role and accessible name, as a person with a screen reader would.
 * Screenshots of the queue and of an escrow page go to .ci/artifacts/.
 */
const api = useLocalService();
const browser = useBrowser();
const ARTIFACTS = join(new URL("../../", import.meta.url).pathname, ".ci", "artifacts");

const EVIDENCE = {
  text: "The frame arrived scratched; photo attached.",
  attachments: [
    {
      name: "scratch.jpg",
      contentType: "image/jpeg",
      sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      uri: "https://files.example.com/disputes/scratch.jpg",
    },
  ],
};

async function disputed(): Promise<string> {
  const created = await api.create(order());
  const id = created.body.id as string;
  await api.waitFor(id, "FUNDED");
  await api.act(id, "dispute", { actorId: BUYER, reason: "Scratched frame" });
  await api.waitFor(id, "DISPUTED");
  expect(
    (await api.call("POST", `/v1/escrows/${id}/evidence`, { body: { actorId: BUYER, ...EVIDENCE } })).status,
  ).toBe(201);
  return id;
}

/** Signs in from /ops/ (or `path`) with the local sign-in page, and comes back signed in. */
async function signIn(page: Page, username: string, path = "/ops/"): Promise<void> {
  await page.goto(`${api.url}${path}`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(`${username}-password`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText(`Signed in as ${username}`).waitFor();
}

// What a person sees (rendered text, as a screen reader reads it), not the DOM's raw text.
// biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
const text = (l: Locator) => l.innerText();

describe("the ops console", () => {
  it("signs in from /ops/, and from the queue confirms a split in three actions, seen in the timeline", async () => {
    const id = await disputed();
    const page = await browser.newPage();
    await signIn(page, "ops-alice");
    expect(new URL(page.url()).pathname).toBe("/ops/");
    const queue = page.getByRole("table", { name: "Queue" });
    const link = queue.getByRole("link", { name: id, exact: true });
    await link.waitFor();
    const row = queue.getByRole("row").filter({ has: page.getByRole("link", { name: id, exact: true }) });
    expect(await text(row)).toMatch(
      /goods\s+DISPUTED\s+CNY 129\.99\s+CNY 129\.99\s+\d+ d \d+ h\s+ops\s+—\s+nobody/,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "queue.png"), fullPage: true });

    // 1: open the escrow.
    await link.click();
    await page.getByRole("heading", { name: id, exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/ops/escrows/${id}`);
    const evidence = page.getByRole("region", { name: "Evidence" });
    expect(await text(evidence)).toContain(EVIDENCE.text);
    expect(await text(evidence)).toContain(EVIDENCE.attachments[0]?.sha256);
    expect(await evidence.getByRole("link", { name: "scratch.jpg" }).getAttribute("href")).toBe(
      EVIDENCE.attachments[0]?.uri,
    );
    expect(await text(page.getByRole("region", { name: "Money" }))).toContain("CNY 129.99");

    const decision = page.getByRole("form", { name: "Decision" });
    await decision.getByLabel("Outcome").selectOption("split");
    await decision.getByLabel("Refund amount").fill("40.00");
    await decision.getByLabel("Reason").selectOption("damaged");
    await decision.getByLabel("Note").fill("Scratched frame: 40.00 back to the buyer.");
    // 2: preview — the service's three sums.
    await decision.getByRole("button", { name: "Preview" }).click();
    await decision.getByRole("button", { name: "Confirm" }).waitFor();
    const sums = await text(decision);
    expect(sums).toMatch(/Paid to seller\s+CNY 87\.30/);
    expect(sums).toMatch(/Refunded to buyer\s+CNY 40\.00/);
    expect(sums).toMatch(/Platform fee\s+CNY 2\.69/);
    await page.screenshot({ path: join(ARTIFACTS, "escrow.png"), fullPage: true });
    // 3: confirm.
    await decision.getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("status").getByText("Decision recorded").waitFor();
    await page
      .getByRole("region", { name: "Timeline" })
      .getByText("resolution accepted by ops-alice")
      .waitFor();

    await api.waitFor(id, "SETTLED");
    // A reload keeps the user signed in, on the same page, which shows the escrow as it now is.
    await page.reload();
    await page.getByRole("heading", { name: id, exact: true }).waitFor();
    await page.getByText("Signed in as ops-alice").waitFor();
    expect(await text(page.locator(".status"))).toBe("SETTLED");
    expect((await api.get(id)).body.resolution).toMatchObject({
      refundAmount: 4000,
      reasonCode: "damaged",
      decidedBy: { name: "ops-alice" },
    });

    // The workflow panel opens the local console's execution view.
    await page
      .getByRole("region", { name: "Workflow" })
      .getByRole("link", { name: "Open in Step Functions" })
      .click();
    await page.getByRole("heading", { name: `Execution ${id}` }).waitFor();
    expect(await text(page.getByRole("table", { name: /History/ }))).toContain("ExecutionSucceeded");
    expect(cspViolations).toEqual([]);
  });

  it("requests evidence, adds a note, assigns and unassigns", async () => {
    const id = await disputed();
    const page = await browser.newPage();
    // An escrow's own address, signed out: sign-in comes back to it.
    await signIn(page, "ops-bob", `/ops/escrows/${id}`);
    await page.getByRole("heading", { name: id, exact: true }).waitFor();

    const request = page.getByRole("form", { name: "Evidence request" });
    await request.getByLabel("From").selectOption("seller");
    await request.getByLabel("Due in hours").fill("24");
    await request.getByLabel("Note").fill("Please send the courier's pickup photo.");
    await request.getByRole("button", { name: "Request" }).click();
    await page.getByRole("status").getByText("Evidence requested from seller").waitFor();
    expect(await text(page.getByRole("region", { name: "Evidence" }))).toContain("Requested from seller");

    const notes = page.getByRole("region", { name: "Notes" });
    const add = page.getByRole("form", { name: "Add note" });
    await add.getByLabel("Note").fill("Seller says the courier dropped it.");
    await add.getByRole("button", { name: "Add" }).click();
    await notes.getByText("Seller says the courier dropped it.").waitFor();
    expect(await text(notes)).toContain("ops-bob");

    await page.getByRole("button", { name: "Assign to me" }).click();
    await page.getByRole("status").getByText("Assigned to you.").waitFor();
    expect((await api.call("GET", `/v1/ops/escrows/${id}`, { as: "ops" })).body.ops.assignee.name).toBe(
      "ops-bob",
    );
    // The queue, filtered to my cases, has it.
    await page.getByRole("link", { name: "Back to the queue" }).click();
    await page.getByLabel("Assigned to").selectOption("me");
    await page.getByRole("table", { name: "Queue" }).getByRole("link", { name: id, exact: true }).click();
    await page.getByRole("button", { name: "Unassign" }).click();
    await page.getByRole("status").getByText("Unassigned.").waitFor();
    expect((await api.call("GET", `/v1/ops/escrows/${id}`, { as: "ops" })).body.ops.assignee).toBeNull();
  });

  it("resumes an escrow whose payout the provider refused, once the fault has ended", async () => {
    const created = await api.create(order());
    const id = created.body.id as string;
    await api.waitFor(id, "FUNDED");
    await api.act(id, "delivery", { actorId: SELLER });
    const fault = await api.call("POST", "/_local/faults", {
      token: null,
      body: { target: "payments", operation: "payout", mode: "refused", seconds: 600 },
    });
    await api.act(id, "confirmation", { actorId: BUYER });
    await waitFor(async () => (await api.get(id)).body.needsOpsAttention === true, {
      timeoutMs: 30_000,
      what: "the escrow to need ops",
    });
    await api.call("DELETE", `/_local/faults/${fault.body.id}`, { token: null });

    const page = await browser.newPage();
    await signIn(page, "ops-alice");
    await page.getByLabel("Needs attention").check();
    await page.getByRole("table", { name: "Queue" }).getByRole("link", { name: id, exact: true }).click();
    expect(await text(page.getByRole("form", { name: "Resume" }))).toContain("payout rejected");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("status").getByText("Resumed").waitFor();
    await api.waitFor(id, "RELEASED");
  }, 60_000);

  it("says so in words when someone else decided first, and shows the escrow as it now is", async () => {
    const id = await disputed();
    const page = await browser.newPage();
    await signIn(page, "ops-alice", `/ops/escrows/${id}`);
    const decision = page.getByRole("form", { name: "Decision" });
    await decision.getByLabel("Outcome").selectOption("release");
    await decision.getByLabel("Reason").selectOption("agreement");
    await decision.getByLabel("Note").fill("Both agree.");
    await decision.getByRole("button", { name: "Preview" }).click();
    await decision.getByRole("button", { name: "Confirm" }).waitFor();
    // Bob decides first, from his own session.
    const bob = await signInAs(api.url, "bob");
    const first = await api.call("POST", `/v1/ops/escrows/${id}/resolution`, {
      token: bob,
      body: { outcome: "refund", note: "refund" },
    });
    expect(first.status).toBe(202);
    await decision.getByRole("button", { name: "Confirm" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await text(alert)).toMatch(/Someone else decided this escrow first/);
    // The page now shows the escrow as it is: Bob's resolution, no decision form.
    await page.getByText(/refund by ops-bob/).waitFor();
    expect(await page.getByRole("form", { name: "Decision" }).count()).toBe(0);
  });

  it("does the whole decision by keyboard", async () => {
    const id = await disputed();
    const page = await browser.newPage();
    await signIn(page, "ops-alice");
    const link = page.getByRole("table", { name: "Queue" }).getByRole("link", { name: id, exact: true });
    await link.waitFor();
    const tabTo = async (target: Locator) => {
      for (let i = 0; i < 200; i++) {
        // biome-ignore lint/suspicious/noExplicitAny: the element's own document, in the page
        if (await target.evaluate((el: any) => el === el.ownerDocument.activeElement)) return;
        await page.keyboard.press("Tab");
      }
      throw new Error("never reached by Tab");
    };
    await tabTo(link);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: id, exact: true }).waitFor();
    const decision = page.getByRole("form", { name: "Decision" });
    await tabTo(decision.getByLabel("Outcome"));
    await page.keyboard.press("ArrowDown"); // release → refund
    await tabTo(decision.getByLabel("Reason"));
    await page.keyboard.press("ArrowDown"); // not received
    await tabTo(decision.getByLabel("Note"));
    await page.keyboard.type("Never arrived.");
    await tabTo(decision.getByRole("button", { name: "Preview" }));
    await page.keyboard.press("Enter");
    const confirm = decision.getByRole("button", { name: "Confirm" });
    await confirm.waitFor();
    expect(await text(decision)).toMatch(/Refunded to buyer\s+CNY 129\.99/);
    await tabTo(confirm);
    await page.keyboard.press("Enter");
    await page.getByRole("status").getByText("Decision recorded: refund.").waitFor();
    expect((await api.get(id)).body.resolution).toMatchObject({
      outcome: "refund",
      reasonCode: "not_received",
    });
  });

  it("shows another marketplace's ops user none of demo's escrows", async () => {
    const id = await disputed();
    const page = await browser.newPage();
    await signIn(page, "ops-olga", `/ops/escrows/${id}`);
    await page.getByRole("alert").getByText("does not exist for your marketplace").waitFor();
    await page.getByRole("link", { name: "Escrow ops" }).click();
    await page.getByRole("table", { name: "Queue" }).waitFor();
    expect(await page.getByRole("link", { name: id }).count()).toBe(0);
  });
});
