/**
 * Calico's label selectors (docs: projectcalico.org, "Selectors"), the subset BGPPeers use:
 * `all()`, `has(k)`, `k == 'v'`, `k != 'v'`, `!`, `&&`, `||` and parentheses. Anything else is an
 * error naming the selector, never a silent non-match.
 */
type Labels = Readonly<Record<string, string>>;
type Sel = (l: Labels) => boolean;

export function parseSelector(src: string): Sel {
  const toks = src.match(/\s*(\|\||&&|==|!=|!|\(|\)|'[^']*'|"[^"]*"|[A-Za-z0-9_./-]+|\S)/g) ?? [];
  const t = toks.map((x) => x.trim());
  let i = 0;
  const fail = (m: string): never => {
    throw new Error(`selector ${JSON.stringify(src)}: ${m}`);
  };
  const eat = (v: string) => {
    if (t[i] !== v) fail(`expected ${v} at ${t[i] ?? 'the end'}`);
    i++;
  };
  const value = (): string => {
    const v = t[i++];
    if (!v || !/^['"]/.test(v)) fail(`expected a quoted value at ${v ?? 'the end'}`);
    return v.slice(1, -1);
  };
  const primary = (): Sel => {
    const x = t[i];
    if (x === '!') {
      i++;
      const inner = primary();
      return (l) => !inner(l);
    }
    if (x === '(') {
      i++;
      const e = or();
      eat(')');
      return e;
    }
    if (x === 'all' && t[i + 1] === '(') {
      i += 2;
      eat(')');
      return () => true;
    }
    if (x === 'has' && t[i + 1] === '(') {
      i += 2;
      const k = t[i++];
      eat(')');
      return (l) => Object.hasOwn(l, k);
    }
    if (x && /^[A-Za-z0-9_./-]+$/.test(x)) {
      i++;
      const op = t[i++];
      if (op !== '==' && op !== '!=') fail(`operator ${op ?? 'missing'} is not implemented`);
      const v = value();
      return op === '==' ? (l) => l[x] === v : (l) => l[x] !== v;
    }
    return fail(`unexpected ${x ?? 'end'}`);
  };
  const and = (): Sel => {
    const parts = [primary()];
    while (t[i] === '&&') {
      i++;
      parts.push(primary());
    }
    return (l) => parts.every((p) => p(l));
  };
  const or = (): Sel => {
    const parts = [and()];
    while (t[i] === '||') {
      i++;
      parts.push(and());
    }
    return (l) => parts.some((p) => p(l));
  };
  const sel = or();
  if (i !== t.length) fail(`unexpected ${t[i]}`);
  return sel;
}

export const matchesSelector = (selector: string, labels: Labels): boolean => parseSelector(selector)(labels);
