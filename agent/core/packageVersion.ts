import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'station-agent';

/**
 * The version in the station-agent package.json found by walking up from `fromUrl` (a module's
 * import.meta.url), or undefined. Walking up rather than a fixed `../..` works from the sources
 * (agent/core), from the build (dist/agent/core) and from the installed copy
 * (/opt/station-agent/dist/...: install.sh copies package.json beside dist/). A package.json of
 * another name on the way (a bundler's, a parent project's) is passed over.
 */
export function findPackageVersion(fromUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here, or not readable JSON: look further up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
