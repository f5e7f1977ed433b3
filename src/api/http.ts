/**
 * The HTTP adapter of the API: JSON snapshots on loopback by default. Read-only for now
 * (issue 5 adds actions); each route is one line over the Speaker's snapshots.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Speaker } from '../core/speaker.js';

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startApi(speaker: Speaker, address: string, port: number): Promise<ApiServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://api');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET') return reply(405, { error: 'method not allowed' });
    const neighbors = speaker.neighbors();
    if (url.pathname === '/api/neighbors') return reply(200, neighbors);
    const m = /^\/api\/neighbors\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const n = neighbors.find((x) => x.address === decodeURIComponent(m[1]));
      return n ? reply(200, n) : reply(404, { error: `no neighbor ${m[1]}` });
    }
    if (url.pathname === '/api/routes')
      return reply(200, speaker.routes({ prefix: url.searchParams.get('prefix') ?? undefined }));
    if (url.pathname === '/api/sessions/stats')
      return reply(200, { unknownConnections: speaker.sessions.stats.unknownConnections });
    reply(404, { error: `no route ${url.pathname}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port }, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
