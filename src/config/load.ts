/**
 * Loads a YAML config: parse, validate, freeze. Every error names the file, line and column and
 * the key (`neighbors[1].asn`), so a typo is found at once; nothing half-valid is returned.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Path = readonly PropertyKey[];

const pathText = (path: Path) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') ||
  '(top level)';

/** Validates config text; throws ConfigError listing every problem as "file:line:col: key: message". */
export function parseConfig(text: string, file = '<config>'): Readonly<Config> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return `${file}`;
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length)
    throw new ConfigError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`));
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return deepFreeze(result.data);
  throw new ConfigError(result.error.issues.map((i) => describe(i, doc.contents as Node | null, where)));
}

/**
 * Validates a config object (the library API: the same schema as the file, defaults filled in);
 * throws ConfigError with one "key: message" line per problem.
 */
export function validateConfig(config: unknown): Readonly<Config> {
  const result = configSchema.safeParse(config ?? {});
  if (result.success) return deepFreeze(result.data);
  throw new ConfigError(
    result.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => `${pathText([...i.path, k])}: unknown key '${k}'`)
        : [`${pathText(i.path)}: ${i.message}`],
    ),
  );
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

function describe(
  issue: z.core.$ZodIssue,
  root: Node | null,
  where: (o: number | undefined) => string,
): string {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((k) => {
        const keyNode = findKey(root, path, k);
        return `${where(keyNode)}: ${pathText([...path, k])}: unknown key '${k}'`;
      })
      .join('\n');
  }
  const { node, depth } = deepest(root, path);
  const missing = depth < path.length ? ` (missing '${String(path[depth])}')` : '';
  return `${where(node?.range?.[0])}: ${pathText(path)}: ${issue.message}${missing}`;
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

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
