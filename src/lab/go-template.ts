/**
 * A subset of Go's text/template (https://pkg.go.dev/text/template), enough to execute Calico's confd
 * templates for BIRD as confd does: text and actions with trim markers (`{{- ` / ` -}}`), comments,
 * pipelines (`|`), parenthesized pipelines with field chains, variables (`:=`, `=`), if / else if /
 * else, range (with `$v :=` or `$i, $v :=`, and else), with, define / template, and the builtins
 * and, or, not, eq, ne, lt, le, gt, ge, len, index, print, printf. Functions come from the caller
 * (confd's FuncMap). Anything outside the subset fails with the template name and line.
 */

export type GoValue = unknown;
export type GoFunc = (...args: GoValue[]) => GoValue;

export class TemplateError extends Error {}

type Arg =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'dot'; fields: string[] }
  | { t: 'var'; name: string; fields: string[] }
  | { t: 'fn'; name: string }
  | { t: 'pipe'; pipe: Pipe; fields: string[] };

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Arg[][];
  line: number;
}

type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pipe: Pipe }
  | { k: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList: Node[] }
  | { k: 'template'; name: string; pipe?: Pipe; line: number };

// ---------- lexing of the template text into text and actions ----------

interface RawAction {
  body: string;
  line: number;
}
type Piece = { text: string } | { action: RawAction };

const SPACE = /[ \t\r\n]/;

function splitActions(src: string, name: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  let trimNext = false;
  const lineAt = (pos: number) => src.slice(0, pos).split('\n').length;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      out.push({ text });
      break;
    }
    let p = open + 2;
    if (src[p] === '-' && SPACE.test(src[p + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      p += 2;
    }
    out.push({ text });
    const line = lineAt(open);
    // Comments: {{/* … */}} with optional trim markers around.
    if (src.startsWith('/*', p)) {
      const endC = src.indexOf('*/', p + 2);
      if (endC < 0) throw new TemplateError(`${name}:${line}: unclosed comment`);
      let r = endC + 2;
      if (src[r] === ' ' && src[r + 1] === '-' && src.startsWith('}}', r + 2)) {
        trimNext = true;
        r += 2;
      }
      if (!src.startsWith('}}', r))
        throw new TemplateError(`${name}:${line}: comment ends before the closing delimiter`);
      i = r + 2;
      continue;
    }
    // The action ends at the first }} outside a string.
    let j = p;
    let quote = '';
    for (; j < src.length; j++) {
      const c = src[j];
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === '`' || c === "'") quote = c;
      else if (c === '}' && src[j + 1] === '}') break;
    }
    if (j >= src.length) throw new TemplateError(`${name}:${line}: unclosed action`);
    let body = src.slice(p, j);
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -1);
      trimNext = true;
    }
    out.push({ action: { body, line } });
    i = j + 2;
  }
  return out.filter((x) => !('text' in x) || x.text !== '');
}

// ---------- lexing and parsing of one action ----------

type Tok =
  | { t: 'str' | 'ident' | 'var' | 'field'; v: string }
  | { t: 'num'; v: number }
  | { t: '(' | ')' | '|' | ':=' | '=' | ',' | 'dot' };

function lexAction(body: string, where: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const fail = (m: string): never => {
    throw new TemplateError(`${where}: ${m} in {{${body}}}`);
  };
  while (i < body.length) {
    const c = body[i];
    if (SPACE.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < body.length && body[j] !== '"'; j++) {
        if (body[j] === '\\') {
          const e = body[++j];
          s +=
            e === 'n'
              ? '\n'
              : e === 't'
                ? '\t'
                : e === '"' || e === '\\'
                  ? e
                  : fail(`escape \\${e} not supported`);
        } else s += body[j];
      }
      if (j >= body.length) fail('unterminated string');
      toks.push({ t: 'str', v: s });
      i = j + 1;
    } else if (c === '`') {
      const j = body.indexOf('`', i + 1);
      if (j < 0) fail('unterminated raw string');
      toks.push({ t: 'str', v: body.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '(' || c === ')' || c === '|' || c === ',') {
      toks.push({ t: c });
      i++;
    } else if (body.startsWith(':=', i)) {
      toks.push({ t: ':=' });
      i += 2;
    } else if (c === '=') {
      toks.push({ t: '=' });
      i++;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(body[i + 1] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(body.slice(i))!;
      toks.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*/.exec(body.slice(i))!;
      toks.push({ t: 'var', v: m[0] });
      i += m[0].length;
    } else if (c === '.') {
      const m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i));
      if (m) {
        toks.push({ t: 'field', v: m[0].slice(1) });
        i += m[0].length;
      } else {
        toks.push({ t: 'dot' });
        i++;
      }
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i))!;
      toks.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else fail(`unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

class ActionParser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly where: string,
    private readonly funcs: ReadonlySet<string>,
    private readonly line: number,
  ) {}

  fail(m: string): never {
    throw new TemplateError(`${this.where}: ${m}`);
  }
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) this.fail('unexpected end of action');
    return t;
  }
  expectEnd(): void {
    if (!this.done()) this.fail(`unexpected ${JSON.stringify(this.peek())}`);
  }

  /** pipeline := [decl (":="|"=")] command ("|" command)* ; stops at ")" or the end. */
  pipeline(allowDecl: boolean): Pipe {
    const decl: string[] = [];
    let assign = false;
    if (allowDecl && this.peek()?.t === 'var') {
      const save = this.i;
      const names = [(this.next() as { v: string }).v];
      if (this.peek()?.t === ',') {
        this.next();
        const second = this.next();
        if (second.t !== 'var') this.fail('expected a variable after ","');
        names.push(second.v);
      }
      const op = this.peek();
      if (op?.t === ':=' || op?.t === '=') {
        this.next();
        decl.push(...names);
        assign = op.t === '=';
      } else this.i = save;
    }
    const cmds: Arg[][] = [this.command()];
    while (this.peek()?.t === '|') {
      this.next();
      cmds.push(this.command());
    }
    return { decl, assign, cmds, line: this.line };
  }

  command(): Arg[] {
    const args: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || t.t === '|' || t.t === ')') break;
      args.push(this.operand());
    }
    if (args.length === 0) this.fail('empty command');
    return args;
  }

  fields(): string[] {
    const out: string[] = [];
    while (this.peek()?.t === 'field') out.push((this.next() as { v: string }).v);
    return out;
  }

  operand(): Arg {
    const t = this.next();
    switch (t.t) {
      case 'str':
        return { t: 'str', v: t.v };
      case 'num':
        return { t: 'num', v: t.v };
      case 'dot':
        return { t: 'dot', fields: [] };
      case 'field':
        return { t: 'dot', fields: [t.v, ...this.fields()] };
      case 'var':
        return { t: 'var', name: t.v, fields: this.fields() };
      case '(': {
        const pipe = this.pipeline(false);
        if (this.next().t !== ')') this.fail('expected ")"');
        return { t: 'pipe', pipe, fields: this.fields() };
      }
      case 'ident':
        if (t.v === 'true' || t.v === 'false') return { t: 'bool', v: t.v === 'true' };
        if (t.v === 'nil') return { t: 'nil' };
        if (!this.funcs.has(t.v)) this.fail(`function "${t.v}" not defined (not implemented here)`);
        return { t: 'fn', name: t.v };
      default:
        return this.fail(`unexpected ${t.t}`);
    }
  }
}

// ---------- parsing of the piece list into a tree ----------

export interface ParsedTemplate {
  readonly name: string;
  readonly root: Node[];
  readonly defines: Map<string, Node[]>;
}

export function parseTemplate(src: string, name: string, funcs: ReadonlySet<string>): ParsedTemplate {
  const pieces = splitActions(src, name);
  const defines = new Map<string, Node[]>();
  let k = 0;
  type Stop = 'end' | 'else' | 'eof';

  const list = (depth: number): { nodes: Node[]; stop: Stop; elseAction?: ActionParser } => {
    const nodes: Node[] = [];
    while (k < pieces.length) {
      const piece = pieces[k++];
      if ('text' in piece) {
        nodes.push({ k: 'text', text: piece.text });
        continue;
      }
      const { body, line } = piece.action;
      const where = `${name}:${line}`;
      const p = new ActionParser(lexAction(body, where), where, funcs, line);
      const first = p.peek();
      const kw = first?.t === 'ident' ? first.v : undefined;
      if (kw === 'end') {
        p.next();
        p.expectEnd();
        if (depth === 0) p.fail('unexpected {{end}}');
        return { nodes, stop: 'end' };
      }
      if (kw === 'else') {
        p.next();
        if (depth === 0) p.fail('unexpected {{else}}');
        return { nodes, stop: 'else', elseAction: p };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') {
        p.next();
        nodes.push(control(kw, p, depth));
        continue;
      }
      if (kw === 'define') {
        p.next();
        const n = p.next();
        if (n.t !== 'str') p.fail('define needs a name string');
        p.expectEnd();
        if (depth !== 0) p.fail('define is allowed at top level only');
        const body = list(depth + 1);
        if (body.stop !== 'end') p.fail('define without {{end}}');
        defines.set((n as { v: string }).v, body.nodes);
        continue;
      }
      if (kw === 'template') {
        p.next();
        const n = p.next();
        if (n.t !== 'str') p.fail('template needs a name string');
        const pipe = p.done() ? undefined : p.pipeline(false);
        p.expectEnd();
        nodes.push({ k: 'template', name: (n as { v: string }).v, pipe, line });
        continue;
      }
      if (kw === 'block' || kw === 'break' || kw === 'continue') p.fail(`{{${kw}}} is not implemented`);
      const pipe = p.pipeline(true);
      p.expectEnd();
      nodes.push({ k: 'action', pipe });
    }
    if (depth !== 0) throw new TemplateError(`${name}: unexpected end of template (missing {{end}})`);
    return { nodes, stop: 'eof' };
  };

  const control = (kw: 'if' | 'with' | 'range', p: ActionParser, depth: number): Node => {
    const pipe = p.pipeline(kw === 'range' || kw === 'if' || kw === 'with');
    p.expectEnd();
    const body = list(depth + 1);
    let elseList: Node[] = [];
    if (body.stop === 'else') {
      const ep = body.elseAction!;
      const nextKw = ep.peek();
      if (nextKw?.t === 'ident' && nextKw.v === 'if' && kw === 'if') {
        // {{else if …}} is {{else}}{{if …}}…{{end}}{{end}} sharing the one {{end}}.
        ep.next();
        elseList = [control('if', ep, depth)];
      } else {
        ep.expectEnd();
        const rest = list(depth + 1);
        if (rest.stop !== 'end') ep.fail('expected {{end}} after {{else}}');
        elseList = rest.nodes;
      }
    }
    return { k: kw, pipe, list: body.nodes, elseList };
  };

  const root = list(0).nodes;
  return { name, root, defines };
}

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
