/**
 * The fault routes of the HTTP API (issue 15 §2), over the speaker's fault registry:
 *   POST   /api/neighbors/ADDR/faults      {kind, for?, after?, subcode?, delay?} → 201 the fault
 *   POST   /api/faults                     {kind: "fib-freeze", ...} (the FIB is the speaker's)
 *   GET    /api/neighbors/ADDR/faults, GET /api/faults → active and pending faults
 *   DELETE /api/neighbors/ADDR/faults/ID, DELETE /api/faults/ID → ends it now
 * Bad input 400, unknown neighbor 404, a fault that cannot act now 409, each with `{ error }`.
 */
import { ANY_NEIGHBOR, FaultError, type FaultSpec } from '../core/faults.js';
import type { Speaker } from '../core/speaker.js';

type Answer = readonly [status: number, body: unknown];

const PATH = /^\/api\/(?:neighbors\/([^/]+)\/)?faults(?:\/([^/]+))?$/;

/** The neighbor (ANY_NEIGHBOR for /api/faults) and fault id of a fault path, or null. */
function match(path: string): { neighbor: string; id?: string } | null {
  const m = PATH.exec(path);
  if (!m) return null;
  return {
    neighbor: m[1] ? decodeURIComponent(m[1]) : ANY_NEIGHBOR,
    ...(m[2] !== undefined && { id: m[2] }),
  };
}

const known = (speaker: Speaker, neighbor: string) =>
  neighbor === ANY_NEIGHBOR || speaker.hasNeighbor(neighbor);

export function faultGet(speaker: Speaker, path: string): Answer | undefined {
  const m = match(path);
  if (!m || m.id !== undefined) return undefined;
  if (!known(speaker, m.neighbor)) return [404, { error: `no neighbor ${m.neighbor}` }];
  return [200, speaker.faultList(m.neighbor === ANY_NEIGHBOR ? undefined : m.neighbor)];
}

const durationField = (v: unknown) => typeof v === 'string' || typeof v === 'number';

export function faultPost(speaker: Speaker, path: string, body: Record<string, unknown>): Answer | undefined {
  const m = match(path);
  if (!m || m.id !== undefined) return undefined;
  if (typeof body.kind !== 'string') return [400, { error: 'kind is required (a string, e.g. "hold")' }];
  for (const k of ['for', 'after', 'delay'] as const)
    if (body[k] !== undefined && !durationField(body[k]))
      return [400, { error: `${k} must be a duration like "10s" or a number of milliseconds` }];
  if (body.subcode !== undefined && typeof body.subcode !== 'number')
    return [400, { error: 'subcode must be a number' }];
  try {
    const { cancel: _, ...fault } = speaker.fault(m.neighbor, body as unknown as FaultSpec);
    return [201, fault];
  } catch (e) {
    if (e instanceof FaultError) return [e.status, { error: e.message }];
    throw e;
  }
}

export function faultDelete(speaker: Speaker, path: string): Answer {
  const m = match(path);
  if (!m || m.id === undefined) return [404, { error: `no route DELETE ${path}` }];
  const id = Number(m.id);
  if (!Number.isInteger(id) || id < 1)
    return [400, { error: `fault id must be a positive integer, not '${m.id}'` }];
  if (!known(speaker, m.neighbor)) return [404, { error: `no neighbor ${m.neighbor}` }];
  const ok = speaker.cancelFault(id, m.neighbor === ANY_NEIGHBOR ? undefined : m.neighbor);
  return ok
    ? [200, { id, cancelled: true }]
    : [404, { error: `no active or pending fault ${id} on ${m.neighbor}` }];
}
