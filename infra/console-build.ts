import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/**
 * Builds the ops console's page (functions/console/web) with esbuild: one
 * script and one stylesheet, minified, named by their content's hash (so they
 * are cached for good), and `manifest.json` naming them for the server, which
 * writes the HTML itself. Used by the stack's bundling (into the function's
 * `assets/`), by the local runtime at start, and by the size check.
 *
 * `npx tsx infra/console-build.ts <out dir>` builds into that folder.
 */
export const WEB_ROOT = fileURLToPath(new URL("../functions/console/web/", import.meta.url));

export interface ConsoleManifest {
  script: string;
  style: string;
}

export interface ConsoleBuild {
  dir: string;
  manifest: ConsoleManifest;
  /** The page's own script and styles, gzipped (API.md: under 100 KB). */
  gzipBytes: number;
}

export async function buildConsole(outDir: string): Promise<ConsoleBuild> {
  const dir = resolve(outDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(WEB_ROOT, "main.ts"), styles: join(WEB_ROOT, "styles.css") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    entryNames: "[name].[hash]",
    outdir: join(dir, "assets"),
    metafile: true,
    write: true,
    logLevel: "error",
    legalComments: "none",
  });
  const outputs = Object.keys(result.metafile.outputs).map((o) => resolve(o));
  const find = (suffix: string) => {
    const file = outputs.find((o) => o.endsWith(suffix));
    if (!file) throw new Error(`the console build made no ${suffix}`);
    return relative(dir, file);
  };
  const manifest = { script: find(".js"), style: find(".css") };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  const gzipBytes = [manifest.script, manifest.style]
    .map((f) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length)
    .reduce((a, b) => a + b, 0);
  return { dir, manifest, gzipBytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error("usage: infra/console-build.ts <out dir>");
  const built = await buildConsole(out);
  console.error(
    `ops console: ${built.manifest.script}, ${built.manifest.style} (${built.gzipBytes} bytes gzipped)`,
  );
}
