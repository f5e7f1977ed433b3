/**
 * The HTTP adapter of the service facade: JSON on loopback by default. GET reads snapshots, POST runs
 * actions, DELETE ends a fault (fault-routes.ts); POST and DELETE need `Authorization: Bearer <api.token>` when a token is configured, and are refused
 * on a non-loopback address without one (the token: api.token, or api.token-file read at start; see
 * token.ts). Each route is one line over BgpService. `/` serves the live view (src/web, web-view.ts).
 */
import http from 'node:http';
import { listenHttp } from '../util/http-listen.js';
import { handleView, loadStatic } from '../web/serve.js';
import { faultDelete, faultGet, faultPost } from './fault-routes.js';
import { journalRead, streamEvents } from './journal-http.js';
import { monitoringGet, monitoringPost } from './monitoring-routes.js';
import { type BgpService, QueryError } from './service.js';
import { bearerMatches, resolveApiToken } from './token.js';
import { DaemonView } from './web-view.js';

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface ApiOptions {
  readonly address: string;
  readonly port: number;
  readonly token?: string;
  readonly 'token-file'?: string;
}

const MAX_BODY = 64 * 1024;
const isLoopback = (a: string) => a === '::1' || a.startsWith('127.') || a === 'localhost';

type Reply = (status: number, body: unknown) => void;

export async function startApi(service: BgpService, o: ApiOptions): Promise<ApiServer> {
  const token = resolveApiToken(o);
  // The live view at `/` (src/web): read-only GETs like the rest, built on the first visit.
  const files = loadStatic();
  let view: DaemonView | undefined;
  const viewOf = () => {
    view ??= new DaemonView(service);
    return view;
  };
  const server = http.createServer((req, res) => {
    const reply: Reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const url = new URL(req.url ?? '/', 'http://api');
    if (handleView(viewOf, files, req, res, url)) return;
    if (req.method === 'GET' && url.pathname === '/api/events/stream')
      return streamEvents(service.journal, req, res, url);
    if (req.method === 'GET') return reply(...get(service, url));
    if (req.method !== 'POST' && req.method !== 'DELETE') return reply(405, { error: 'method not allowed' });
    if (token ? !bearerMatches(req.headers.authorization, token) : !isLoopback(o.address))
      return reply(token ? 401 : 403, {
        error: token ? 'missing or wrong bearer token' : 'actions need api.token on a non-loopback address',
      });
    if (req.method === 'DELETE') return reply(...faultDelete(service.speaker, url.pathname));
    readBody(req).then(
      (body) =>
        post(service, url, body).then(
          (a) => reply(...a),
          (e: Error) => reply(500, { error: e.message }),
        ),
      (e) => reply(400, { error: (e as Error).message }),
    );
  });
  return listenHttp(server, o.address, o.port);
}

type Answer = readonly [status: number, body: unknown];

/** GET answers; a QueryError (malformed query, unknown neighbor, view not kept) is its status with the message. */
function get(service: BgpService, url: URL): Answer {
  try {
    return read(service, url);
  } catch (e) {
    if (e instanceof QueryError) return [e.status, { error: e.message }];
    throw e;
  }
}

const yes = (v: string | null) => v === '1' || v === 'true';

function read(service: BgpService, url: URL): Answer {
  const path = url.pathname;
  const q = url.searchParams;
  const journal = journalRead(service.journal, url);
  if (journal) return journal;
  if (path === '/api/status') return [200, service.status()];
  if (path === '/api/neighbors')
    return [200, yes(q.get('detail')) ? service.neighborDetails() : service.neighbors()];
  const m = /^\/api\/neighbors\/([^/]+)$/.exec(path);
  if (m) {
    const n = service.neighbor(decodeURIComponent(m[1]));
    return n ? [200, n] : [404, { error: `no neighbor ${decodeURIComponent(m[1])}` }];
  }
  const adj = /^\/api\/neighbors\/([^/]+)\/(advertised|received)-routes$/.exec(path);
  if (adj) {
    const address = decodeURIComponent(adj[1]);
    const view =
      adj[2] === 'advertised' ? service.advertisedRoutes(address) : service.receivedRoutes(address);
    return [200, view];
  }
  if (path === '/api/routes') {
    const family = q.get('family');
    if (family !== null && family !== '4' && family !== '6') return [400, { error: 'family must be 4 or 6' }];
    const routes = service.routes({
      ...(q.get('prefix') !== null && { prefix: q.get('prefix')! }),
      ...(q.get('neighbor') && { neighbor: q.get('neighbor')! }),
      ...(family && { family: family === '4' ? 4 : 6 }),
      longer: yes(q.get('longer')),
      bestOnly: yes(q.get('best')),
    });
    return [200, routes];
  }
  if (path === '/api/rib/summary') return [200, service.ribSummary()];
  if (path === '/api/fib') return [200, service.fib()];
  if (path === '/api/bfd') return [200, service.bfd()];
  if (path === '/api/graceful-restart') return [200, service.gracefulRestart()];
  if (path === '/api/fib/routes') {
    const routes = service.fibRoutes();
    return routes ? [200, routes] : [409, { error: 'no FIB in this daemon (fib: false, or not started)' }];
  }
  const fault = faultGet(service.speaker, path) ?? monitoringGet(service.monitoring, path);
  if (fault) return fault;
  if (path === '/api/sessions/stats')
    return [200, { unknownConnections: service.speaker.unknownConnections }];
  return [404, { error: `no route GET ${path}` }];
}

async function post(service: BgpService, url: URL, body: Record<string, unknown>): Promise<Answer> {
  const path = url.pathname;
  const fault = faultPost(service.speaker, path, body) ?? monitoringPost(service.speaker, path, body);
  if (fault) return fault;
  if (path === '/api/reload') {
    const r = await service.reload();
    return [r.ok ? 200 : 422, r];
  }
  if (path === '/api/restart') {
    const r = service.restart();
    return [r.status, r];
  }
  const m = /^\/api\/neighbors\/([^/]+)\/(reset|shutdown|enable|refresh|trace)$/.exec(path);
  if (!m) return [404, { error: `no route POST ${path}` }];
  const address = decodeURIComponent(m[1]);
  if (m[2] === 'trace') {
    if (typeof body.enabled !== 'boolean') return [400, { error: 'enabled must be true or false' }];
    const r = service.trace(address, body.enabled);
    return [r.status, r];
  }
  const message = typeof body.message === 'string' ? body.message : '';
  const direction = body.direction ?? 'both';
  if (direction !== 'in' && direction !== 'out' && direction !== 'both')
    return [400, { error: 'direction must be in, out or both' }];
  const r =
    m[2] === 'reset'
      ? service.reset(address, message)
      : m[2] === 'shutdown'
        ? service.shutdown(address, message)
        : m[2] === 'enable'
          ? service.enable(address)
          : service.refresh(address, direction);
  return [r.status, r];
}

function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return resolve({});
      try {
        const v = JSON.parse(text);
        if (v && typeof v === 'object' && !Array.isArray(v)) resolve(v as Record<string, unknown>);
        else reject(new Error('body must be a JSON object'));
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
