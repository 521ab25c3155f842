/**
 * Builds the admin UI (ui/src, Preact + Chart.js) with esbuild into ui/dist: index.html and
 * content-hashed assets/app-*.js and app-*.css, minified, with source maps, and each also
 * compressed ahead of time (.br, .gz: the server sends those when the browser takes them). The server serves
 * ui/dist at `/`; nothing is fetched from a CDN at run time. `npm run build:ui`, and before
 * `npm start` and `npm test`.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const UI_SOURCE = join(root, 'ui');
export const UI_DIST = join(root, 'ui', 'dist');

export interface BuiltUi {
  readonly outdir: string;
  readonly script: string;
  readonly stylesheet: string;
  /** Bytes of the script and stylesheet, as served (before compression). */
  readonly bytes: number;
}

export async function buildUi(outdir = UI_DIST): Promise<BuiltUi> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(join(outdir, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { app: join(UI_SOURCE, 'src', 'main.tsx') },
    outdir: join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  let script: string | undefined;
  let stylesheet: string | undefined;
  let bytes = 0;
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (file.endsWith('.js')) script = basename(file);
    else if (file.endsWith('.css')) stylesheet = basename(file);
    else continue;
    bytes += output.bytes;
    const content = await readFile(resolve(root, file));
    await writeFile(
      `${resolve(root, file)}.br`,
      brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
    await writeFile(`${resolve(root, file)}.gz`, gzipSync(content, { level: 9 }));
  }
  if (script === undefined || stylesheet === undefined) throw new Error('the UI build made no script or stylesheet');
  const template = await readFile(join(UI_SOURCE, 'index.html'), 'utf8');
  const html = template
    .replace('<!--stylesheet-->', `<link rel="stylesheet" href="/assets/${stylesheet}">`)
    .replace('<!--script-->', `<script type="module" src="/assets/${script}"></script>`);
  await writeFile(join(outdir, 'index.html'), html);
  return { outdir, script, stylesheet, bytes };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const built = await buildUi();
  process.stdout.write(
    `ui: built ${built.script} and ${built.stylesheet} (${Math.round(built.bytes / 1024)} KiB) into ${built.outdir} in ${Math.round(performance.now() - started)} ms\n`,
  );
}
