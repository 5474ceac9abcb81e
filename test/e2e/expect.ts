/**
 * Expectations the end-to-end tests share: a refusal's problem document, and
 * a goods escrow that must be created and funded.
 */
import { expect } from "vitest";
import type { Answer, Api } from "./client";
import { BUYER, order } from "./client";

/** Expects `res` to be a problem document (API.md, "Conventions": RFC 9457) with this status and code. */
export function expectProblem(
  res: Pick<Answer, "status" | "contentType" | "body">,
  status: number,
  code: string,
) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    status,
    code,
    title: expect.any(String),
    detail: expect.any(String),
    type: expect.any(String),
  });
}

/** Creates the test bicycle (with `overrides`), expects 201, and waits until it is FUNDED with nothing pending. */
export async function funded(api: Api, overrides: Record<string, unknown> = {}) {
  const created = await api.create(order(overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return api.waitFor(created.body.id, "FUNDED");
}

/** The test bicycle (with `overrides`), funded, then disputed by the buyer: DISPUTED. */
export async function disputed(api: Api, overrides: Record<string, unknown> = {}) {
  const escrow = await funded(api, overrides);
  const res = await api.act(escrow.id, "dispute", { actorId: BUYER, reason: "not as described" });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return api.waitFor(escrow.id, "DISPUTED");
}
