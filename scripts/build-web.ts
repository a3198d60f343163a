/**
 * `npm run build:web`: the static site of the in-browser X-to-image page, in dist/web/:
 *
 *   index.html, style.css, recorder-worklet.js      the page (src/web/static)
 *   main.js + chunk-*.js                            the bundle of src/web/browser/main.ts (esbuild)
 *   ort-wasm-simd-threaded[.asyncify].wasm         onnxruntime-web's wasm (plain; WebGPU build)
 *   models/<folder>/...                             the world models the page uses (copied; each
 *                                                   GlueNet's aligner exported to aligner.onnx)
 *
 * The runtime seam is chosen here, once: an import of `x.js` resolves to `x.web.ts` when that file
 * exists (engine/ort-backend.web.ts: onnxruntime-web; io/open-files.web.ts: fetch). Node builtins
 * are replaced by modules that throw when called (node:zlib by a stored-deflate writer for PNGs), and
 * the build fails if onnxruntime-node would enter the bundle.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGlueNet } from '../src/gluenet/checkpoint.js';
import { EXPORTED_ALIGNER_FILE } from '../src/gluenet/exported-aligner.js';
import { alignerOnnx } from '../src/gluenet/inference.js';
import { WEB_WORLD_FILES, type WebWorldFolder } from '../src/web/world-app.js';
import { worldAssetsDir } from '../src/world/assets.js';

export interface WebBuildOptions {
  /** Output folder (default: dist/web in the package). */
  outDir?: string;
  /** The world models to copy (default: worldAssetsDir()). */
  worldDir?: string;
  minify?: boolean; // true
}

export interface WebBuildResult {
  outDir: string;
  /** Every file written, relative to outDir, with its size in bytes. */
  files: { path: string; bytes: number }[];
  /** Node builtins the bundle's sources import, replaced in the browser. */
  replacedBuiltins: string[];
  ms: number;
}

/** The package root: the folder above this module holding gluegen's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gluegen') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('build-web: the gluegen package root (package.json) was not found above this script');
    dir = parent;
  }
}

const BUILTIN =
  /^(node:)?(fs|fs\/promises|path|os|url|zlib|worker_threads|child_process|crypto|module|util|stream|events|http|https|net|buffer|process|readline|perf_hooks|v8|assert)$/;

/** The esbuild plugin that makes the bundle a browser one (see the file comment). */
function browserPlugin(root: string, replaced: Set<string>): import('esbuild').Plugin {
  return {
    name: 'gluegen-browser',
    setup(build) {
      build.onResolve({ filter: /^onnxruntime-node$/ }, (args) => ({
        errors: [
          {
            text: `onnxruntime-node must not enter the web bundle (imported by ${relative(root, args.importer)}); import onnxruntime only in src/engine/ort-backend.ts`,
          },
        ],
      }));
      build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
        const web = resolve(args.resolveDir, args.path.replace(/\.js$/, '.web.ts'));
        return existsSync(web) ? { path: web } : undefined;
      });
      build.onResolve({ filter: BUILTIN }, (args) => {
        const name = args.path.replace(/^node:/, '');
        replaced.add(name);
        if (name === 'zlib') return { path: join(root, 'src', 'web', 'shims', 'zlib.ts') };
        return { path: name, namespace: 'node-builtin' };
      });
      // CommonJS, so any named import resolves; calling anything says what is missing.
      build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
        loader: 'js',
        contents: `const missing = (name) => () => { throw new Error('node:${args.path}.' + String(name) + ' is not available in the browser'); };
module.exports = new Proxy({}, { get: (_, name) => (name === '__esModule' ? false : missing(name)) });`,
      }));
    },
  };
}

export async function buildWeb(opts: WebBuildOptions = {}): Promise<WebBuildResult> {
  const t0 = performance.now();
  const root = packageRoot();
  const outDir = resolve(opts.outDir ?? join(root, 'dist', 'web'));
  const worldDir = opts.worldDir ?? worldAssetsDir();
  const esbuild = await import('esbuild').catch(() => {
    throw new Error('build-web: esbuild is not installed; run `npm install` (it is a dev dependency)');
  });
  // Built next to the output and renamed into place: a failed build leaves the old site intact.
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const replaced = new Set<string>();
  try {
    const result = await esbuild.build({
      entryPoints: { main: join(root, 'src', 'web', 'browser', 'main.ts') },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome113', 'firefox121', 'safari17'],
      outdir: tmp,
      minify: opts.minify ?? true,
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      plugins: [browserPlugin(root, replaced)],
    });
    const node = Object.keys(result.metafile.inputs).filter((p) => p.includes('onnxruntime-node'));
    if (node.length) throw new Error(`build-web: onnxruntime-node entered the bundle through ${node.join(', ')}`);
    for (const f of ['index.html', 'style.css', 'recorder-worklet.js']) copyFileSync(join(root, 'src', 'web', 'static', f), join(tmp, f));
    const ortDist = dirname(createRequire(join(root, 'package.json')).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
    for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.wasm']) copyFileSync(join(ortDist, f), join(tmp, f));
    for (const [folder, names] of Object.entries(WEB_WORLD_FILES) as [WebWorldFolder, readonly string[]][]) {
      mkdirSync(join(tmp, 'models', folder), { recursive: true });
      for (const name of names) {
        const to = join(tmp, 'models', folder, name);
        if (name === EXPORTED_ALIGNER_FILE) {
          // The page runs the GlueNet's aligner as ONNX, the graph `gluegen export` writes.
          const g = await loadGlueNet(join(worldDir, folder));
          writeFileSync(to, alignerOnnx(g.config, g.weights));
          continue;
        }
        const from = join(worldDir, folder, name);
        if (!existsSync(from)) throw new Error(`build-web: ${from} is missing; build the world (\`gluegen world build\`) or set GLUEGEN_WORLD_DIR`);
        copyFileSync(from, to);
      }
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    if (errors?.length)
      throw new Error(`build-web: esbuild failed: ${errors.map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`).join('; ')}`);
    throw e;
  }
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  const files = listFiles(outDir).map((path) => ({ path, bytes: statSync(join(outDir, path)).size }));
  return { outDir, files, replacedBuiltins: [...replaced].sort(), ms: performance.now() - t0 };
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildWeb()
    .then((r) => {
      const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
      const total = r.files.reduce((s, f) => s + f.bytes, 0);
      const models = r.files.filter((f) => f.path.startsWith('models')).reduce((s, f) => s + f.bytes, 0);
      const js = r.files.filter((f) => f.path.endsWith('.js')).reduce((s, f) => s + f.bytes, 0);
      console.log(`dist/web: ${r.files.length} files, ${mb(total)} MB (JavaScript ${mb(js)} MB, models ${mb(models)} MB) in ${(r.ms / 1000).toFixed(1)} s`);
      console.log(`node builtins replaced in the browser: ${r.replacedBuiltins.join(', ') || 'none'}`);
    })
    .catch((e: unknown) => {
      console.error(`error: ${(e as Error).message}`);
      process.exitCode = 1;
    });
}
