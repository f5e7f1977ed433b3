/**
 * Loads a YAML config: parse, validate, freeze. Every error names the file, line and column and
 * the key (`neighbors[1].asn`), so a typo is found at once; nothing half-valid is returned.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { duplicateProblems } from './duplicates.js';
import { type Path, type Problem, pathText, problemsOf } from './messages.js';
import { type Config, configSchema } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Set on every config validateConfig/parseConfig return, so the Speaker can tell one from a raw object. */
const VALIDATED = Symbol('rackbgp.validatedConfig');

/** True for a config that came out of parseConfig, loadConfig or validateConfig (not a copy of one). */
export function isValidatedConfig(c: unknown): c is Readonly<Config> {
  return typeof c === 'object' && c !== null && Object.hasOwn(c, VALIDATED);
}

/**
 * Validates config text; throws ConfigError listing every problem as "file:line:col: key: message",
 * sorted by line and column.
 */
export function parseConfig(text: string, file = '<config>'): Readonly<Config> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const located = (offset: number | undefined, text: string) => {
    if (offset === undefined) return { line: 0, col: 0, text: `${file}: ${text}` };
    const p = lines.linePos(offset);
    return { line: p.line, col: p.col, text: `${file}:${p.line}:${p.col}: ${text}` };
  };
  let found: { line: number; col: number; text: string }[];
  if (doc.errors.length) found = doc.errors.map((e) => located(e.pos[0], e.message.split('\n')[0]));
  else {
    const input = doc.toJS() ?? {};
    const checked = check(input);
    if (!Array.isArray(checked)) return checked;
    const root = doc.contents as Node | null;
    found = checked.map((p) => located(offsetOf(root, p), `${pathText(p.path)}: ${p.message}`));
  }
  found.sort((a, b) => a.line - b.line || a.col - b.col);
  throw new ConfigError(found.map((f) => f.text));
}

/**
 * Validates a config object (the library API: the same schema as the file, defaults filled in);
 * throws ConfigError with one "key: message" line per problem.
 */
export function validateConfig(config: unknown): Readonly<Config> {
  const checked = check(config ?? {});
  if (!Array.isArray(checked)) return checked;
  throw new ConfigError(checked.map((p) => `${pathText(p.path)}: ${p.message}`));
}

/** The validated, frozen config, or every problem (schema and cross-entry checks together). */
function check(input: unknown): Readonly<Config> | Problem[] {
  const result = configSchema.safeParse(input);
  const problems = [
    ...(result.success ? [] : problemsOf(result.error.issues, input, configSchema)),
    ...duplicateProblems(input),
  ];
  if (result.success && !problems.length) return brand(result.data);
  return problems;
}

export function loadConfig(file: string): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message}`]);
  }
  return parseConfig(text, file);
}

/** Where a problem points: its key (unknown key), its value, or the nearest ancestor (missing key). */
function offsetOf(root: Node | null, p: Problem): number | undefined {
  if (p.at === 'key') return findKey(root, p.path.slice(0, -1), String(p.path.at(-1)));
  return deepest(root, p.path).node?.range?.[0];
}

/** The node at `path`, or the deepest existing ancestor (for a missing key). */
function deepest(root: Node | null, path: Path): { node: Node | null; depth: number } {
  let node = root;
  let depth = 0;
  for (const seg of path) {
    const child = childOf(node, seg);
    if (!child) break;
    node = child;
    depth++;
  }
  return { node, depth };
}

function childOf(node: Node | null, seg: PropertyKey): Node | null {
  if (isMap(node)) {
    const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === seg);
    return (pair?.value as Node) ?? null;
  }
  if (isSeq(node) && typeof seg === 'number') return (node.items[seg] as Node) ?? null;
  return null;
}

function findKey(root: Node | null, path: Path, key: string): number | undefined {
  const { node } = deepest(root, path);
  if (!isMap(node)) return node?.range?.[0];
  const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
  return (pair?.key as Node | undefined)?.range?.[0] ?? node.range?.[0];
}

function brand(c: Config): Readonly<Config> {
  Object.defineProperty(c, VALIDATED, { value: true });
  return deepFreeze(c);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
