import { ApiError, SignedOut } from "./api";
import { h } from "./dom";

/**
 * The page's shared parts: the one `role="alert"` element for errors and
 * conflicts (in words), a polite status line for what went well, and moving
 * between pages without a reload (each page has its own address).
 */

let alertSlot: HTMLElement;
let statusSlot: HTMLElement;
let onSignedOut: (message: string) => void = () => {};
let navigate: (path: string) => void = () => {};

export function mountMessages(
  alerts: HTMLElement,
  status: HTMLElement,
  signedOut: (message: string) => void,
) {
  alertSlot = alerts;
  statusSlot = status;
  onSignedOut = signedOut;
}

export function setNavigator(go: (path: string) => void) {
  navigate = go;
}

/** Goes to a page of the console (a path relative to `/ops/`). */
export const go = (path: string) => navigate(path);

/** An error or a conflict, in words, announced at once. */
export function showError(message: string): void {
  clearMessages();
  alertSlot.append(h("div", { role: "alert", class: "alert" }, message));
}

export function showStatus(message: string): void {
  clearMessages();
  statusSlot.textContent = message;
}

export function clearMessages(): void {
  alertSlot.replaceChildren();
  statusSlot.textContent = "";
}

/** What an API failure means to the person, said once in the alert. */
export function explain(error: unknown, conflict = "Someone else changed this escrow first."): string {
  if (error instanceof SignedOut) {
    onSignedOut("Your session has ended. Sign in again.");
    return "Your session has ended. Sign in again.";
  }
  if (error instanceof ApiError) {
    const p = error.problem;
    const fields = p.errors?.map((e) => `${e.path}: ${e.message}`).join("; ");
    if (p.status === 409 && p.code === "invalid_transition") return `${conflict} ${p.detail}`;
    if (p.status === 404) return "This escrow does not exist for your marketplace.";
    if (p.status === 503) return "The service is briefly unavailable. Try again in a few seconds.";
    return `${p.detail || p.title}${fields ? ` (${fields})` : ""}`;
  }
  return `Something went wrong: ${(error as Error)?.message ?? String(error)}`;
}

/** Runs an action, showing its failure in the alert; true when it succeeded. */
export async function attempt(action: () => Promise<unknown>, conflict?: string): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    showError(explain(error, conflict));
    return false;
  }
}

/** A link to another page of the console that moves without reloading. */
export function pageLink(path: string, text: string, attrs: Record<string, string> = {}): HTMLAnchorElement {
  return h(
    "a",
    {
      ...attrs,
      href: path,
      onclick: (e: Event) => {
        const m = e as MouseEvent;
        if (m.ctrlKey || m.metaKey || m.shiftKey || m.button !== 0) return;
        e.preventDefault();
        go(path);
      },
    },
    text,
  );
}
