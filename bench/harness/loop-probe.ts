/**
 * Preloaded into the rackbgp DUT (`node --import`): samples the event loop's delay with
 * perf_hooks.monitorEventLoopDelay (10 ms resolution) and appends "monotonic-ms max-delay-ms" to
 * the file named by RACKBGP_LOOP_PROBE every 100 ms (the histogram reset after each line), so the
 * harness can take the largest stall inside any window. Bench only; the daemon knows nothing of it.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.RACKBGP_LOOP_PROBE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const write = () => {
    const t = Number(process.hrtime.bigint()) / 1e6;
    appendFileSync(file, `${t.toFixed(1)} ${(h.max / 1e6).toFixed(1)}\n`);
    h.reset();
  };
  setInterval(write, 100).unref();
  process.on('exit', write);
}
