/**
 * confd as calico-node runs it, for one node: each template resource (conf.d/*.toml: src, prefix,
 * keys) selects the datastore keys under its prefixes (NODENAME substituted), strips the prefix
 * into a memkv store, and executes its template with confd's functions (memkv's exists / get /
 * gets / getv / getvs / ls / lsdir, and confd/pkg/resource/template/template_funcs.go).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { type GoFunc, GoTemplate } from './go-template.js';

export interface KVPair {
  readonly Key: string;
  readonly Value: string;
}

/** kelseyhightower/memkv's Store functions over a key → value map. */
export function memkvFuncs(store: ReadonlyMap<string, string>): Record<string, GoFunc> {
  const strip = (key: string, prefix: string) => key.slice(prefix.length).replace(/^\//, '');
  const get = (key: unknown): KVPair => {
    const v = store.get(String(key));
    if (v === undefined) throw new Error(`key does not exist: ${key}`);
    return { Key: String(key), Value: v };
  };
  const gets = (pattern: unknown): KVPair[] => {
    const re = globToRegExp(String(pattern));
    return [...store]
      .filter(([k]) => re.test(k))
      .map(([Key, Value]) => ({ Key, Value }))
      .sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
  };
  return {
    exists: (key) => store.has(String(key)),
    get,
    gets,
    getv: (key, ...dflt) => {
      const v = store.get(String(key));
      if (v !== undefined) return v;
      if (dflt.length > 0) return dflt[0];
      throw new Error(`key does not exist: ${key}`);
    },
    getvs: (pattern) => gets(pattern).map((kv) => kv.Value),
    // memkv List / ListDir compare whole path terms: /staticroutes does not list /staticroutesv6.
    ls: (dir) => {
      const p = String(dir);
      const prefix = pathTerms(p);
      const names = new Set<string>();
      for (const k of store.keys()) {
        if (k === p) names.add(posix.basename(k));
        else if (samePrefixTerms(prefix, pathTerms(posix.dirname(k)))) names.add(strip(k, p).split('/')[0]);
      }
      return [...names].sort();
    },
    lsdir: (dir) => {
      const p = String(dir);
      const prefix = pathTerms(p);
      const names = new Set<string>();
      for (const k of store.keys()) {
        if (!k.startsWith(p)) continue;
        const items = pathTerms(posix.dirname(k));
        if (samePrefixTerms(prefix, items) && items.length - prefix.length >= 1)
          names.add(items[prefix.length]);
      }
      return [...names].sort();
    },
  };
}

const pathTerms = (p: string) =>
  posix
    .normalize(p)
    .replace(/(.)\/$/, '$1')
    .split('/');
const samePrefixTerms = (prefix: readonly string[], test: readonly string[]) =>
  test.length >= prefix.length && prefix.every((t, i) => t === test[i]);

/** Go's path.Match: * and ? never cross a /. */
function globToRegExp(glob: string): RegExp {
  if (/[[\\]/.test(glob)) throw new Error(`pattern ${glob}: character classes are not implemented`);
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** template_funcs.go hashToIPv4: the first 4 bytes of SHA-256, first octet kept below 224. */
export function hashToIPv4(nodeName: string): string {
  const b = createHash('sha256').update(nodeName).digest();
  return [b[0] > 223 ? b[0] - 32 : b[0], b[1], b[2], b[3]].join('.');
}

/** template_funcs.go BGPFilterFunctionName: 'bgp_<name>_<dir>FilterV<v>', name hashed past 64 chars. */
export function bgpFilterFunctionName(filterName: string, direction: string, version: string): string {
  const dir = direction.toLowerCase();
  if (dir !== 'import' && dir !== 'export')
    throw new Error(`provided direction '${direction}' does not map to either 'import' or 'export'`);
  const max = 64 - `bgp__${dir}FilterV${version}`.length;
  let name = filterName;
  if (name.length > max) {
    if (max <= 17) throw new Error('max truncated string length must be greater than 17');
    const hash = createHash('sha256').update(filterName).digest('hex').toUpperCase();
    name = `${filterName.slice(0, max - 17)}_${hash.slice(0, 16)}`;
  }
  return `'bgp_${name}_${dir}FilterV${version}'`;
}

interface FilterRule {
  action?: string;
  matchOperator?: string;
  cidr?: string;
  source?: string;
  interface?: string;
}

function filterStatement(r: FilterRule): string {
  if (r.action !== 'Accept' && r.action !== 'Reject')
    throw new Error(`unexpected action found in BGPFilter: ${r.action}`);
  const action = `${r.action.toLowerCase()};`;
  const conds: string[] = [];
  if (r.cidr) {
    const op = { Equal: '=', NotEqual: '!=', In: '~', NotIn: '!~' }[r.matchOperator ?? ''];
    if (!op) throw new Error(`unexpected operator found in BGPFilter: ${r.matchOperator}`);
    conds.push(`(net ${op} ${r.cidr})`);
  }
  if (r.source) {
    if (r.source !== 'RemotePeers') throw new Error(`unexpected source found in BGPFilter: ${r.source}`);
    conds.push('((defined(source))&&(source ~ [ RTS_BGP ]))');
  }
  if (r.interface) conds.push(`((defined(ifname))&&(ifname ~ "${r.interface}"))`);
  return conds.length ? `if (${conds.join('&&')}) then { ${action} }` : action;
}

/** template_funcs.go BGPFilterBIRDFuncs: BIRD functions for the BGPFilters of one family. */
export function bgpFilterBIRDFuncs(pairs: readonly KVPair[], version: number): string[] {
  if (version !== 4 && version !== 6) throw new Error('version must be either 4 or 6');
  const lines: string[] = [];
  for (const kv of pairs) {
    const spec = (JSON.parse(kv.Value).spec ?? {}) as Record<string, FilterRule[] | undefined>;
    const imports = spec[`importV${version}`] ?? [];
    const exports = spec[`exportV${version}`] ?? [];
    if (imports.length === 0 && exports.length === 0) continue;
    const name = posix.basename(kv.Key);
    lines.push(`# v${version} BGPFilter ${name}`);
    for (const [dir, rules] of [
      ['import', imports],
      ['export', exports],
    ] as const) {
      if (rules.length === 0) continue;
      lines.push(`function ${bgpFilterFunctionName(name, dir, String(version))}() {`);
      for (const r of rules) lines.push(`  ${filterStatement(r)}`);
      lines.push('}');
    }
  }
  return lines.length ? lines : [`# No v${version} BGPFilters configured`];
}

/** The rest of confd's FuncMap that Calico's BIRD templates use. */
export function confdFuncs(env: Readonly<Record<string, string>>): Record<string, GoFunc> {
  const str =
    (f: (...s: string[]) => unknown) =>
    (...a: unknown[]) =>
      f(...a.map((x) => String(x)));
  return {
    base: str((p) => posix.basename(p)),
    dir: str((p) => posix.dirname(p)),
    split: str((s, sep) => s.split(sep)),
    join: (a, sep) => (a as unknown[]).map(String).join(String(sep)),
    json: str((s) => {
      const v = JSON.parse(s);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('json: not an object');
      return v;
    }),
    jsonArray: str((s) => {
      const v = JSON.parse(s);
      if (v === null) return []; // Go: json.Unmarshal of null into a slice leaves it nil
      if (!Array.isArray(v)) throw new Error('jsonArray: not an array');
      return v;
    }),
    getenv: str((k, ...d) => env[k] || d[0] || ''),
    toUpper: str((s) => s.toUpperCase()),
    toLower: str((s) => s.toLowerCase()),
    contains: str((s, sub) => s.includes(sub)),
    hasSuffix: str((s, suf) => s.endsWith(suf)),
    replace: (s, a, b, n) => {
      let out = String(s);
      for (let i = 0; Number(n) < 0 || i < Number(n); i++) {
        const j = out.indexOf(String(a));
        if (j < 0) break;
        out = out.slice(0, j) + String(b) + out.slice(j + String(a).length);
        if (Number(n) < 0 && String(a) === '') break;
      }
      return out;
    },
    hashToIPv4: str(hashToIPv4),
    bgpFilterFunctionName: str(bgpFilterFunctionName),
    bgpFilterBIRDFuncs: (pairs, v) => bgpFilterBIRDFuncs(pairs as KVPair[], Number(v)),
  };
}

export interface TemplateResource {
  /** bird.cfg.template */
  readonly src: string;
  /** The file confd writes: basename of dest (bird.cfg). */
  readonly dest: string;
  readonly prefix: string;
  readonly keys: readonly string[];
}

/** The [template] table of a conf.d TOML file: src, dest, prefix, keys. */
export function parseTemplateResource(toml: string, file: string): TemplateResource {
  const str = (k: string) => new RegExp(`^${k}\\s*=\\s*"([^"]*)"`, 'm').exec(toml)?.[1];
  const keysBlock = /^keys\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  const src = str('src');
  const dest = str('dest');
  if (!src || !dest || keysBlock === undefined) throw new Error(`${file}: src, dest and keys are required`);
  return {
    src,
    dest: posix.basename(dest),
    prefix: str('prefix') ?? '',
    keys: [...keysBlock.matchAll(/"([^"]*)"/g)].map((m) => m[1]),
  };
}

/** The store one template resource sees (resource.go setVars). */
export function resourceStore(
  cache: ReadonlyMap<string, string>,
  res: TemplateResource,
  nodeName: string,
): Map<string, string> {
  let prefix = res.prefix.startsWith('/') ? res.prefix : `/${res.prefix}`;
  prefix = prefix.replace('//NODENAME', `/${nodeName}`);
  const expanded = res.keys.map((k) => posix.join(prefix, k.replace('//NODENAME', `/${nodeName}`)));
  const store = new Map<string, string>();
  for (const [k, v] of cache)
    if (expanded.some((p) => k.startsWith(p)))
      store.set(posix.join('/', k.startsWith(prefix) ? k.slice(prefix.length) : k), v);
  return store;
}

export interface ConfdDir {
  readonly resources: readonly TemplateResource[];
  readonly templates: ReadonlyMap<string, string>;
}

/** Reads conf.d/*.toml and templates/ of a confd directory (lab/calico-templates/<version>). */
export function readConfdDir(dir: string): ConfdDir {
  if (!existsSync(dir)) throw new Error(`no Calico templates at ${dir}`);
  const confd = posix.join(dir, 'conf.d');
  const resources = readdirSync(confd)
    .filter((f) => f.endsWith('.toml'))
    .sort()
    .map((f) => parseTemplateResource(readFileSync(posix.join(confd, f), 'utf8'), posix.join(confd, f)));
  const templates = new Map(
    resources.map((r) => [r.src, readFileSync(posix.join(dir, 'templates', r.src), 'utf8')] as const),
  );
  return { resources, templates };
}

/** Every file confd writes for a node: dest name → content. */
export function renderConfd(
  dir: ConfdDir,
  cache: ReadonlyMap<string, string>,
  env: Readonly<Record<string, string>> & { NODENAME: string },
): Map<string, string> {
  const out = new Map<string, string>();
  const funcs = confdFuncs(env);
  for (const r of dir.resources) {
    const store = resourceStore(cache, r, env.NODENAME);
    const t = new GoTemplate(dir.templates.get(r.src)!, r.src, { ...funcs, ...memkvFuncs(store) });
    out.set(r.dest, t.execute(undefined));
  }
  return out;
}
