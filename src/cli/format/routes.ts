/**
 * `rackbgp show routes [PREFIX]`: one line per path as FRR's `show bgp ipv4` prints it — status
 * marks (`*` valid, `>` best, `=` multipath, `S` stale), network, next hop, MED, LOCAL_PREF, AS path
 * with the origin code, communities — plus the peer it came from and the best-path reason. Pure.
 */
import type { PathSnapshot, RouteSnapshot } from '../../api/daemon.js';
import { table } from './text.js';

type Segment = { type: string; asns: number[] };
const ORIGIN_CODE: Record<string, string> = { igp: 'i', egp: 'e', incomplete: '?' };

/** "65002 65001 {65003,65004} i", as FRR prints AS_PATH and ORIGIN. */
export function asPathText(attrs: Record<string, unknown>): string {
  const segments = (attrs.asPath as Segment[] | undefined) ?? [];
  const parts = segments.map((s) =>
    s.type === 'set'
      ? `{${s.asns.join(',')}}`
      : s.type === 'confed-sequence'
        ? `(${s.asns.join(' ')})`
        : s.type === 'confed-set'
          ? `[${s.asns.join(',')}]`
          : s.asns.join(' '),
  );
  const origin = ORIGIN_CODE[attrs.origin as string] ?? '?';
  return [...parts.filter(Boolean), origin].join(' ');
}

export function pathMarks(p: PathSnapshot): string {
  return `${p.stale ? 'S' : ' '}*${p.best ? '>' : p.multipath ? '=' : ' '}`;
}

const communities = (a: Record<string, unknown>) =>
  [...((a.communities as string[]) ?? []), ...((a.largeCommunities as string[]) ?? [])].join(' ');

export function formatRoutes(routes: readonly RouteSnapshot[]): string {
  if (!routes.length) return 'No routes.\n';
  const rows: string[][] = [];
  for (const r of routes) {
    r.paths.forEach((p, i) => {
      const a = p.attributes;
      rows.push([
        pathMarks(p),
        i === 0 ? r.prefix : '',
        p.nextHop ?? (p.peer === 'local' ? '0.0.0.0' : ''),
        a.med === undefined ? '' : String(a.med),
        a.localPref === undefined ? '' : String(a.localPref),
        asPathText(a),
        communities(a),
        p.peer,
        p.best ? r.reason : '',
      ]);
    });
  }
  const header = [
    '',
    'Network',
    'Next Hop',
    'Metric',
    'LocPrf',
    'Path',
    'Communities',
    'From',
    'Best-path reason',
  ];
  const paths = routes.reduce((n, r) => n + r.paths.length, 0);
  return [
    'Status codes: * valid, > best, = multipath, S stale; origin codes: i IGP, e EGP, ? incomplete',
    '',
    table(header, rows, ['left', 'left', 'left', 'right', 'right', 'left', 'left', 'left', 'left']),
    '',
    `Displayed ${routes.length} prefixes, ${paths} paths`,
    '',
  ].join('\n');
}
