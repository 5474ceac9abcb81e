/**
 * The console's HTML: no inline script or style (the policy forbids them),
 * its configuration in <meta> tags, and <base href> at the console's own
 * address so that every page under it finds the assets.
 */
export interface PageInput {
  /** The console's path, `/ops/` (locally) or `/prod/ops/` (an execute-api URL). */
  base: string;
  script: string;
  style: string;
  clientId: string;
  /** The sign-in origin (the user pool's domain; locally the service itself). */
  authUrl: string;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

export function consolePage(input: PageInput): { html: string; csp: string } {
  const auth = new URL(input.authUrl).origin;
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    // The API (same origin) and the token endpoint of the sign-in domain.
    `connect-src 'self' ${auth}`,
    "base-uri 'self'",
    `form-action 'self' ${auth}`,
    "frame-ancestors 'none'",
  ].join("; ");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Escrow ops</title>
<link rel="icon" href="data:,">
<base href="${escapeHtml(input.base)}">
<meta name="escrow-ops-client-id" content="${escapeHtml(input.clientId)}">
<meta name="escrow-ops-auth-url" content="${escapeHtml(auth)}">
<link rel="stylesheet" href="${escapeHtml(input.style)}">
<script type="module" src="${escapeHtml(input.script)}"></script>
</head>
<body>
<noscript>The ops console needs JavaScript.</noscript>
</body>
</html>
`;
  return { html, csp };
}
