/**
 * Build: compile with tsc (source maps on), copy non-TS assets the runtime reads, then stamp a build
 * id into dist/build-info.json. The build id is a hash of every emitted .js file, so two builds of
 * the same sources share an id and any change to the code gives a new one. Snapshots carry this id;
 * `flightbox decode` uses it to find the matching source maps.
 *
 * The output goes to dist/, or to FLIGHTBOX_DIST when set: a private build (say `dist-mine`, which git
 * ignores) that does not disturb tests running on dist/; point the e2e tests at it with
 * FLIGHTBOX_CLI=dist-mine/cli/main.js. It must sit inside the checkout, where node_modules resolves.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, rmSync, mkdirSync, copyFileSync, existsSync, chmodSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.FLIGHTBOX_DIST ? resolve(process.env.FLIGHTBOX_DIST) : join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', dist], {
  stdio: 'inherit',
});

/** Lists files under `dir` (recursively), sorted so the hash does not depend on readdir order. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out.sort();
}

// Assets read at run time next to the compiled code (embedded configs, golden data, ...).
for (const dir of ['proxy', 'fixtures']) {
  if (!existsSync(join(root, dir))) continue;
  for (const f of walk(join(root, dir))) {
    if (f.endsWith('.ts')) continue;
    const to = join(dist, relative(root, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
}

// The package's bin: `npx flightbox` executes it directly, so it must be executable.
chmodSync(join(dist, 'cli', 'main.js'), 0o755);

const h = createHash('sha256');
for (const f of walk(dist)) {
  if (!f.endsWith('.js')) continue;
  h.update(relative(dist, f));
  h.update(readFileSync(f));
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const info = { buildId: h.digest('hex').slice(0, 20), version: pkg.version, builtAt: new Date().toISOString() };
writeFileSync(join(dist, 'build-info.json'), JSON.stringify(info, null, 2) + '\n');
console.log(`build ${info.buildId} (flightbox ${info.version}) written to ${dist.startsWith(root + '/') ? relative(root, dist) : dist}/`);
