/**
 * The money defects of issue 16 (and bugs of the same kind), each with the
 * violation by which the simulation knows it: its invariant and, where that
 * invariant has other causes too, what the detail says. `patch` (a unified
 * diff from the repository's root, in this folder) puts the defect back into
 * code that has it fixed; without one, the defect is looked for as the code
 * stands.
 */
export interface Defect {
  id: string;
  title: string;
  invariant: string;
  detail?: RegExp;
  patch?: string;
}

export const DEFECTS: readonly Defect[] = [
  {
    id: "16.1",
    title:
      "a movement key from an attempt counter; a repeated resolution judged only on outcome and refundAmount",
    invariant: "a movement key is used once, for one movement",
  },
  {
    id: "16.2",
    title: "a settlement that does not void a car's balance hold",
    invariant: "the provider's ledger equals the record; money is conserved",
    detail: /yet the provider still holds/,
  },
  {
    id: "16.3",
    title: "the reconciler forgets: a checkpoint (or a cleared mark) that moves past unfinished work",
    invariant: "every escrow reaches its outcome within a reconciliation period",
  },
  {
    id: "16.4",
    title: "a long transient outage leaves an escrow needing ops",
    invariant: "no escrow needs ops after a transient fault",
  },
  {
    id: "16.5",
    title: "a handover code used up before its effect",
    invariant: "a delivery that failed leaves its handover code valid",
  },
  {
    id: "16.6",
    title: "escrow.inspected never published",
    invariant: "every owed event is published",
    detail: /escrow\.inspected/,
  },
  {
    id: "16.7",
    title: "an execution restarted under several names",
    invariant: "at most one running execution per escrow",
  },
  {
    id: "16.9",
    title: "a 503 that changed something",
    invariant: "a 503 changes nothing",
  },
];
