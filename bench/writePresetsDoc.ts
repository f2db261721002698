/** Writes docs/presets.md from the presets (`npm run docs:presets`). */
import { writeFileSync } from "node:fs";
import { presetsMarkdown } from "../scenarios/presetListing.ts";

writeFileSync(new URL("../docs/presets.md", import.meta.url), presetsMarkdown());
