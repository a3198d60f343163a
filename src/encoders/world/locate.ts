/**
 * Where a shipped world encoder folder lives: $GLUEGEN_WORLD_DIR/<name> when that variable is set
 * (as src/world/assets.ts honours it), else assets/world/<name> in the nearest folder above this
 * module that has one — the package root, from the source tree or from dist/.
 *
 * The search looks for the encoder's own config.json, not for the generator's (which
 * worldAssetsDir() requires), so the encoders load even where only they were built.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function worldEncoderDir(name: string): string {
  const env = process.env.GLUEGEN_WORLD_DIR;
  if (env) {
    const dir = resolve(env, name);
    if (!existsSync(join(dir, 'config.json'))) {
      throw new Error(`GLUEGEN_WORLD_DIR is '${env}', which holds no ${join(name, 'config.json')}; point it at a folder written by the world build, or unset it to use the bundled assets`);
    }
    return dir;
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'assets', 'world', name);
    if (existsSync(join(candidate, 'config.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`the bundled world encoder '${name}' was not found (no assets/world/${name}/config.json above the gluegen package); build it with buildWorldEncoders({ outDir: 'assets/world' }) or pass its folder to load()`);
}
