/**
 * Preloaded into the rackbgp DUT (`node --import`): samples the event loop's delay with
 * perf_hooks.monitorEventLoopDelay (10 ms resolution) and appends "monotonic-ms max-delay-ms
 * max-cpu-ms" to the file named by RACKBGP_LOOP_PROBE every 100 ms (reset after each line), so the
 * harness can take the largest stall inside any window. max-cpu-ms is the process CPU time between
 * two ticks of a 10 ms timer: on a shared machine a turn's delay includes waiting for a core, its
 * CPU time is the work the turn did (GC helper threads included). Bench only; the daemon knows
 * nothing of it.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.RACKBGP_LOOP_PROBE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let cpu = process.cpuUsage();
  let maxCpu = 0;
  setInterval(() => {
    const c = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    maxCpu = Math.max(maxCpu, (c.user + c.system) / 1000);
  }, 10).unref();
  const write = () => {
    const t = Number(process.hrtime.bigint()) / 1e6;
    appendFileSync(file, `${t.toFixed(1)} ${(h.max / 1e6).toFixed(1)} ${maxCpu.toFixed(1)}\n`);
    h.reset();
    maxCpu = 0;
  };
  setInterval(write, 100).unref();
  process.on('exit', write);
}
