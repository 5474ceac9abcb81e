import { ListExecutionsCommand, type SFNClient } from "@aws-sdk/client-sfn";

/** Every execution of one escrow: `<id>`, and `<id>-…` (a parked wait's continuation, a restart). */
export async function executionsOf(
  sfn: SFNClient,
  stateMachineArn: string,
  id: string,
): Promise<{ name: string; status: string }[]> {
  const found: { name: string; status: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
    for (const e of page.executions ?? [])
      if (e.name === id || e.name?.startsWith(`${id}-`))
        found.push({ name: e.name as string, status: String(e.status) });
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}
