/**
 * What a heap holds that another did not, per object kind: reads two V8 heap snapshots of one
 * process (the core bench's `--heap-snapshot` pair), takes the objects of the second whose ids the
 * first lacks, and lists their count and self bytes by constructor (or V8's name for arrays,
 * strings and hidden objects), largest first, per unit when given. Self sizes only: each byte is
 * counted once, under the object that holds it. `--who KIND` lists what holds the new KIND objects.
 *
 *   node dist/bench/heap-types.js A-before.heapsnapshot A-after.heapsnapshot [--per 25000] [--top 25]
 *     [--who 'array:']
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Kinds whose V8 name is their content (strings, numbers, code): grouped by kind alone. */
const BY_TYPE = new Set(['string', 'concatenated string', 'sliced string', 'number', 'code', 'regexp']);

const load = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Snapshot;

function ids(s: Snapshot): Set<number> {
  const width = s.snapshot.meta.node_fields.length;
  const at = s.snapshot.meta.node_fields.indexOf('id');
  const out = new Set<number>();
  for (let i = 0; i < s.nodes.length; i += width) out.add(s.nodes[i + at]);
  return out;
}

interface Row {
  count: number;
  bytes: number;
}

/** Count and self bytes per kind of the objects of `s` not in `old`; with `who`, their holders' kinds. */
function fresh(
  s: Snapshot,
  old: Set<number>,
  who?: string,
): { kinds: Map<string, Row>; holders: Map<string, number> } {
  const m = s.snapshot.meta;
  const width = m.node_fields.length;
  const [typeAt, nameAt, idAt, sizeAt, edgesAt] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) =>
    m.node_fields.indexOf(f),
  );
  const edgeWidth = m.edge_fields.length;
  const [edgeTypeAt, edgeNameAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) =>
    m.edge_fields.indexOf(f),
  );
  const weak = m.edge_types[0].indexOf('weak');
  const property = m.edge_types[0].indexOf('property');
  /** First edge of every node (edges are stored in node order). */
  const firstEdge = new Uint32Array(s.nodes.length / width + 1);
  for (let i = 0, e = 0; i < s.nodes.length; i += width) {
    firstEdge[i / width] = e;
    e += s.nodes[i + edgesAt] * edgeWidth;
  }
  /** Plain objects are named by their first properties: `{family,key,paths,best}`. */
  const kindOf = (i: number) => {
    const type = m.node_types[0][s.nodes[i + typeAt]];
    if (BY_TYPE.has(type)) return type;
    const name = s.strings[s.nodes[i + nameAt]];
    if (type !== 'object' || name !== 'Object') return `${type}:${name}`;
    const props: string[] = [];
    const e0 = firstEdge[i / width];
    for (let j = 0; j < s.nodes[i + edgesAt] && props.length < 4; j++) {
      const at = e0 + j * edgeWidth;
      if (s.edges[at + edgeTypeAt] === property) props.push(s.strings[s.edges[at + edgeNameAt]]);
    }
    return `{${props.join(',')}}`;
  };
  const kinds = new Map<string, Row>();
  const holders = new Map<string, number>();
  let e = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const kind = kindOf(i);
    if (!old.has(s.nodes[i + idAt])) {
      const k = kinds.get(kind);
      const size = s.nodes[i + sizeAt];
      if (k) {
        k.count++;
        k.bytes += size;
      } else kinds.set(kind, { count: 1, bytes: size });
    }
    const edges = s.nodes[i + edgesAt];
    if (who)
      for (let j = 0; j < edges; j++) {
        const at = e + j * edgeWidth;
        const to = s.edges[at + toAt];
        if (s.edges[at + edgeTypeAt] === weak || old.has(s.nodes[to + idAt]) || kindOf(to) !== who) continue;
        holders.set(kind, (holders.get(kind) ?? 0) + 1);
      }
    e += edges * edgeWidth;
  }
  return { kinds, holders };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      per: { type: 'string', default: '1' },
      top: { type: 'string', default: '25' },
      who: { type: 'string' },
    },
  });
  if (positionals.length !== 2) {
    console.error(
      'usage: heap-types BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top 25] [--who KIND]',
    );
    process.exit(2);
  }
  const per = Number(values.per);
  const old = ids(load(positionals[0]));
  const { kinds, holders } = fresh(load(positionals[1]), old, values.who);
  const rows = [...kinds].sort((x, y) => y[1].bytes - x[1].bytes);
  const total = rows.reduce((n, [, r]) => n + r.bytes, 0);
  console.log(`| kind | objects per ${per} | bytes per ${per} |`);
  console.log('|---|---:|---:|');
  for (const [kind, r] of rows.slice(0, Number(values.top)))
    console.log(`| ${kind} | ${(r.count / per).toFixed(2)} | ${(r.bytes / per).toFixed(1)} |`);
  console.log(`| total (new objects) | | ${(total / per).toFixed(1)} |`);
  if (values.who) {
    console.log(`\nholders of new ${values.who} (references per ${per}):`);
    for (const [kind, n] of [...holders].sort((x, y) => y[1] - x[1]).slice(0, 15))
      console.log(`  ${kind}: ${(n / per).toFixed(2)}`);
  }
}

main();
