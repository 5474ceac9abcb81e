import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `escrow-local-${prefix}-`));
export const removeDir = (dir: string) => rm(dir, { recursive: true, force: true });

export { waitFor } from "../support/wait";

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

export const fakeCredentials = { accessKeyId: "local", secretAccessKey: "local" };
