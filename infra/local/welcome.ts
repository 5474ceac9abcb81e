import type { LocalAuth } from "./auth";

/** What `npm start` prints once it listens: the OAuth clients and a first escrow with curl. */
export function printWelcome(url: string, auth: LocalAuth) {
  const clients = auth.clients
    .map(
      (c) =>
        `  ${c.clientId.padEnd(20)} ${c.clientSecret.padEnd(26)} tenant ${c.tenantId.padEnd(8)} ${c.scopes.join(" ")}`,
    )
    .join("\n");
  const users = auth.codeFlow.users
    .map((u) => `  ${u.username.padEnd(20)} ${u.password.padEnd(26)} tenant ${u.tenantId}`)
    .join("\n");
  console.log(`
listening on ${url}

OAuth clients (client id, secret, tenant, scopes):
${clients}

Ops console: ${url}/ops/   (sign in as one of these ops users: username, password, tenant)
${users}

Try it (a verified webhook, start to finish: npm run example${url.endsWith(":3000") ? "" : ` with ESCROW_URL=${url}`}):
  curl -s ${url}/v1/health
  TOKEN=$(curl -s -u demo-marketplace:demo-marketplace-secret -d grant_type=client_credentials ${url}/oauth2/token | jq -r .access_token)
  ESCROW=$(curl -s ${url}/v1/escrows -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -H "Idempotency-Key: $(date +%s%N)" \\
    -d '{"buyerId":"u-1001","sellerId":"u-2002","amount":12999,"currency":"CNY","fee":390,"paymentMethod":"pm_sandbox_ok"}' | jq -r .id)
  sleep 1   # the workflow takes the hold: PENDING_FUNDS → FUNDED
  curl -s ${url}/v1/escrows/$ESCROW/delivery -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"actorId":"u-2002","carrier":"SF","trackingNumber":"SF123"}'
  curl -s ${url}/v1/escrows/$ESCROW/confirmation -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"actorId":"u-1001"}'
  curl -s ${url}/v1/escrows/$ESCROW -H "Authorization: Bearer $TOKEN"
  curl -s "${url}/_local/notifications?escrowId=$ESCROW"
  curl -s "${url}/_local/payments?escrowId=$ESCROW"

For integrators: ${url}/v1/openapi.json, ${url}/v1/events/schemas, the client in client/,
  npm run listen -- --forward-to http://127.0.0.1:8080/webhooks   (escrow events to your endpoint, signed)
  aws sns list-topics --endpoint-url ${url}                      (SNS as in AWS for HTTP(S) subscribers)
Local extras: /_local/faults (inject failures), /_local/reconcile (run the reconciler now), /_local/deliveries;
the workflow with the aws CLI (any credentials): aws stepfunctions list-state-machines --endpoint-url ${url}
Stop: Ctrl-C (or kill this process's npm start): waits and timers resume on the next start.
`);
}
