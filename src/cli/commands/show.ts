/**
 * `rackbgp show summary | neighbor [ADDR [advertised-routes|received-routes]] | routes [PREFIX|ADDRESS]
 * | rib summary | fib | bfd`, and FRR's spellings of them (`show bgp ...`, `show ip bgp ...`, frr-words.ts):
 * GETs on the daemon's API, printed by the pure formatters, or as the API's JSON with --json
 * (docs/cli-json.md); `show summary --json --frr` prints FRR's `show bgp summary json` shape.
 */
import { Argument, Command } from 'commander';
import { type BfdStatus, parseRouteQuery, type RouteSnapshot } from '../../api/daemon.js';
import type {
  AdjRibView,
  FibRouteView,
  FibSummary,
  NeighborDetail,
  NeighborView,
  RibSummary,
  SpeakerStatus,
} from '../../api/service.js';
import { type ApiOptions, getJson, target, UsageError, withApi } from '../api-client.js';
import { formatAdjRib } from '../format/adj-rib.js';
import { formatBfd } from '../format/bfd.js';
import { formatFib } from '../format/fib.js';
import { frrSummaryJson } from '../format/frr-summary.js';
import { formatNeighbor } from '../format/neighbor.js';
import { formatRibSummary } from '../format/rib.js';
import { formatRoutes } from '../format/routes.js';
import { formatSummary } from '../format/summary.js';
import { type FrrShow, parseFrrWords } from './frr-words.js';

const print = (o: ApiOptions, data: unknown, text: () => string) =>
  process.stdout.write(o.json ? `${JSON.stringify(data, null, 2)}\n` : text());

export type AdjRibName = 'advertised-routes' | 'received-routes';

export async function showSummary(o: ApiOptions & { frr?: boolean }, family?: 4 | 6): Promise<void> {
  const t = target(o);
  const [status, all] = await Promise.all([
    getJson<SpeakerStatus>(t, '/api/status'),
    getJson<NeighborView[]>(t, '/api/neighbors'),
  ]);
  const name = family === 4 ? 'ipv4-unicast' : family === 6 ? 'ipv6-unicast' : undefined;
  const neighbors = name ? all.filter((n) => n.families.includes(name)) : all;
  if (o.frr) {
    const rib = await getJson<RibSummary>(t, '/api/rib/summary');
    const frr = frrSummaryJson(status, neighbors, rib);
    // FRR's `show bgp ipv4 unicast summary json` prints the family's object alone.
    const one = family === 4 ? frr.ipv4Unicast : family === 6 ? frr.ipv6Unicast : frr;
    process.stdout.write(`${JSON.stringify(one ?? {}, null, 2)}\n`);
    return;
  }
  print(o, { ...status, neighbors }, () => formatSummary(status, neighbors));
}

export async function showNeighbors(
  address: string | undefined,
  view: AdjRibName | undefined,
  o: ApiOptions,
): Promise<void> {
  const t = target(o);
  if (view) {
    if (!address) throw new UsageError(`${view} needs a neighbor address`);
    const v = await getJson<AdjRibView>(t, `/api/neighbors/${encodeURIComponent(address)}/${view}`);
    print(o, v, () => formatAdjRib(v));
    return;
  }
  if (address) {
    const n = await getJson<NeighborDetail>(t, `/api/neighbors/${encodeURIComponent(address)}`);
    print(o, n, () => formatNeighbor(n));
    return;
  }
  const all = await getJson<NeighborDetail[]>(t, '/api/neighbors?detail=1');
  print(o, all, () => (all.length ? all.map(formatNeighbor).join('\n') : 'No neighbors configured.\n'));
}

export interface RouteOptions extends ApiOptions {
  neighbor?: string;
  best?: boolean;
  longer?: boolean;
}

export async function showRoutes(prefix: string | undefined, o: RouteOptions, family?: 4 | 6): Promise<void> {
  if (prefix !== undefined) {
    const q = parseRouteQuery(prefix, o.longer);
    if ('error' in q) throw new UsageError(q.error);
  } else if (o.longer) throw new UsageError('--longer needs a prefix (ADDRESS/LENGTH)');
  const q = new URLSearchParams();
  if (prefix !== undefined) q.set('prefix', prefix);
  if (o.longer) q.set('longer', '1');
  if (family) q.set('family', String(family));
  if (o.neighbor) q.set('neighbor', o.neighbor);
  if (o.best) q.set('best', '1');
  const routes = await getJson<RouteSnapshot[]>(target(o), `/api/routes${q.size ? `?${q}` : ''}`);
  print(o, routes, () => formatRoutes(routes));
}

export async function showFib(o: ApiOptions): Promise<void> {
  const t = target(o);
  const f = await getJson<FibSummary>(t, '/api/fib');
  const routes = f.available ? await getJson<FibRouteView[]>(t, '/api/fib/routes') : undefined;
  print(o, { ...f, ...(routes && { routes }) }, () => formatFib(f, routes));
}

/** Runs one of FRR's spellings (`show bgp ...`, `show ip bgp ...`). */
async function runFrr(words: readonly string[], o: RouteOptions, ip: boolean): Promise<void> {
  const parsed = parseFrrWords(words, ip);
  if ('error' in parsed) throw new UsageError(parsed.error);
  const s: FrrShow = parsed;
  const json = o.json || s.json;
  switch (s.kind) {
    case 'summary':
      return showSummary({ ...o, json, frr: s.json || undefined }, s.family);
    case 'neighbors':
      return showNeighbors(s.address, s.view, { ...o, json });
    case 'routes':
      return showRoutes(s.prefix, { ...o, json, longer: o.longer || s.longer }, s.family);
  }
}

function frrCommand(name: string, ip: boolean, description: string): Command {
  return withApi(
    new Command(name)
      .description(description)
      .argument('[words...]')
      .option('--neighbor <address>', 'only paths learned from this neighbor')
      .option('--best', 'only best paths')
      .option('--longer', 'with a prefix: it and every more-specific one'),
  ).action((words: string[], o: RouteOptions) => runFrr(words, o, ip));
}

export function showCommand(): Command {
  const show = new Command('show').description("show the daemon's sessions and routes (over its API)");
  show.addCommand(
    withApi(new Command('summary').description('sessions in the columns of FRR show bgp summary'))
      .option('--frr', "with --json: FRR's `show bgp summary json` shape (ipv4Unicast.peers...)")
      .action((o: ApiOptions & { frr?: boolean }) => {
        if (o.frr && !o.json) throw new UsageError('--frr shapes the JSON output: use it with --json');
        return showSummary(o);
      }),
  );
  show.addCommand(
    withApi(
      new Command('neighbor')
        .alias('neighbors')
        .description('every neighbor (or one) in detail; with a view, its Adj-RIB-Out or Adj-RIB-In')
        .argument('[address]', 'one neighbor only')
        .addArgument(
          new Argument(
            '[view]',
            'advertised-routes: sent to it; received-routes: from it, before import policy',
          ).choices(['advertised-routes', 'received-routes']),
        ),
    ).action((address: string | undefined, view: AdjRibName | undefined, o: ApiOptions) =>
      showNeighbors(address, view, o),
    ),
  );
  show.addCommand(
    withApi(
      new Command('routes')
        .description('the Loc-RIB: best (*>) and multipath (=) marks, next hop, AS path, best-path reason')
        .argument(
          '[prefix]',
          'a prefix (that one), or an address (the longest matching prefix: the route that forwards it)',
        )
        .option('--longer', 'with a prefix: it and every more-specific one')
        .option('--neighbor <address>', 'only paths learned from this neighbor')
        .option('--best', 'only best paths'),
    ).action((prefix: string | undefined, o: RouteOptions) => showRoutes(prefix, o)),
  );
  show.addCommand(
    withApi(
      new Command('rib')
        .description('RIB summary: prefixes and paths per family, attribute sets, memory')
        .addArgument(new Argument('[what]').choices(['summary']).default('summary')),
    ).action(async (_what: string, o: ApiOptions) => {
      const r = await getJson<RibSummary>(target(o), '/api/rib/summary');
      print(o, r, () => formatRibSummary(r));
    }),
  );
  show.addCommand(
    withApi(
      new Command('fib').description(
        'the kernel routes rackbgp installs, as ip route shows them, with their state',
      ),
    ).action((o: ApiOptions) => showFib(o)),
  );
  show.addCommand(
    withApi(
      new Command('bfd').description(
        'BFD sessions: state, discriminators, negotiated intervals, time in state, last down and why',
      ),
    ).action(async (o: ApiOptions) => {
      const r = await getJson<BfdStatus>(target(o), '/api/bfd');
      print(o, r, () => formatBfd(r));
    }),
  );
  show.addCommand(
    frrCommand(
      'bgp',
      false,
      "FRR's spellings: bgp summary [json], bgp neighbors [ADDR [advertised-routes|received-routes]], bgp ipv4|ipv6 [unicast] [PREFIX|summary|neighbors ...]",
    ),
  );
  show.addCommand(
    new Command('ip')
      .description("FRR's `show ip bgp [PREFIX|summary|neighbors ...]` (IPv4 unicast)")
      .addCommand(
        frrCommand('bgp', true, 'IPv4 unicast: [PREFIX [longer-prefixes]], summary [json], neighbors ...'),
      ),
  );
  return show;
}
