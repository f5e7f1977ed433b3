import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const dir = join(import.meta.dirname, '../../../examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('shipped example configs', () => {
  it('exist for the seed roles', () => {
    expect(files).toEqual(expect.arrayContaining(['spine.yaml', 'leaf.yaml', 'route-reflector.yaml']));
  });
  it.each(files)('%s is valid', (f) => {
    const c = loadConfig(join(dir, f));
    expect(c.asn).toBeGreaterThan(0);
  });
});
