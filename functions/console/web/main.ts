import { setApiRoot } from "./api";
import { type ConsoleConfig, completeSignIn, currentSession, signIn, signOut } from "./auth";
import { h } from "./dom";
import { renderEscrow } from "./escrow-page";
import { renderExecution } from "./execution-page";
import { renderQueue } from "./queue-page";
import { explain, mountMessages, setNavigator, showError } from "./ui";

/**
 * The ops console (API.md v1.2, "The ops console"), a small page with no
 * framework: it signs people in with PKCE and calls only the public ops
 * routes. The server gives it its configuration in <meta> tags and its own
 * address as <base href> (`…/ops/`); every page has an address under it.
 */
const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
const home = new URL(document.baseURI);
const config: ConsoleConfig = {
  clientId: meta("escrow-ops-client-id"),
  authUrl: meta("escrow-ops-auth-url") || home.origin,
  home: home.href,
};
// The API is the console's parent path: `/ops/` → `/`, `/prod/ops/` → `/prod/`.
setApiRoot(new URL("../", home).pathname);

const header = h("header", { class: "top" });
const alerts = h("div", { class: "alerts" });
const status = h("p", { role: "status", class: "status-line" });
const main = h("main", { id: "main" });
document.body.replaceChildren(header, alerts, status, main);

/** The page an address names, relative to the console's home. */
async function route(): Promise<void> {
  const path = location.pathname.startsWith(home.pathname)
    ? location.pathname.slice(home.pathname.length)
    : "";
  const session = currentSession();
  renderHeader(session?.username ?? null);
  if (!session) return renderSignedOut();
  const [first, ...rest] = path.split("/");
  if (first === "escrows" && rest[0]) return renderEscrow(main, decodeURIComponent(rest[0]));
  if (first === "executions" && rest.length > 0)
    return renderExecution(main, decodeURIComponent(rest.join("/")));
  return renderQueue(main, new URLSearchParams(location.search));
}

function navigate(path: string): void {
  const target = new URL(path, home);
  history.pushState(null, "", target.href);
  void route();
}

function renderHeader(username: string | null): void {
  header.replaceChildren(
    h(
      "a",
      {
        href: "./",
        class: "brand",
        onclick: (e: Event) => {
          e.preventDefault();
          navigate("./");
        },
      },
      "Escrow ops",
    ),
    username
      ? h(
          "div",
          { class: "who" },
          h("span", {}, `Signed in as ${username}`),
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                signOut();
                void route();
              },
            },
            "Sign out",
          ),
        )
      : "",
  );
}

function renderSignedOut(message?: string): void {
  main.replaceChildren(
    h("h1", { tabindex: "-1" }, "Escrow ops console"),
    h("p", {}, message ?? "Sign in to work the queue."),
    h(
      "button",
      {
        type: "button",
        onclick: () =>
          void signIn(config, location.pathname + location.search).catch((e) => showError(explain(e))),
      },
      "Sign in",
    ),
  );
}

mountMessages(alerts, status, (message) => {
  signOut();
  renderHeader(null);
  renderSignedOut(message);
});
setNavigator(navigate);
window.addEventListener("popstate", () => void route());

void (async () => {
  try {
    await completeSignIn(config);
  } catch (error) {
    showError((error as Error).message);
  }
  await route();
})();
