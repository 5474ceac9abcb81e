/**
 * The simulation's CI run (test/sim/sim.test.ts), in one place. Each seed
 * runs STEPS steps under faults, then heals and runs on until every escrow
 * has settled; together they are the ≥ 100,000 steps of the budget.
 *
 * ENFORCE: whether the test requires these seeds to find no violation. The
 * code on main at the simulator's last rebase still has the defects of
 * issue 16 (which the simulation finds on every seed here), so the check is
 * declared an expected failure until those fixes land: then it reports a
 * failure ("expected to fail but passed"), and ENFORCE becomes true.
 */
export const CI = {
  seeds: [1, 2, 3, 4, 5, 6],
  steps: 17_000,
  escrows: 20,
  /** The seed run twice to prove the digest is the same. */
  determinismSeed: 7,
  determinismSteps: 6_000,
  enforce: true,
} as const;
