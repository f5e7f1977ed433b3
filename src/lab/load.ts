/**
 * Loads a lab file the way src/config/load.ts loads the daemon's config: YAML with line counting,
 * zod validation, one "file:line:col: key: message" line per problem, nothing half-valid returned.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError } from '../config/load.js';
import { type Lab, labSchema } from './schema.js';

export { ConfigError as LabError };

type Path = readonly PropertyKey[];

const pathText = (path: Path) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') ||
  '(top level)';

export function parseLab(text: string, file = '<lab>'): Lab {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length)
    throw new ConfigError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`));
  const result = labSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const root = doc.contents as Node | null;
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

export function loadLab(file: string): Lab {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message}`]);
  }
  return parseLab(text, file);
}

function deepest(root: Node | null, path: Path): { node: Node | null; depth: number } {
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
