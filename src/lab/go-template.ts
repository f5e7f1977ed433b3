/**
 * A subset of Go's text/template (https://pkg.go.dev/text/template), enough to execute Calico's confd
 * templates for BIRD as confd does: text and actions with trim markers (`{{- ` / ` -}}`), comments,
 * pipelines (`|`), parenthesized pipelines with field chains, variables (`:=`, `=`), if / else if /
 * else, range (with `$v :=` or `$i, $v :=`, and else), with, define / template, and the builtins
 * and, or, not, eq, ne, lt, le, gt, ge, len, index, print, printf. Functions come from the caller
 * (confd's FuncMap). Anything outside the subset fails with the template name and line.
 */

import {
  type Arg,
  type GoFunc,
  type GoValue,
  type Node,
  type ParsedTemplate,
  type Pipe,
  parseTemplate,
  TemplateError,
} from './go-template-parse.js';

export { type GoFunc, type GoValue, TemplateError } from './go-template-parse.js';

// ---------- execution ----------

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: GoValue): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** fmt's %v for the values templates print. */
export function goString(v: GoValue): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  throw new TemplateError(`printing a ${typeof v} is not implemented`);
}

function goCompare(name: string, a: GoValue, b: GoValue): number {
  if (typeof a !== typeof b || (typeof a !== 'string' && typeof a !== 'number'))
    throw new TemplateError(`${name}: incompatible types for comparison (${typeof a}, ${typeof b})`);
  return (a as string | number) < (b as string | number) ? -1 : a === b ? 0 : 1;
}

/** fmt.Sprintf for the verbs templates use: %s %v %d %f %.Nf %%. */
export function goSprintf(format: string, ...args: GoValue[]): string {
  let n = 0;
  return format.replace(/%(\.\d+)?([svdf%])/g, (_m, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    if (verb === 'f') {
      if (typeof a !== 'number') return `%!f(${typeof a}=${goString(a)})`;
      return a.toFixed(prec ? Number(prec.slice(1)) : 6);
    }
    if (verb === 'd' && typeof a !== 'number') return `%!d(${typeof a}=${goString(a)})`;
    return goString(a);
  });
}

const BUILTINS: Record<string, GoFunc> = {
  not: (a) => !isTrue(a),
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new TemplateError('eq: missing argument for comparison');
    return bs.some((b) => a === b);
  },
  ne: (a, b) => a !== b,
  lt: (a, b) => goCompare('lt', a, b) < 0,
  le: (a, b) => goCompare('le', a, b) <= 0,
  gt: (a, b) => goCompare('gt', a, b) > 0,
  ge: (a, b) => goCompare('ge', a, b) >= 0,
  len: (a) => {
    if (typeof a === 'string' || Array.isArray(a)) return a.length;
    if (a && typeof a === 'object') return Object.keys(a).length;
    throw new TemplateError(`len of ${goString(a)}`);
  },
  index: (a, ...ix) => {
    let v = a;
    for (const i of ix) {
      if (Array.isArray(v) && typeof i === 'number') {
        if (i < 0 || i >= v.length) throw new TemplateError(`index out of range: ${i}`);
        v = v[i];
      } else if (v && typeof v === 'object' && typeof i === 'string') v = (v as Record<string, unknown>)[i];
      else throw new TemplateError(`can't index ${goString(v)} with ${goString(i)}`);
    }
    return v;
  },
  // fmt.Sprint: a space between operands when neither is a string.
  print: (...xs) =>
    xs
      .map((x, i) =>
        i > 0 && typeof x !== 'string' && typeof xs[i - 1] !== 'string' ? ` ${goString(x)}` : goString(x),
      )
      .join(''),
  printf: (f, ...xs) => goSprintf(String(f), ...xs),
};
/** and / or evaluate lazily (Go 1.18+), so they are handled in the executor. */
const LAZY = new Set(['and', 'or']);

export class GoTemplate {
  private readonly parsed: ParsedTemplate;
  private readonly funcs: Record<string, GoFunc>;

  constructor(src: string, name: string, funcs: Record<string, GoFunc>) {
    this.funcs = { ...BUILTINS, ...funcs };
    this.parsed = parseTemplate(src, name, new Set([...Object.keys(this.funcs), ...LAZY]));
  }

  execute(data: GoValue): string {
    const out: string[] = [];
    new Exec(this.parsed, this.funcs, out).run(this.parsed.root, data);
    return out.join('');
  }
}

class Exec {
  private vars: { name: string; value: GoValue }[] = [];
  constructor(
    private readonly t: ParsedTemplate,
    private readonly funcs: Record<string, GoFunc>,
    private readonly out: string[],
  ) {}

  run(nodes: Node[], dot: GoValue): void {
    const saved = this.vars;
    this.vars = [{ name: '$', value: dot }];
    try {
      this.list(nodes, dot);
    } finally {
      this.vars = saved;
    }
  }

  private list(nodes: Node[], dot: GoValue): void {
    for (const n of nodes) this.node(n, dot);
  }

  private scoped(fn: () => void): void {
    const mark = this.vars.length;
    try {
      fn();
    } finally {
      this.vars.length = mark;
    }
  }

  private node(n: Node, dot: GoValue): void {
    switch (n.k) {
      case 'text':
        this.out.push(n.text);
        return;
      case 'action': {
        const v = this.pipe(n.pipe, dot);
        if (n.pipe.decl.length === 0) this.out.push(goString(v));
        return;
      }
      case 'if':
      case 'with':
        this.scoped(() => {
          const v = this.pipe(n.pipe, dot);
          if (isTrue(v)) this.list(n.list, n.k === 'with' ? v : dot);
          else this.list(n.elseList, dot);
        });
        return;
      case 'range':
        this.scoped(() => this.range(n, dot));
        return;
      case 'template': {
        const body = this.t.defines.get(n.name);
        if (!body) throw new TemplateError(`${this.t.name}:${n.line}: no such template "${n.name}"`);
        const arg = n.pipe ? this.pipe(n.pipe, dot) : undefined;
        this.run(body, arg);
        return;
      }
    }
  }

  private range(n: { pipe: Pipe; list: Node[]; elseList: Node[] }, dot: GoValue): void {
    const { decl } = n.pipe;
    const value = this.pipe({ ...n.pipe, decl: [] }, dot);
    let items: [GoValue, GoValue][];
    if (value === undefined || value === null) items = [];
    else if (Array.isArray(value)) items = value.map((v, i) => [i, v]);
    else if (typeof value === 'object')
      items = Object.keys(value)
        .sort()
        .map((k) => [k, (value as Record<string, unknown>)[k]]);
    else
      throw new TemplateError(`${this.t.name}:${n.pipe.line}: range can't iterate over ${goString(value)}`);
    if (items.length === 0) {
      this.list(n.elseList, dot);
      return;
    }
    for (const [key, elem] of items) {
      this.scoped(() => {
        if (decl.length === 1) this.vars.push({ name: decl[0], value: elem });
        if (decl.length === 2) this.vars.push({ name: decl[0], value: key }, { name: decl[1], value: elem });
        this.list(n.list, elem);
      });
    }
  }

  private lookupVar(name: string, line: number): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    throw new TemplateError(`${this.t.name}:${line}: undefined variable "${name}"`);
  }

  private pipe(p: Pipe, dot: GoValue): GoValue {
    let value: GoValue;
    let has = false;
    for (const cmd of p.cmds) {
      value = this.command(cmd, dot, p.line, has ? [value] : []);
      has = true;
    }
    if (p.decl.length > 0) {
      if (p.assign) {
        const name = p.decl[0];
        const i = this.vars.map((v) => v.name).lastIndexOf(name);
        if (i < 0) throw new TemplateError(`${this.t.name}:${p.line}: undefined variable "${name}"`);
        this.vars[i].value = value;
      } else for (const name of p.decl) this.vars.push({ name, value });
    }
    return value;
  }

  private command(args: Arg[], dot: GoValue, line: number, piped: GoValue[]): GoValue {
    const head = args[0];
    const where = `${this.t.name}:${line}`;
    if (head.t === 'fn') {
      const rest = args.slice(1);
      try {
        if (LAZY.has(head.name)) {
          const thunks = [...rest.map((a) => () => this.arg(a, dot, line)), ...piped.map((v) => () => v)];
          let v: GoValue;
          for (const th of thunks) {
            v = th();
            if (head.name === 'and' ? !isTrue(v) : isTrue(v)) return v;
          }
          return v;
        }
        const vals = [...rest.map((a) => this.arg(a, dot, line)), ...piped];
        return this.funcs[head.name](...vals);
      } catch (e) {
        if (e instanceof TemplateError && e.message.startsWith(this.t.name)) throw e;
        throw new TemplateError(`${where}: error calling ${head.name}: ${(e as Error).message}`);
      }
    }
    if (args.length > 1 || piped.length > 0)
      throw new TemplateError(`${where}: can't give arguments to a non-function (${head.t})`);
    return this.arg(head, dot, line);
  }

  private arg(a: Arg, dot: GoValue, line: number): GoValue {
    switch (a.t) {
      case 'str':
      case 'num':
      case 'bool':
        return a.v;
      case 'nil':
        return undefined;
      case 'dot':
        return this.fields(dot, a.fields, line);
      case 'var':
        return this.fields(this.lookupVar(a.name, line), a.fields, line);
      case 'pipe':
        return this.fields(this.pipe(a.pipe, dot), a.fields, line);
      case 'fn':
        return this.command([a], dot, line, []);
    }
  }

  private fields(v: GoValue, names: string[], line: number): GoValue {
    let cur = v;
    for (const f of names) {
      if (cur === undefined || cur === null || typeof cur !== 'object' || Array.isArray(cur))
        throw new TemplateError(`${this.t.name}:${line}: nil pointer or non-map evaluating .${f}`);
      cur = (cur as Record<string, unknown>)[f];
    }
    return cur;
  }
}
