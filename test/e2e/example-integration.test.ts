import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { useLocalService } from "./server";

/**
 * The client README's integration, run as a marketplace would run it: the
 * code block in client/README.md is client/examples/integration.ts to the
 * character, and `npm run example` (which builds the package and runs that
 * file against it) carries an escrow from creation through a verified
 * escrow.funded to a verified escrow.released.
 */
const api = useLocalService();
const ROOT = new URL("../../", import.meta.url).pathname;

it("shows in the client's README exactly the example that runs", () => {
  const readme = readFileSync(`${ROOT}client/README.md`, "utf8");
  const block = readme.match(
    /<!-- example: client\/examples\/integration\.ts -->\n```ts\n([\s\S]*?)```/,
  )?.[1];
  expect(block).toBe(readFileSync(`${ROOT}client/examples/integration.ts`, "utf8"));
});

it("creates an escrow, receives and verifies escrow.funded, confirms, and receives escrow.released", async () => {
  const run = spawn("npm", ["run", "example"], {
    cwd: ROOT,
    env: { ...process.env, ESCROW_URL: api.url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  run.stdout.on("data", (d) => (output += d));
  run.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => run.on("exit", resolve));
  expect(code, output).toBe(0);
  const id = output.match(/escrow\.funded: 12999 CNY held for (esc_\w+)/)?.[1];
  expect(id, output).toBeDefined();
  expect(output).toContain("escrow.released: 12609 CNY paid to the seller");
  expect(output).not.toContain("refused a message");
  // What the webhook verified is what the service published, and the escrow is released.
  expect((await api.get(id as string)).body).toMatchObject({
    status: "RELEASED",
    settlement: { paidToSeller: 12609 },
  });
  const delivered = (await (await fetch(`${api.url}/_local/deliveries?escrowId=${id}`)).json()) as {
    items: { eventType: string; status: number }[];
  };
  expect(delivered.items.map((d) => [d.eventType, d.status])).toEqual([
    ["escrow.funded", 200],
    ["escrow.released", 200],
  ]);
}, 120_000);
