// Bundles the reference into one ES module for bare workerd: every import inlined
// (hono, jose, @neondatabase/serverless and the catalog's CSV files), minified.
// Usage: node bench/reference/build.mjs <out.js>
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const out = process.argv[2];
if (!out) {
  console.error('usage: node bench/reference/build.mjs <out.js>');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));

const result = await esbuild.build({
  entryPoints: [join(here, 'src/index.ts')],
  outfile: resolve(out),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  // The packages' Workers builds first (the Neon driver and jose have them).
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['browser', 'module', 'main'],
  loader: { '.csv': 'text' },
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

// Nothing may be left to import at run time: workerd only has `cloudflare:*` builtins.
const leftover = Object.values(result.metafile.outputs)
  .flatMap((output) => output.imports)
  .filter((imported) => !imported.path.startsWith('cloudflare:'));
if (leftover.length) {
  console.error(`unbundled imports left: ${leftover.map((imported) => imported.path).join(', ')}`);
  process.exit(1);
}
const bytes = statSync(resolve(out)).size;
console.log(`${out}: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
