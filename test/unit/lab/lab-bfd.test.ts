/** Lab `bfd: true`: BFD on the leaf ↔ spine sessions only; calico-node (BIRD 1.6) has none. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { parseLab } from '../../../src/lab/load.js';
import { switchConfig } from '../../../src/lab/peerings.js';

const SEED = resolve(import.meta.dirname, '../../../lab/seed.yaml');
const seedText = readFileSync(SEED, 'utf8');

describe('lab bfd', () => {
  it('is off by default and, when on, covers the switch sessions and not the reflectors', () => {
    const plain = parseLab(seedText, 'seed.yaml');
    expect(plain.bfd).toBe(false);
    const lab = parseLab(`bfd: true\n${seedText}`, 'seed.yaml');
    for (const device of [...lab.spines.map((s) => s.name), ...lab.leaves.map((l) => l.name)]) {
      const c = parseConfig(switchConfig(lab, device), `${device}.yaml`);
      const switches = new Set(
        [...lab.leaves.flatMap((l) => l.uplinks.flatMap((u) => [u.leafIp, u.spineIp]))].filter(Boolean),
      );
      const toSwitches = c.neighbors.filter((n) => n.address && switches.has(n.address));
      const toNodes = c.neighbors.filter((n) => !n.address || !switches.has(n.address));
      expect(toSwitches.length, device).toBeGreaterThan(0);
      for (const n of toSwitches) expect(n.bfd, `${device} → ${n.address}`).toBe(true);
      for (const n of toNodes) expect(n.bfd, `${device} → ${n.address}`).toBeUndefined();
      if (lab.leaves.some((l) => l.name === device)) expect(toNodes.length).toBeGreaterThan(0);
    }
    const off = parseConfig(switchConfig(plain, plain.leaves[0].name), 'leaf.yaml');
    expect(off.neighbors.every((n) => n.bfd === undefined)).toBe(true);
  });
});
