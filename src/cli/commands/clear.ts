/**
 * FRR's `clear bgp ADDR|* [soft] [in|out]` (also `clear ip bgp ...`): a hard reset (Cease 6/4, `*`:
 * every neighbor not shut down), or with `soft`, `in` or `out` a soft refresh without a reset
 * (`in`: ROUTE-REFRESH or the kept Adj-RIB-In, `out`: our routes again; both by default).
 */
import { Command } from 'commander';
import { type ApiOptions, UsageError, withApi } from '../api-client.js';
import { neighborAction, resetAll } from './neighbor.js';

/** The words after the address: what to do. */
export function parseClearWords(
  words: readonly string[],
): 'reset' | 'in' | 'out' | 'both' | { error: string } {
  const w = words.map((x) => x.toLowerCase());
  if (w[0] === 'soft') w.shift();
  else if (w.length === 0) return 'reset';
  if (w.length === 0) return 'both';
  if (w.length === 1 && (w[0] === 'in' || w[0] === 'out')) return w[0];
  return { error: `'${words.join(' ')}': expected soft, soft in, soft out, in or out` };
}

function bgp(): Command {
  return withApi(
    new Command('bgp')
      .description('reset a session (Cease 6/4), or refresh it softly: ADDR|* [soft] [in|out]')
      .argument('<address>', 'a neighbor, or * for every one')
      .argument('[how...]', 'soft [in|out], in, out'),
    false,
  ).action(async (address: string, how: string[], o: ApiOptions) => {
    const what = parseClearWords(how);
    if (typeof what === 'object') throw new UsageError(what.error);
    if (address === '*') {
      if (what !== 'reset') throw new UsageError('a soft refresh needs one neighbor address');
      return resetAll(o);
    }
    if (what === 'reset') return neighborAction(o, address, 'reset');
    return neighborAction(o, address, 'refresh', { direction: what });
  });
}

export function clearCommand(): Command {
  return new Command('clear')
    .description("FRR's clear bgp: reset or soft-refresh neighbors (over the API)")
    .addCommand(bgp())
    .addCommand(new Command('ip').description("FRR's clear ip bgp").addCommand(bgp()));
}
