/**
 * The hottest functions of a V8 CPU profile (`node --cpu-prof`, .cpuprofile JSON): self time per
 * function (samples × time deltas) within the measured window, idle excluded, with the garbage
 * collector's share given apart.
 * Locations of the build (dist/src/x.js) are mapped to their sources (src/x.ts:line).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  /** Microseconds of V8's monotonic clock (CLOCK_MONOTONIC on Linux, as process.hrtime). */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotFunction {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) time. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly busyMs: number;
  readonly gcPct: number;
  readonly top: readonly HotFunction[];
}

/** "src/x.ts:LINE" through the build's source map (tsc sourceMap), else the script's own path:line. */
function locate(url: string, line: number, column: number, maps: Map<string, SourceMap | null>): string {
  if (!url.startsWith('file://')) return url ? `${url}:${line + 1}` : '';
  const file = fileURLToPath(url);
  let map = maps.get(file);
  if (map === undefined) {
    map = existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null;
    maps.set(file, map);
  }
  const e = map?.findEntry(line, column);
  if (e && 'originalSource' in e && e.originalSource) {
    const src = /\/((?:src|bench)\/.*)$/.exec(e.originalSource);
    return `${src ? src[1] : e.originalSource}:${e.originalLine + 1}`;
  }
  const m = /\/dist\/(.*)$/.exec(file);
  return `${m ? m[1] : file}:${line + 1}`;
}

/** The top `n` functions by self time, counting only samples inside `window` (monotonic ms) if given. */
export function summarize(file: string, window?: { fromMs: number; toMs: number }, n = 3): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  let t = p.startTime;
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  const maps = new Map<string, SourceMap | null>();
  let busy = 0;
  let gc = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]);
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (!node || (window && (t < window.fromMs * 1000 || t > window.toMs * 1000))) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(root)') continue;
    busy += dt;
    if (functionName === '(garbage collector)') gc += dt;
    const where = locate(url, lineNumber, columnNumber, maps);
    const key = `${functionName}@${where}`;
    const e = self.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    e.us += dt;
    self.set(key, e);
  }
  const top = [...self.values()]
    .filter((e) => !['(program)', '(garbage collector)'].includes(e.name))
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, pct: busy ? (100 * e.us) / busy : 0 }));
  return { file, busyMs: busy / 1000, gcPct: busy ? (100 * gc) / busy : 0, top };
}
