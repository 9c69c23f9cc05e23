// build.mjs: bundles web/src into OUT (default web/dist): app.js (Preact,
// uPlot and the screens, minified), app.css (with uPlot's CSS), index.html
// and favicon.svg copied. Same sources and lockfile: same bytes.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, logLevel: 'warning', target: ['chrome100', 'firefox100', 'safari15'], charset: 'utf8' };
await esbuild.build({
  ...common,
  entryPoints: [join(here, 'src/main.jsx')],
  outfile: join(out, 'app.js'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
  format: 'iife',
  metafile: true,
}).then((r) => {
  if (process.env.WEB_SIZES) {
    const sizes = {};
    for (const [f, i] of Object.entries(Object.values(r.metafile.outputs)[0].inputs)) {
      const lib = f.includes('node_modules/') ? f.split('node_modules/')[1].split('/')[0] : 'app';
      sizes[lib] = (sizes[lib] || 0) + i.bytesInOutput;
    }
    console.log(JSON.stringify(sizes));
  }
});
await esbuild.build({ ...common, entryPoints: [join(here, 'src/app.css')], outfile: join(out, 'app.css') });
for (const f of ['index.html', 'favicon.svg']) copyFileSync(join(here, 'src', f), join(out, f));
