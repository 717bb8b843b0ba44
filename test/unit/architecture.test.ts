/**
 * The import direction of DESIGN.md, enforced: protocols ← drivers ← daemon, protocols ← kiosk-ui.
 * Nothing in protocols/ imports from the rest of the project; kiosk-ui/ never imports daemon/ or
 * drivers/; drivers/ never import daemon/. This is the project's lint rule for layering.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../daemon/config.ts';

function sources(dir: string): string[] {
  const root = join(repoRoot, dir);
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  for (const e of entries) {
    const p = join(root, e);
    if (e === 'node_modules' || e === 'dist') continue;
    if (statSync(p).isDirectory()) out = out.concat(sources(join(dir, e)));
    else if (/\.(ts|tsx|mts)$/.test(e)) out.push(p);
  }
  return out;
}

/** Project-relative top-level folders a file imports from. */
function importedTops(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(repoRoot, resolve(dirname(file), s)).split(/[\\/]/)[0]!);
}

const rules: Array<[string, string[]]> = [
  ['protocols', ['protocols']],
  ['drivers', ['protocols', 'drivers']],
  ['kiosk-ui', ['protocols', 'kiosk-ui']],
];

describe('import direction', () => {
  for (const [layer, allowed] of rules) {
    it(`${layer}/ imports only from ${allowed.join(', ')}`, () => {
      const violations = sources(layer).flatMap((f) =>
        importedTops(f)
          .filter((t) => !allowed.includes(t))
          .map((t) => `${relative(repoRoot, f)} → ${t}/`),
      );
      expect(violations).toEqual([]);
    });
  }

  it('the rule sees real imports (it would catch a violation)', () => {
    const tops = importedTops(join(repoRoot, 'daemon', 'circulation', 'embedded.ts'));
    expect(tops).toContain('protocols');
    expect(tops).toContain('config');
  });
});
