/**
 * Things each valid alone but not together: two neighbors with one address (`fd00::1` and
 * `fd00:0::1` included: both would run and fight over the sessions) or one interface, listen ranges that overlap
 * (the first would decide silently), a listen address twice (cannot bind). Reads the raw input
 * defensively, so these come out with every other error at once (zod skips refinements after an
 * aborting issue).
 */
import { formatIPv6, ipFamily, type ParsedPrefix, parseIPv6, parsePrefix } from '../util/ip.js';
import type { Problem } from './messages.js';

/** One text form per address. */
const canonical = (a: string): string => {
  const v6 = ipFamily(a) === 6 ? parseIPv6(a) : null;
  return v6 ? formatIPv6(v6) : a;
};

const field = (o: unknown, key: string): unknown =>
  typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Index of the first earlier entry with the same canonical address, or -1. */
const firstSame = (xs: readonly (string | undefined)[], j: number): number => {
  const x = xs[j];
  return x === undefined
    ? -1
    : xs.findIndex((y, k) => k < j && y !== undefined && canonical(y) === canonical(x));
};

export function duplicateProblems(config: unknown): Problem[] {
  const problems: Problem[] = [];
  const problem = (path: (string | number)[], message: string) =>
    problems.push({ path, message, at: 'value' });

  const neighbors = list(field(config, 'neighbors')).map((n) => text(field(n, 'address')));
  for (const j of neighbors.keys()) {
    const i = firstSame(neighbors, j);
    if (i < 0) continue;
    const same = neighbors[i] === neighbors[j] ? '' : ` (${neighbors[i]})`;
    problem(
      ['neighbors', j, 'address'],
      `duplicate neighbor: ${neighbors[j]} is already neighbors[${i}]${same}`,
    );
  }

  // One unnumbered neighbor per interface: two would answer the same link's peer.
  const links = list(field(config, 'neighbors')).map((n) => text(field(n, 'interface')));
  for (const [j, ifname] of links.entries()) {
    const i = links.findIndex((x, k) => k < j && x !== undefined && x === ifname);
    if (i >= 0)
      problem(
        ['neighbors', j, 'interface'],
        `duplicate neighbor: interface ${ifname} is already neighbors[${i}]`,
      );
  }

  const rangeTexts = list(field(config, 'listen-ranges')).map((r) => text(field(r, 'prefix')));
  const ranges = rangeTexts.map((p) => (p === undefined ? null : parsePrefix(p)));
  for (const [j, b] of ranges.entries()) {
    const i = ranges.findIndex((a, k) => k < j && a !== null && b !== null && overlap(a, b));
    if (i >= 0)
      problem(
        ['listen-ranges', j, 'prefix'],
        `overlaps listen-ranges[${i}] (${rangeTexts[i]}): an address in both would always get the first one's settings; make them disjoint`,
      );
  }

  const listen = list(field(field(config, 'listen'), 'address')).map(text);
  for (const j of listen.keys()) {
    const i = firstSame(listen, j);
    if (i >= 0)
      problem(
        ['listen', 'address', j],
        `duplicate listen address: ${listen[j]} is already listen.address[${i}]`,
      );
  }
  return problems;
}

/** Two prefixes of one family overlap when the shorter covers the longer. */
function overlap(a: ParsedPrefix, b: ParsedPrefix): boolean {
  if (a.family !== b.family) return false;
  const len = Math.min(a.length, b.length);
  for (let bit = 0; bit < len; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((a.bytes[bit >> 3] & m) !== (b.bytes[bit >> 3] & m)) return false;
  }
  return true;
}
