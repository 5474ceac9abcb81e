import { runCampaign } from "../e2e/campaign";
import { startServer } from "../e2e/server";
import { CAMPAIGN } from "./settings";
import { type Check, log } from "./util";

/**
 * The fault campaign (test/e2e/campaign.ts) on a service of its own whose
 * reconciler runs every BENCH_RECONCILE_SECONDS: its figures and its checks.
 */
export async function faultPhase(): Promise<{ figures: Record<string, any>; checks: Check[] }> {
  log(
    `fault campaign: ${CAMPAIGN.escrows} escrows, faults for ${CAMPAIGN.faultSeconds} s, reconciler every ${CAMPAIGN.reconcileSeconds} s…`,
  );
  const server = await startServer({
    env: { ESCROW_LOCAL_LOG_LEVEL: "ERROR", ESCROW_RECONCILE_SECONDS: String(CAMPAIGN.reconcileSeconds) },
  });
  let campaign: Awaited<ReturnType<typeof runCampaign>>;
  try {
    campaign = await runCampaign(server.url, { ...CAMPAIGN, log });
  } finally {
    await server.stop();
  }
  const bound = CAMPAIGN.reconcileSeconds + 60;
  const { seed, escrows, stranded, doubleMoves, lostEvents, maxRecoverySeconds, ...detail } = campaign;
  const zero = (name: string, value: number): Check => [name, value, "= 0", value === 0];
  return {
    figures: {
      faults: { seed, escrows, stranded, doubleMoves, lostEvents, maxRecoverySeconds },
      faultCampaign: { ...detail, longLambdaSeconds: CAMPAIGN.longLambdaSeconds },
    },
    checks: [
      zero("faults.stranded", stranded),
      zero("faults.doubleMoves (provider ledger ≠ record)", doubleMoves),
      zero("faults.lostEvents", lostEvents),
      zero("faults.leftForOps (escrows needing ops after transient faults only)", detail.leftForOps),
      [
        "faults.maxRunningPerEscrow (sampled)",
        detail.executions.maxRunningAtOnce,
        "≤ 1",
        detail.executions.maxRunningAtOnce <= 1,
      ],
      [
        "faults.maxRecoverySeconds",
        maxRecoverySeconds,
        `≤ ${bound} (one period + a minute)`,
        maxRecoverySeconds <= bound,
      ],
      zero("faults.answers500 (API answers 500)", detail.answers500),
      zero("faults.unexplained (409/422 the record does not explain)", detail.unexplained),
      zero("faults.landedDespite503 (503s that changed something)", detail.landedDespite503),
      zero("faults.inconsistentEvents (one id, two bodies)", detail.inconsistentEvents),
    ],
  };
}
