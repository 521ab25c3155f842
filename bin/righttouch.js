#!/usr/bin/env -S node --max-semi-space-size=16 --heap-growing-percent=30
// The `righttouch` command. RightTouch runs its TypeScript sources directly on Node.js ≥ 22.18
// (type stripping); inside the checkout, `npx righttouch` and the npm scripts use the Node 24
// that `npm install` puts in node_modules/.bin. `--max-semi-space-size=16` caps V8's young
// generation at 2 × 16 MiB (by default it grows to 128 MiB on allocation-heavy syncs);
// `--heap-growing-percent=30` collects the old generation once it has grown 30% past what the
// last collection kept, instead of letting garbage reach several times the live data. Together they
// keep a 600,000-record sync under 512 MiB, no slower (README, Benchmark).
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `righttouch: needs Node.js 22.18 or newer (this is ${process.version}). ` +
      'Run it as `npx righttouch ...` in the checkout after `npm install`, which brings Node 24.\n',
  );
  process.exit(1);
}
// The module compile cache (https://nodejs.org/api/module.html#module-compile-cache): Node keeps
// the type-stripped sources and V8's code cache on disk (NODE_COMPILE_CACHE, or node-compile-cache
// under the temporary directory), so a process after the first does not strip and compile every
// TypeScript module again — about 0.5 s of a fresh worker's start-up CPU (README, "A fresh
// worker: the company snapshot"). Optional: it never throws; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
(await import('node:module')).enableCompileCache?.();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
