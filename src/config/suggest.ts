/**
 * Did-you-mean for unknown config keys: the keys the schema allows at that level (found by walking
 * the zod schema along the key's path), and the nearest one by edit distance (Damerau: a swap of
 * two neighbouring letters counts once), offered only when it is close enough to be the intent.
 */
import type { z } from 'zod';
import { matchSchema, termSchema } from '../policy/schema.js';

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
  getter?: () => z.ZodType;
};

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas reachable from `s` without consuming a path segment (through wrappers and unions). */
function objectsAt(s: z.ZodType, seen = new Set<z.ZodType>()): z.ZodType[] {
  if (seen.has(s)) return [];
  seen.add(s);
  const d = defOf(s);
  switch (d.type) {
    case 'object':
    case 'record':
    case 'array':
      return [s];
    case 'union':
      return (d.options ?? []).flatMap((o) => objectsAt(o, seen));
    case 'pipe':
      return [...(d.in ? objectsAt(d.in, seen) : []), ...(d.out ? objectsAt(d.out, seen) : [])];
    case 'lazy':
      return d.getter ? objectsAt(d.getter(), seen) : [];
    default:
      return d.innerType ? objectsAt(d.innerType, seen) : [];
  }
}

function step(s: z.ZodType, seg: PropertyKey): z.ZodType[] {
  return objectsAt(s).flatMap((o) => {
    const d = defOf(o);
    if (d.type === 'object' && typeof seg === 'string' && d.shape?.[seg]) return [d.shape[seg]];
    if (d.type === 'array' && typeof seg === 'number' && d.element) return [d.element];
    if (d.type === 'record' && typeof seg === 'string' && d.valueType) return [d.valueType];
    return [];
  });
}

/**
 * Keys allowed in the mapping at `path`. Parts of the policy schema pick their branch in a transform
 * (opaque to this walk); there the keys of every term and match are offered instead.
 */
export function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at = [schema];
  for (const seg of path) at = at.flatMap((s) => step(s, seg));
  const keys = at.flatMap((s) => objectsAt(s)).flatMap((o) => Object.keys(defOf(o).shape ?? {}));
  if (keys.length) return [...new Set(keys)];
  if (path[0] === 'policies') return [...Object.keys(termSchema.shape), ...Object.keys(matchSchema.shape)];
  return [];
}

/** Optimal string alignment distance (Levenshtein plus adjacent transposition). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The allowed key nearest to `key`: at most 2 edits (1 for keys of 4 letters or fewer, where 2 edits
 * turn any short word into another), ignoring case and `_` for `-`.
 */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  const norm = key.toLowerCase().replaceAll('_', '-');
  const limit = norm.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of allowed) {
    const dist = editDistance(norm, k);
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  return best;
}
