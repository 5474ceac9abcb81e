import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ESCROW_DEFINITION } from "./escrow-definition";

/** Where the rendered workflow lives: the file CDK loads and ops read. */
export const ASL_FILE = fileURLToPath(new URL("../../statemachines/escrow.asl.json", import.meta.url));

/** The workflow as the committed file holds it: two-space JSON and a final newline. */
export const renderAsl = (): string => `${JSON.stringify(ESCROW_DEFINITION, null, 2)}\n`;

// `npm run asl`: writes statemachines/escrow.asl.json from escrow-definition.ts.
const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  writeFileSync(ASL_FILE, renderAsl());
  console.log(`wrote ${ASL_FILE}`);
}
