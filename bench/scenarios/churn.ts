/**
 * Scenario "churn": the transit topology converges on N routes, then the generator withdraws C of
 * them and announces them again with a new community (one stream, written at once). The clock runs
 * from the start of that write until the sink holds N routes again and has accepted C announcements
 * since (the new community makes every re-announcement a real change, so a DUT that folds the
 * withdraw into the announce is still timed to the end).
 */
import { join } from 'node:path';
import { protocolStats } from '../harness/birdctl.js';
import { cpuBefore, type Options, type Scenario, until } from '../harness/scenario.js';
import { churnStream, writeStream } from '../harness/streams.js';
import { GEN, type Phase, type TransitContext, transitRun } from './transit.js';

const routes = (o: Options) => o.routes ?? (o.quick ? 10_000 : 1_000_000);
const churned = (o: Options) => Math.min(routes(o), o.churn ?? (o.quick ? 1_000 : 100_000));

async function churnPhase(ctx: TransitContext, o: Options): Promise<Phase> {
  const count = churned(o);
  const file = writeStream(join(ctx.net.dir, 'churn.bin'), churnStream(count, GEN.asn, GEN.addr));
  // Let the DUT finish what it still does after the sink's count was reached (e.g. End-of-RIB).
  await new Promise((r) => setTimeout(r, 1000));
  const base = await protocolStats(ctx.sink, 'dut');
  const start = cpuBefore(ctx.dut);
  const sending = ctx.gen.send(file);
  const t1 = await until(
    `sink back at ${ctx.routes} routes with ${count} new announcements`,
    async () => {
      const s = await protocolStats(ctx.sink, 'dut');
      return s.imported === ctx.routes && s.updatesAccepted - base.updatesAccepted >= count;
    },
    { everyMs: 20, timeoutMs: o.timeoutS * 1000, dut: ctx.dut, gen: ctx.gen },
  );
  const t0 = await sending;
  const after = await protocolStats(ctx.sink, 'dut');
  return {
    seconds: (t1 - t0) / 1000,
    routes: count,
    start,
    countFrom: t0,
    notes: [
      `transit phase ${ctx.transitSeconds.toFixed(2)} s; the sink saw ${after.withdrawsAccepted - base.withdrawsAccepted} ` +
        `withdrawals and ${after.updatesAccepted - base.updatesAccepted} announcements`,
    ],
  };
}

export const churn: Scenario = {
  name: 'churn',
  reference: 'bird2',
  describe: (o) =>
    `after transit of ${routes(o).toLocaleString('en-US')} /24s converged, ${churned(o).toLocaleString('en-US')} ` +
    'withdrawn and re-announced with a new community',
  params: (o) => ({ routes: routes(o), churn: churned(o) }),
  run: (dut, o) => transitRun(dut, o, routes(o), 0, (ctx) => churnPhase(ctx, o)),
};
