import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTemplate } from "../template";
import { formatLeastPrivilegeReport, leastPrivilegeReport } from "./least-privilege";
import { RECORD_DIR_ENV, readCallRecords } from "./record";
import { readIamModel } from "./template-policies";

/**
 * `npm run iam:report [-- <records dir>]`: the least-privilege report of the
 * calls recorded under the directory (default: ESCROW_LOCAL_IAM_RECORD_DIR)
 * against the stack's current template. Exits 1 on any refused call and on
 * any granted permission no recorded call used and no justification
 * explains; `.ci/run` runs it after `npm test`.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const dir = process.argv[2] ?? process.env[RECORD_DIR_ENV];
if (!dir) {
  console.error(`usage: npm run iam:report -- <records dir>   (or set ${RECORD_DIR_ENV})`);
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), "escrow-iam-report-"));
try {
  // The template the end-to-end suites ran (their cache, when the sources are unchanged).
  const cache = process.env.ESCROW_LOCAL_TEMPLATE_CACHE ?? join(tmpdir(), "escrow-e2e-template-cache");
  const { template } = await loadTemplate(ROOT, scratch, cache);
  const report = leastPrivilegeReport(readIamModel(template), readCallRecords(resolve(dir)));
  console.log(formatLeastPrivilegeReport(report));
  process.exitCode = report.ok ? 0 : 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
