/** The live view's HTTP side without a network: static files, the JSON routes, the SSE stream. */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeHub, handleView, LookupError, loadStatic, type ViewSource } from '../../../src/web/serve.js';
import type { Change } from '../../../src/web/view-model.js';

/** A response that records what was written. */
function response() {
  const r = Object.assign(new EventEmitter(), {
    status: 0,
    headers: {} as Record<string, string>,
    body: '',
    writeHead(status: number, headers: Record<string, string>) {
      r.status = status;
      r.headers = headers;
      return r;
    },
    write(chunk: string) {
      r.body += chunk;
      return true;
    },
    end(chunk?: string | Buffer) {
      if (chunk) r.body += String(chunk);
    },
  });
  return r;
}

const request = (method = 'GET') =>
  Object.assign(new EventEmitter(), { method }) as unknown as http.IncomingMessage;
const tick = () => new Promise((r) => setImmediate(r));

function source(hub: ChangeHub): ViewSource {
  return {
    topology: () => ({ title: 't', devices: [], sessions: [], links: [] }),
    snapshot: () => ({ sessions: {}, counts: { a: 1 }, timeline: [] }),
    subscribe: (l) => hub.add(l),
    device: async (name) => (name === 'a' ? { device: 'a', sections: [] } : undefined),
    lookup: async (q) => {
      throw new LookupError(`${q} is neither an address nor a prefix`);
    },
  };
}

describe('handleView', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'app.js'), 'export {}');
  writeFileSync(join(dir, 'notes.txt'), 'not served');
  const files = loadStatic(dir);
  rmSync(dir, { recursive: true });
  const hub = new ChangeHub();
  const s = () => source(hub);
  const get = (path: string, method = 'GET') => {
    const res = response();
    const handled = handleView(
      s,
      files,
      request(method),
      res as unknown as http.ServerResponse,
      new URL(path, 'http://x'),
    );
    return { handled, res };
  };

  it('serves the page and its modules with their types, and nothing else from the folder', () => {
    expect([...files.keys()].sort()).toEqual(['app.js', 'index.html']);
    const page = get('/');
    expect([page.handled, page.res.status, page.res.headers['content-type'], page.res.body]).toEqual([
      true,
      200,
      'text/html; charset=utf-8',
      '<!doctype html>',
    ]);
    expect(get('/web/app.js').res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(get('/web/notes.txt').handled).toBe(false);
    expect(get('/api/neighbors').handled).toBe(false);
    expect(get('/', 'POST').handled).toBe(false);
  });

  it('says the files are missing when the build left them out', () => {
    const res = response();
    handleView(
      s,
      loadStatic('/nonexistent'),
      request(),
      res as unknown as http.ServerResponse,
      new URL('http://x/'),
    );
    expect(res.status).toBe(404);
    expect(res.body).toContain("the web view's files are missing");
  });

  it('answers state, a device (404 when unknown) and a bad lookup (400)', async () => {
    expect(JSON.parse(get('/api/view/state').res.body).counts).toEqual({ a: 1 });
    const dev = get('/api/view/device/b');
    await tick();
    expect([dev.res.status, JSON.parse(dev.res.body)]).toEqual([404, { error: 'no device b' }]);
    const bad = get('/api/view/lookup?q=leaf9');
    await tick();
    expect([bad.res.status, JSON.parse(bad.res.body).error]).toEqual([
      400,
      'leaf9 is neither an address nor a prefix',
    ]);
  });

  it('streams a snapshot, then the changes, and unsubscribes when the page goes', () => {
    const req = request();
    const res = response();
    handleView(s, files, req, res as unknown as http.ServerResponse, new URL('http://x/api/view/stream'));
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.body).toMatch(/^event: snapshot\ndata: \{"topology":/);
    const change: Change = { type: 'count', device: 'a', routes: 2 };
    hub.emit([change]);
    expect(res.body).toContain(`event: changes\ndata: ${JSON.stringify([change])}\n\n`);
    expect(hub.size).toBe(1);
    req.emit('close');
    expect(hub.size).toBe(0);
  });
});
