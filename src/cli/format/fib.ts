/**
 * `rackbgp show fib`: the routes rackbgp wants in the kernel, one per line as `ip route` prints them
 * (ECMP next hops on `nexthop` lines), each with its state: installed, waiting (not in the kernel as
 * wanted yet), refused (with the kernel's error), leftover (an earlier run's, removed after the
 * start-up hold). Pure.
 */
import type { FibRouteView, FibSummary } from '../../api/service.js';

const hop = (h: { via: string; dev?: string }) => `via ${h.via}${h.dev ? ` dev ${h.dev}` : ''}`;

export function formatFib(summary: FibSummary, routes: readonly FibRouteView[] | undefined): string {
  if (!summary.available || !summary.state || !routes)
    return `FIB ${summary.enabled ? 'enabled' : 'disabled'} in the configuration; no FIB in this daemon${summary.enabled ? ' yet' : ' (fib: false)'}\n`;
  const count = (state: FibRouteView['state']) => routes.filter((r) => r.state === state).length;
  const leftover = count('leftover');
  const how =
    summary.state.method === 'netlink'
      ? 'rtnetlink'
      : summary.state.method === 'ip-batch'
        ? 'ip -batch (fallback)'
        : summary.state.method;
  const lines = [
    `FIB via ${how}: ${routes.length - leftover} routes wanted: ${count('installed')} installed, ${count('waiting')} waiting, ` +
      `${count('refused')} refused by the kernel${leftover ? `; ${leftover} left by an earlier run` : ''}`,
  ];
  for (const r of routes) {
    const state = r.state === 'refused' ? `[refused: ${r.error ?? 'unknown error'}]` : `[${r.state}]`;
    if (r.nextHops.length === 1) lines.push(`${r.prefix} ${hop(r.nextHops[0])}  ${state}`);
    else {
      lines.push(`${r.prefix}  ${state}`);
      for (const h of r.nextHops) lines.push(`\tnexthop ${hop(h)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
