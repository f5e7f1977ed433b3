/**
 * `rackbgp show neighbor ADDR advertised-routes | received-routes`: one neighbor's Adj-RIB-Out (what
 * it was sent, next hop as it got it) or Adj-RIB-In before import policy, in the columns of FRR's
 * `show bgp neighbors ADDR advertised-routes` (Network, Next Hop, Metric, LocPrf, Path). Pure.
 */
import type { AdjRibView } from '../../api/service.js';
import { asPathText } from './routes.js';
import { table } from './text.js';

const communities = (a: Record<string, unknown>) =>
  [...((a.communities as string[]) ?? []), ...((a.largeCommunities as string[]) ?? [])].join(' ');

export function formatAdjRib(v: AdjRibView): string {
  const what =
    v.direction === 'advertised'
      ? `Routes advertised to ${v.neighbor} (Adj-RIB-Out)`
      : `Routes received from ${v.neighbor} before import policy (Adj-RIB-In, soft-reconfiguration-inbound)`;
  if (!v.routes.length) {
    const why = v.state === 'Established' ? '' : ` (session ${v.state})`;
    return `${what}: none${why}.\n`;
  }
  const addPath = v.routes.some((r) => r.pathId !== 0);
  const rows = v.routes.map((r, i) => {
    const a = r.attributes;
    const nextHop = r.linkLocalNextHop ? `${r.nextHop ?? '::'} (${r.linkLocalNextHop})` : (r.nextHop ?? '');
    return [
      i > 0 && v.routes[i - 1].prefix === r.prefix ? '' : r.prefix,
      ...(addPath ? [String(r.pathId)] : []),
      nextHop,
      a.med === undefined ? '' : String(a.med),
      a.localPref === undefined ? '' : String(a.localPref),
      asPathText(a),
      communities(a),
    ];
  });
  const header = [
    'Network',
    ...(addPath ? ['PathId'] : []),
    'Next Hop',
    'Metric',
    'LocPrf',
    'Path',
    'Communities',
  ];
  const align = header.map((h) => (h === 'Metric' || h === 'LocPrf' || h === 'PathId' ? 'right' : 'left'));
  const prefixes = new Set(v.routes.map((r) => `${r.family} ${r.prefix}`)).size;
  const paths = addPath ? `, ${v.routes.length} paths` : '';
  return [
    what,
    'Origin codes: i - IGP, e - EGP, ? - incomplete',
    '',
    table(header, rows, align),
    '',
    `Total number of prefixes ${prefixes}${paths}`,
    '',
  ].join('\n');
}
