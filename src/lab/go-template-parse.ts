/**
 * Parsing for the Go text/template subset of go-template.ts: the template text is split into text
 * and actions (trim markers `{{- ` / ` -}}`, comments), each action lexed and parsed into pipelines
 * of commands, and the pieces assembled into a tree of if / with / range / template nodes with
 * define blocks set aside. Errors name the template and line.
 */
export type GoValue = unknown;
export type GoFunc = (...args: GoValue[]) => GoValue;

export class TemplateError extends Error {}

export type Arg =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'dot'; fields: string[] }
  | { t: 'var'; name: string; fields: string[] }
  | { t: 'fn'; name: string }
  | { t: 'pipe'; pipe: Pipe; fields: string[] };

export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Arg[][];
  line: number;
}

export type Node =
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
