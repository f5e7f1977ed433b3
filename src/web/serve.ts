/**
 * The live view over HTTP, for any source (a whole lab, or one daemon): the page and its modules
 * from ./static (plain ES modules, CSS and SVG; no build step, no CDN), and read-only JSON under
 * /api/view: topology, state, a Server-Sent Events stream of changes, a device's panel and the
 * hop-by-hop lookup. Only GET; what a source may show is the source's business.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Walk } from './path-walk.js';
import type { Change, Topology, ViewSnapshot } from './view-model.js';

export interface PanelRow {
  readonly cells: readonly string[];
  /** Devices this row's next hops lead to (the ECMP set), highlighted on hover. */
  readonly ecmp?: readonly string[];
}

export interface PanelSection {
  readonly title: string;
  readonly text?: string;
  readonly columns?: readonly string[];
  readonly rows?: readonly PanelRow[];
}

export interface DevicePanel {
  readonly device: string;
  readonly sections: readonly PanelSection[];
}

export interface ViewSource {
  topology(): Topology;
  snapshot(): ViewSnapshot;
  /** Changes as they happen; returns the unsubscribe. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void;
  /** `show summary`, routes (ECMP sets marked) and FIB of one device; undefined when unknown. */
  device(name: string): Promise<DevicePanel | undefined>;
  /** Longest match everywhere and the walk from `from`; throws LookupError on a bad query. */
  lookup(query: string, from?: string): Promise<Walk>;
}

export class LookupError extends Error {}

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
const HEARTBEAT_MS = 15_000;

/**
 * The page's files, read once: name → [content type, bytes]. None when the folder is missing (a
 * build that skipped copying it): the API still starts, and `/` says what is wrong.
 */
export function loadStatic(dir = STATIC_DIR): ReadonlyMap<string, readonly [string, Buffer]> {
  const files = new Map<string, readonly [string, Buffer]>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return files;
  }
  for (const f of names) {
    const type = TYPES[f.slice(f.lastIndexOf('.') + 1)];
    if (type) files.set(f, [type, readFileSync(join(dir, f))]);
  }
  return files;
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
};

/**
 * Answers `/`, `/web/FILE` and `/api/view/...` GETs; returns false for any other request so the
 * caller's routes handle it.
 */
export function handleView(
  source: () => ViewSource,
  files: ReadonlyMap<string, readonly [string, Buffer]>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): boolean {
  if (req.method !== 'GET') return false;
  const path = url.pathname;
  if (path === '/' || path.startsWith('/web/')) {
    const file = files.get(path === '/' ? 'index.html' : path.slice('/web/'.length));
    if (!file && !files.size) {
      json(res, 404, {
        error: `the web view's files are missing from ${STATIC_DIR} (build with npm run build)`,
      });
      return true;
    }
    if (!file) return false;
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-cache' });
    res.end(file[1]);
    return true;
  }
  if (!path.startsWith('/api/view/')) return false;
  const what = path.slice('/api/view/'.length);
  const s = source();
  if (what === 'topology') json(res, 200, s.topology());
  else if (what === 'state') json(res, 200, s.snapshot());
  else if (what === 'stream') stream(s, req, res);
  else if (what.startsWith('device/')) {
    const name = decodeURIComponent(what.slice('device/'.length));
    s.device(name).then(
      (p) => (p ? json(res, 200, p) : json(res, 404, { error: `no device ${name}` })),
      (e: Error) => json(res, 500, { error: e.message }),
    );
  } else if (what === 'lookup') {
    const q = url.searchParams.get('q') ?? '';
    const from = url.searchParams.get('from') ?? undefined;
    s.lookup(q, from).then(
      (w) => json(res, 200, w),
      (e: Error) => json(res, e instanceof LookupError ? 400 : 500, { error: e.message }),
    );
  } else json(res, 404, { error: `no route GET ${path}` });
  return true;
}

/** SSE: `snapshot` (topology and state) first, then `changes` batches as they happen. */
function stream(s: ViewSource, req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('snapshot', { topology: s.topology(), state: s.snapshot() });
  const unsubscribe = s.subscribe((changes) => {
    if (changes.length) send('changes', changes);
  });
  const heartbeat = setInterval(() => res.write(': keepalive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
  };
  req.on('close', close);
  res.on('close', close);
}

/** Fans changes out to the page's streams: the sources' one place for listeners. */
export class ChangeHub {
  private readonly listeners = new Set<(changes: readonly Change[]) => void>();

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (changes: readonly Change[]) => void, onEmpty?: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (!this.listeners.size) onEmpty?.();
    };
  }

  emit(changes: readonly Change[]): void {
    if (changes.length) for (const l of this.listeners) l(changes);
  }
}
