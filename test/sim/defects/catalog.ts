/**
 * The money defects of issue 16 (and bugs of the same kind), each with the
 * violations by which the simulation knows it: an invariant and, where that
 * invariant has other causes too, what the detail says. `<id>.patch` (a
 * unified diff from the repository's root, in this folder) puts the defect
 * back into code that has it fixed (run.ts); without one, the defect is
 * looked for as the code stands (hunt.ts).
 */
export interface Signature {
  invariant: string;
  detail?: RegExp;
}

export interface Defect {
  id: string;
  title: string;
  /** Any of these violations. */
  caughtBy: Signature[];
}

const MONEY = "the provider's ledger equals the record; money is conserved";

export const DEFECTS: readonly Defect[] = [
  {
    id: "16.1",
    title:
      "a movement key from an attempt counter; a repeated resolution judged only on outcome and refundAmount",
    caughtBy: [
      { invariant: "a movement key is used once, for one movement" },
      { invariant: MONEY, detail: /went out as|moved \d+ more than the record|more than it held/ },
    ],
  },
  {
    id: "16.2",
    title: "a settlement that does not void a car's balance hold",
    caughtBy: [{ invariant: MONEY, detail: /yet the provider still holds/ }],
  },
  {
    id: "16.3",
    title: "the reconciler forgets: a checkpoint (or a cleared mark) that moves past unfinished work",
    caughtBy: [{ invariant: "every escrow reaches its outcome within a reconciliation period" }],
  },
  {
    id: "16.4",
    title: "a long transient outage leaves an escrow needing ops",
    caughtBy: [{ invariant: "no escrow needs ops after a transient fault" }],
  },
  {
    id: "16.5",
    title: "a handover code used up before its effect",
    caughtBy: [{ invariant: "a delivery that failed leaves its handover code valid" }],
  },
  {
    id: "16.6",
    title: "escrow.inspected never published",
    caughtBy: [{ invariant: "every owed event is published", detail: /escrow\.inspected/ }],
  },
  {
    id: "16.7",
    title: "an execution restarted under several names",
    caughtBy: [{ invariant: "at most one running execution per escrow" }],
  },
  {
    id: "16.9",
    title: "a 503 that changed something",
    caughtBy: [{ invariant: "a 503 changes nothing" }],
  },
];
