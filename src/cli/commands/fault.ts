/**
 * `rackbgp fault ADDR KIND [--for D] [--after D] [--subcode N] [--delay D]` (issue 15 §2), `rackbgp fault
 * fib-freeze ...` (the speaker's FIB, no neighbor), `rackbgp fault list [ADDR]` and `rackbgp fault cancel
 * ADDR|* ID`, over the daemon's API (src/api/fault-routes.ts). Input is checked here first; bad input and
 * an unknown neighbor exit 2, a fault the daemon cannot apply now (session down, no FIB) exits 1.
 */
import { Command } from 'commander';
import {
  ANY_NEIGHBOR,
  FAULT_KINDS,
  FaultError,
  type FaultKind,
  type FaultSpec,
  type FaultView,
  parseDuration,
} from '../../api/daemon.js';
import { type ApiOptions, CliError, call, target, UsageError, withApi } from '../api-client.js';

export interface FaultOptions {
  readonly for?: string;
  readonly after?: string;
  readonly subcode?: string;
  readonly delay?: string;
}

export type FaultRequest =
  | { readonly op: 'start'; readonly neighbor: string; readonly spec: FaultSpec }
  | { readonly op: 'list'; readonly neighbor: string }
  | { readonly op: 'cancel'; readonly neighbor: string; readonly id: number };

const isKind = (w: string): w is FaultKind => (FAULT_KINDS as readonly string[]).includes(w);

/** The words and options typed → the request; throws UsageError with the reason. */
export function parseFaultWords(words: readonly string[], o: FaultOptions): FaultRequest {
  const [first, ...rest] = words;
  if (first === 'list') {
    if (rest.length > 1)
      throw new UsageError(`fault list takes at most one address, not '${rest.join(' ')}'`);
    return { op: 'list', neighbor: rest[0] ?? ANY_NEIGHBOR };
  }
  if (first === 'cancel') {
    if (rest.length !== 2) throw new UsageError('usage: rackbgp fault cancel ADDR|* ID');
    const id = Number(rest[1]);
    if (!Number.isInteger(id) || id < 1)
      throw new UsageError(`fault id must be a positive integer, not '${rest[1]}'`);
    return { op: 'cancel', neighbor: rest[0], id };
  }
  // `fault fib-freeze ...`: the FIB is the speaker's, no neighbor needed.
  const [neighbor, kind, ...extra] = first === 'fib-freeze' ? [ANY_NEIGHBOR, ...words] : words;
  if (!neighbor || !kind)
    throw new UsageError(
      `usage: rackbgp fault ADDR KIND [--for D] [--after D]; KIND: ${FAULT_KINDS.join(', ')}`,
    );
  if (!isKind(kind)) throw new UsageError(`unknown fault kind '${kind}'; one of: ${FAULT_KINDS.join(', ')}`);
  // `delay-updates 3s`: the delay may follow the kind instead of --delay.
  const delay =
    o.delay ??
    ((kind === 'delay-updates' || kind === 'delay-eor') && extra.length === 1 ? extra.shift() : undefined);
  if (extra.length) throw new UsageError(`unexpected '${extra.join(' ')}' after ${kind}`);
  const subcode = o.subcode === undefined ? undefined : Number(o.subcode);
  if (subcode !== undefined && !Number.isInteger(subcode))
    throw new UsageError(`--subcode must be an integer, not '${o.subcode}'`);
  try {
    for (const [what, v] of [
      ['--for', o.for],
      ['--after', o.after],
      ['delay', delay],
    ] as const)
      if (v !== undefined) parseDuration(v, what);
  } catch (e) {
    if (e instanceof FaultError) throw new UsageError(e.message);
    throw e;
  }
  const spec: FaultSpec = {
    kind,
    ...(o.for !== undefined && { for: o.for }),
    ...(o.after !== undefined && { after: o.after }),
    ...(subcode !== undefined && { subcode }),
    ...(delay !== undefined && { delay }),
  };
  return { op: 'start', neighbor, spec };
}

const pathOf = (neighbor: string) =>
  neighbor === ANY_NEIGHBOR ? '/api/faults' : `/api/neighbors/${encodeURIComponent(neighbor)}/faults`;

/** One line per fault: id, kind, neighbor, state, times. */
export function formatFault(f: FaultView): string {
  const extra =
    f.subcode !== undefined
      ? ` subcode ${f.subcode}`
      : f.delayMs !== undefined
        ? ` delay ${f.delayMs}ms`
        : '';
  const until = f.state === 'ended' ? 'done' : f.endsAt ? `until ${f.endsAt}` : 'until cancelled';
  return `fault ${f.id}: ${f.kind}${extra} on ${f.neighbor}, ${f.state} from ${f.startsAt}, ${until}\n`;
}

/** A refusal: bad input or unknown neighbor exit 2, anything else 1. */
function refused(status: number, body: unknown): never {
  const message = (body as { error?: string }).error ?? `HTTP ${status}`;
  throw status === 400 || status === 404 ? new UsageError(message) : new CliError(message);
}

async function run(req: FaultRequest, o: ApiOptions): Promise<void> {
  const t = target(o);
  const out = (body: unknown, text: string): void => {
    process.stdout.write(o.json ? `${JSON.stringify(body, null, 2)}\n` : text);
  };
  if (req.op === 'list') {
    const r = await call<FaultView[]>(t, 'GET', pathOf(req.neighbor));
    if (r.status !== 200) refused(r.status, r.body);
    return out(r.body, r.body.length ? r.body.map(formatFault).join('') : 'no faults\n');
  }
  if (req.op === 'cancel') {
    const r = await call<{ id: number }>(t, 'DELETE', `${pathOf(req.neighbor)}/${req.id}`);
    if (r.status !== 200) refused(r.status, r.body);
    return out(r.body, `fault ${req.id} ended\n`);
  }
  const r = await call<FaultView>(t, 'POST', pathOf(req.neighbor), req.spec);
  if (r.status !== 201) refused(r.status, r.body);
  out(r.body, formatFault(r.body));
}

export function faultCommand(): Command {
  return withApi(
    new Command('fault')
      .description(
        `inject a fault into a neighbor's session: ADDR KIND (${FAULT_KINDS.join(', ')}); list [ADDR]; cancel ADDR ID`,
      )
      .argument('<words...>', 'ADDR KIND | fib-freeze | list [ADDR] | cancel ADDR|* ID')
      .option(
        '--for <duration>',
        'how long it lasts (e.g. 10s; drop, cease: how long the neighbor stays down); default: until cancelled',
      )
      .option('--after <duration>', 'start it after this long (default: now)')
      .option('--subcode <n>', 'cease: the Cease subcode (default 4, Administrative Reset)')
      .option('--delay <duration>', 'delay-updates / delay-eor: how long each UPDATE / End-of-RIB is held'),
  ).action((words: string[], o: FaultOptions & ApiOptions) => run(parseFaultWords(words, o), o));
}
