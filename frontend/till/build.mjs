// Bundles the till into dist/ (Django serves it as /static/till/: STATICFILES_DIRS).
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = new URL("dist/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, sourcemap: true, target: ["chrome100", "firefox100", "safari15"],
                 logLevel: "warning" };
await build({ ...common, entryPoints: ["src/main.js"], outfile: `${out}app.js`, format: "esm" });
await build({ ...common, entryPoints: ["src/sw.js"], outfile: `${out}sw.js`, format: "iife" });
copyFileSync("src/till.css", `${out}till.css`);
