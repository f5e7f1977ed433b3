/**
 * `rackbgp show summary | neighbor ADDR | routes [PREFIX] | rib summary | fib`: GETs on the daemon's
 * API, printed by the pure formatters (or as the API's JSON with --json).
 */
import { Command } from 'commander';
import type {
  FibSummary,
  NeighborDetail,
  NeighborView,
  RibSummary,
  SpeakerStatus,
} from '../../api/service.js';
import type { RouteSnapshot } from '../../core/snapshot.js';
import { type ApiOptions, getJson, target, withApi } from '../api-client.js';
import { formatNeighbor } from '../format/neighbor.js';
import { formatRibSummary } from '../format/rib.js';
import { formatRoutes } from '../format/routes.js';
import { formatSummary } from '../format/summary.js';

const print = (o: ApiOptions, data: unknown, text: () => string) =>
  process.stdout.write(o.json ? `${JSON.stringify(data, null, 2)}\n` : text());

export function showCommand(): Command {
  const show = new Command('show').description("show the daemon's sessions and routes (over its API)");
  show.addCommand(
    withApi(new Command('summary').description('sessions in the columns of FRR show bgp summary')).action(
      async (o: ApiOptions) => {
        const t = target(o);
        const [status, neighbors] = await Promise.all([
          getJson<SpeakerStatus>(t, '/api/status'),
          getJson<NeighborView[]>(t, '/api/neighbors'),
        ]);
        print(o, { ...status, neighbors }, () => formatSummary(status, neighbors));
      },
    ),
  );
  show.addCommand(
    withApi(new Command('neighbor').description('one neighbor in detail').argument('<address>')).action(
      async (address: string, o: ApiOptions) => {
        const n = await getJson<NeighborDetail>(target(o), `/api/neighbors/${encodeURIComponent(address)}`);
        print(o, n, () => formatNeighbor(n));
      },
    ),
  );
  show.addCommand(
    withApi(
      new Command('routes')
        .description('the Loc-RIB: best (*>) and multipath (=) marks, next hop, AS path, best-path reason')
        .argument('[prefix]', 'one prefix only')
        .option('--neighbor <address>', 'only paths learned from this neighbor')
        .option('--best', 'only best paths'),
    ).action(async (prefix: string | undefined, o: ApiOptions & { neighbor?: string; best?: boolean }) => {
      const q = new URLSearchParams();
      if (prefix) q.set('prefix', prefix);
      if (o.neighbor) q.set('neighbor', o.neighbor);
      if (o.best) q.set('best', '1');
      const routes = await getJson<RouteSnapshot[]>(target(o), `/api/routes${q.size ? `?${q}` : ''}`);
      print(o, routes, () => formatRoutes(routes));
    }),
  );
  show.addCommand(
    withApi(
      new Command('rib')
        .description('RIB summary: prefixes and paths per family, attribute sets, memory')
        .argument('[what]', 'summary', 'summary'),
    ).action(async (_what: string, o: ApiOptions) => {
      const r = await getJson<RibSummary>(target(o), '/api/rib/summary');
      print(o, r, () => formatRibSummary(r));
    }),
  );
  show.addCommand(
    withApi(new Command('fib').description('FIB state')).action(async (o: ApiOptions) => {
      const f = await getJson<FibSummary>(target(o), '/api/fib');
      print(o, f, () =>
        f.available
          ? `${JSON.stringify(f.state, null, 2)}\n`
          : `FIB ${f.enabled ? 'enabled' : 'disabled'} in the configuration; no FIB state reported by this daemon yet\n`,
      );
    }),
  );
  return show;
}
