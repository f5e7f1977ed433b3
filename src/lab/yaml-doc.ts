/**
 * YAML files checked against a zod schema the way src/config/load.ts checks the daemon's config:
 * line counting, one "file:line:col: key: message" line per problem, nothing half-valid returned.
 * Shared by lab files (load.ts) and scenarios (scenario.ts).
 */
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../config/load.js';

export type Path = readonly PropertyKey[];

export const pathText = (path: Path) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') ||
  '(top level)';

/** The YAML node at `path`, or the deepest one that exists and how deep that is. */
export function deepest(root: Node | null, path: Path): { node: Node | null; depth: number } {
  let node = root;
  let depth = 0;
  for (const seg of path) {
    let child: Node | null = null;
    if (isMap(node))
      child = (node.items.find((p) => (p.key as { value?: unknown })?.value === seg)?.value as Node) ?? null;
    else if (isSeq(node) && typeof seg === 'number') child = (node.items[seg] as Node) ?? null;
    if (!child) break;
    node = child;
    depth++;
  }
  return { node, depth };
}

function keyOffset(root: Node | null, path: Path, key: string): number | undefined {
  const { node } = deepest(root, path);
  if (!isMap(node)) return node?.range?.[0];
  const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
  return (pair?.key as Node | undefined)?.range?.[0] ?? node.range?.[0];
}

export interface YamlDoc<T> {
  readonly data: T;
  readonly root: Node | null;
  readonly lines: LineCounter;
  /** `file:line:col` of a source offset (`file` alone without one). */
  where(offset: number | undefined): string;
  /** `file:line:col: key: message` for the node at `path`. */
  problem(path: Path, message: string): string;
}

/** Parses `text` and validates it with `schema`; throws ConfigError with every problem. */
export function parseYamlDoc<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
): YamlDoc<z.output<S>> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length)
    throw new ConfigError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`));
  const root = doc.contents as Node | null;
  const problem = (path: Path, message: string) =>
    `${where(deepest(root, path).node?.range?.[0])}: ${pathText(path)}: ${message}`;
  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return { data: result.data, root, lines, where, problem };
  throw new ConfigError(
    result.error.issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map(
          (k) =>
            `${where(keyOffset(root, issue.path, k))}: ${pathText([...issue.path, k])}: unknown key '${k}'`,
        );
      const { node, depth } = deepest(root, issue.path);
      const missing = depth < issue.path.length ? ` (missing '${String(issue.path[depth])}')` : '';
      return [`${where(node?.range?.[0])}: ${pathText(issue.path)}: ${issue.message}${missing}`];
    }),
  );
}
