/**
 * The packages a set of packages needs at run time: each one's dependencies, optional
 * dependencies and peer dependencies that are installed, and theirs, found in node_modules the
 * way Node looks (the package's own node_modules, then each folder above up to the repository).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function findPackage(fromDir: string, name: string, rootDir: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === rootDir || dir === path.dirname(dir)) return null;
  }
}

/** Names of `roots` and everything they need; a root that is not installed is an error. */
export function dependencyClosure(rootDir: string, roots: readonly string[]): Set<string> {
  const found = new Set<string>();
  const queue = roots.map((name) => {
    const dir = findPackage(rootDir, name, rootDir);
    if (!dir) throw new Error(`${name} is not installed in ${rootDir}/node_modules.`);
    return { name, dir };
  });
  while (queue.length > 0) {
    const { name, dir } = queue.shift()!;
    if (found.has(name)) continue;
    found.add(name);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    const needs = [manifest.dependencies, manifest.optionalDependencies, manifest.peerDependencies].flatMap((deps) =>
      Object.keys(deps ?? {}),
    );
    for (const dependency of needs) {
      const dependencyDir = findPackage(dir, dependency, rootDir);
      // Not installed: an optional or peer dependency nobody asked for (npm installs every required one).
      if (dependencyDir) queue.push({ name: dependency, dir: dependencyDir });
    }
  }
  return found;
}
