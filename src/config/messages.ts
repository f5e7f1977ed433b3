/**
 * zod issues → problems in the user's words: `asn: expected a number, got the string "65022"`,
 * `passive: expected true or false, got the number 1`, an unknown key with a did-you-mean. Knows
 * nothing of files or lines (load.ts places each problem); the same text serves config objects.
 */
import type { z } from 'zod';
import { allowedKeys, closestKey } from './suggest.js';

export type Path = readonly PropertyKey[];

export interface Problem {
  readonly path: Path;
  readonly message: string;
  /** Where it points: at the key itself (unknown key) or at its value (or the nearest ancestor). */
  readonly at: 'key' | 'value';
}

type Issue = z.core.$ZodIssue;

export const pathText = (path: Path): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') ||
  '(top level)';

/** Every issue as problems, with the input value at each path for "got …". */
export function problemsOf(issues: readonly Issue[], input: unknown, schema: z.ZodType): Problem[] {
  return issues.flatMap((i) => problemsOfIssue(i, [], input, schema));
}

function problemsOfIssue(issue: Issue, base: Path, input: unknown, schema: z.ZodType): Problem[] {
  const path = [...base, ...issue.path];
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path);
      return issue.keys.map((k) => ({
        path: [...path, k],
        message: `unknown key '${k}'${hint(k, allowed)}`,
        at: 'key' as const,
      }));
    }
    case 'invalid_union': {
      const branches = issue.errors.filter((b) => b.length > 0);
      const matched = branches.filter((b) => !b.some(mismatched));
      // The input has the shape of one branch: its own problems say more than "invalid input".
      const best = matched.reduce<Issue[] | undefined>(
        (a, b) => (a === undefined || depth(b) >= depth(a) ? b : a),
        undefined,
      );
      if (best) return best.flatMap((i) => problemsOfIssue(i, path, input, schema));
      const roots = branches.flatMap((b) => b.filter((i) => i.path.length === 0));
      const words = roots.flatMap((i) => (i.code === 'invalid_value' ? i.values.map(String) : []));
      const wanted = orList(unique(roots.map(expectedWords)));
      if (value === undefined && path.length > 0)
        return [
          { path: path.slice(0, -1), message: `missing '${String(path.at(-1))}' (${wanted})`, at: 'value' },
        ];
      const message = `expected ${wanted}, got ${describeValue(value)}`;
      return [{ path, message: message + hint(value, words), at: 'value' }];
    }
    case 'invalid_key': {
      const inner = issue.issues.map((i) => i.message).join('; ');
      return [{ path, message: `invalid name '${String(path.at(-1))}': ${inner}`, at: 'key' }];
    }
    case 'invalid_type':
      if (value === undefined && path.length > 0) {
        const what = issue.expected === 'string' ? '' : ` (${expectedWords(issue)})`;
        return [{ path: path.slice(0, -1), message: `missing '${String(path.at(-1))}'${what}`, at: 'value' }];
      }
      return [
        { path, message: `expected ${expectedWords(issue)}, got ${describeValue(value)}`, at: 'value' },
      ];
    case 'invalid_value': {
      const words = issue.values.map(String);
      return [
        {
          path,
          message: `expected ${expectedWords(issue)}, got ${describeValue(value)}${hint(value, words)}`,
          at: 'value',
        },
      ];
    }
    case 'too_small':
    case 'too_big':
      return [
        { path, message: isDefaultMessage(issue) ? sizeWords(issue, value) : issue.message, at: 'value' },
      ];
    default:
      return [{ path, message: issue.message, at: 'value' }];
  }
}

/** " (did you mean 'x'?)" when a string value is a near miss of an allowed word. */
const hint = (value: unknown, words: readonly string[]): string => {
  const near = typeof value === 'string' ? closestKey(value, words) : undefined;
  return near ? ` (did you mean '${near}'?)` : '';
};

/** A root-level issue saying the value is not of the branch's kind (another type, not one of its values). */
function mismatched(i: Issue): boolean {
  if (i.path.length > 0) return false;
  return i.code === 'invalid_type' || i.code === 'invalid_value';
}

const depth = (b: readonly Issue[]) => Math.max(...b.map((i) => i.path.length));

const isDefaultMessage = (i: Issue) => /^(Too small|Too big|Invalid input)/.test(i.message);

/** What a schema wanted, as a user would say it. */
function expectedWords(i: Issue): string {
  if (i.code === 'invalid_value') {
    const vs = i.values.map((v) => (typeof v === 'string' ? v : String(v)));
    return vs.length === 1 ? vs[0] : `one of ${vs.join(', ')}`;
  }
  if (i.code !== 'invalid_type') return i.message;
  switch (i.expected) {
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'text';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
    case 'map':
      return 'a mapping (key: value)';
    default:
      return String(i.expected);
  }
}

function sizeWords(i: Issue & { code: 'too_small' | 'too_big' }, value: unknown): string {
  const bound = Number(i.code === 'too_small' ? i.minimum : i.maximum);
  const side = i.code === 'too_small' ? 'at least' : 'at most';
  switch (i.origin) {
    case 'array':
      return `needs ${side} ${bound} ${bound === 1 ? 'entry' : 'entries'}`;
    case 'string':
      return `must be ${side} ${bound} characters`;
    default:
      return `must be ${side} ${bound}, got ${describeValue(value)}`;
  }
}

/** The value as a user would name it: the string "65022", the number 1, true, a list. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

const unique = (xs: string[]) => [...new Set(xs)];

/** "a, b or c"; ", or" when an item has its own "or" (true or false, or a mapping). */
const orList = (xs: string[]) =>
  xs.length <= 1
    ? (xs[0] ?? 'something else')
    : `${xs.slice(0, -1).join(', ')}${xs.some((x) => x.includes(' or ')) ? ', or' : ' or'} ${xs.at(-1)}`;
