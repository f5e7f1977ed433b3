/**
 * FRR's vtysh spellings, so muscle memory works: `show bgp [ipv4|ipv6 [unicast]] ...` and
 * `show ip bgp ...` followed by nothing (the routes), `summary`, `neighbors [ADDR [advertised-routes|
 * received-routes]]`, or a prefix or address (with `longer-prefixes`), and a trailing `json`. Pure:
 * words in, what to show out (or why the words are not one of these).
 */
export type FrrShow =
  | { readonly kind: 'summary'; readonly family?: 4 | 6; readonly json: boolean }
  | {
      readonly kind: 'neighbors';
      readonly address?: string;
      readonly view?: 'advertised-routes' | 'received-routes';
      readonly json: boolean;
    }
  | {
      readonly kind: 'routes';
      readonly family?: 4 | 6;
      readonly prefix?: string;
      readonly longer: boolean;
      readonly json: boolean;
    };

const FAMILY: Record<string, 4 | 6> = { ipv4: 4, ipv6: 6 };

/** `ip`: the words follow `show ip bgp` (IPv4 unicast); else they follow `show bgp`. */
export function parseFrrWords(input: readonly string[], ip: boolean): FrrShow | { readonly error: string } {
  const words = [...input];
  const json = words.at(-1)?.toLowerCase() === 'json';
  if (json) words.pop();
  let family: 4 | 6 | undefined = ip ? 4 : undefined;
  const head = () => words[0]?.toLowerCase();
  if (!ip && head() !== undefined && head()! in FAMILY) {
    family = FAMILY[head()!];
    words.shift();
    if (head() === 'unicast') words.shift();
    else if (
      head() === 'multicast' ||
      head() === 'vpn' ||
      head() === 'labeled-unicast' ||
      head() === 'flowspec'
    )
      return { error: `only unicast is supported (not ${words[0]})` };
  }
  const extra = (from: number) =>
    words.length > from ? { error: `unexpected '${words.slice(from).join(' ')}'` } : null;
  switch (head()) {
    case undefined:
      return { kind: 'routes', ...(family && { family }), longer: false, json };
    case 'summary':
      return extra(1) ?? { kind: 'summary', ...(family && { family }), json };
    case 'neighbor':
    case 'neighbors': {
      const address = words[1];
      const view = words[2]?.toLowerCase();
      if (view !== undefined && view !== 'advertised-routes' && view !== 'received-routes')
        return { error: `'${words[2]}': expected advertised-routes or received-routes` };
      return (
        extra(3) ?? {
          kind: 'neighbors',
          ...(address !== undefined && { address }),
          ...(view !== undefined && { view }),
          json,
        }
      );
    }
    default: {
      const longer = words[1]?.toLowerCase() === 'longer-prefixes';
      // FRR's `show ip bgp` and `show bgp ipv4` take IPv4 only; an address of the other family is a mistake.
      const given: 4 | 6 = words[0].includes(':') ? 6 : 4;
      if (family !== undefined && given !== family)
        return { error: `'${words[0]}' is IPv${given}: use show bgp ipv${given} unicast ${words[0]}` };
      return (
        extra(longer ? 2 : 1) ?? { kind: 'routes', ...(family && { family }), prefix: words[0], longer, json }
      );
    }
  }
}
