import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalAuth } from "./auth";
import { type AuthCodeFlow, errorPage, SIGN_IN_PAGE_CSP, signInPage } from "./auth-code";
import { readBody } from "./http-body";

/** The sign-in page (GET) and its form (POST): back to the console with a code, or the page again. */
export async function answerAuthorize(
  auth: LocalAuth,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const page = (status: number, body: string) => {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": SIGN_IN_PAGE_CSP,
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  };
  let params: URLSearchParams;
  if (req.method === "GET") params = new URL(req.url ?? "/", "http://local").searchParams;
  else if (req.method === "POST")
    params = new URLSearchParams(
      (
        await readBody(req, 64 * 1024, () => new Error("body too large")).catch(() => Buffer.alloc(0))
      ).toString("utf8"),
    );
  else {
    res.writeHead(405, { allow: "GET, POST" }).end();
    return;
  }
  let request: ReturnType<AuthCodeFlow["parse"]>;
  try {
    request = auth.codeFlow.parse(params);
  } catch (error) {
    return page(400, errorPage((error as Error).message));
  }
  if (req.method === "GET") return page(200, signInPage(params));
  const code = auth.codeFlow.signIn(request, params.get("username") ?? "", params.get("password") ?? "");
  if (!code) return page(401, signInPage(params, "Wrong username or password."));
  const back = new URL(request.redirectUri);
  back.searchParams.set("code", code);
  if (request.state) back.searchParams.set("state", request.state);
  res.writeHead(302, { location: back.toString(), "cache-control": "no-store" }).end();
}
