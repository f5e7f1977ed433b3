/**
 * Both sides of the bgpdump oracle as comparable lines: `kind|peer|peerAs|prefix|pathId|asPath`
 * (A announce, W withdraw, B RIB entry) and `STATE|peer|peerAs|from|to`, from `bgpdump -m` output
 * and from the records `rackbgp decode --mrt` prints.
 */

// biome-ignore lint/suspicious/noExplicitAny: decode records are JSON
type Json = any;

const STATES = ['', 'Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** `bgpdump -m` lines (BGP4MP, BGP4MP_ET, TABLE_DUMP, TABLE_DUMP2, their _AP forms) as comparable lines. */
export function fromBgpdump(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('|');
    if (f.length < 5) continue;
    const ap = f[0].endsWith('_AP');
    if (f[2] === 'STATE') out.push(`STATE|${f[3]}|${f[4]}|${STATES[Number(f[5])]}|${STATES[Number(f[6])]}`);
    else if (f[2] === 'W') out.push(`W|${f[3]}|${f[4]}|${f[5]}|${ap ? f[6] : ''}|`);
    else if (f[2] === 'A' || f[2] === 'B')
      out.push(`${f[2]}|${f[3]}|${f[4]}|${f[5]}|${ap ? f[6] : ''}|${f[ap ? 7 : 6]}`);
  }
  return out;
}

function asPathText(attrs: Json): string {
  return (attrs?.asPath ?? [])
    .map((s: Json) => (s.type === 'set' ? `{${s.asns.join(',')}}` : s.asns.join(' ')))
    .join(' ');
}

const entry = (p: Json): [string, string] =>
  typeof p === 'string' ? [p, ''] : [p.prefix, String(p.pathId ?? '')];

/** `rackbgp decode --mrt` records as comparable lines (UPDATEs split per prefix, as bgpdump does). */
export function fromRecords(records: readonly Json[]): string[] {
  const out: string[] = [];
  for (const r of records) {
    if (r.state) {
      out.push(`STATE|${r.peer.address}|${r.peer.as}|${r.state.from}|${r.state.to}`);
      continue;
    }
    const m = r.message;
    if (m?.type !== 'update' || !r.peer) continue;
    // bgpdump names the sender: for the _LOCAL subtypes (messages we sent) our own address and AS.
    const from = r.mrt.subtype.includes('LOCAL') ? r.local : r.peer;
    const peer = `${from.address}|${from.as}`;
    const kind = r.mrt.type.startsWith('TABLE_DUMP') ? 'B' : 'A';
    const path = asPathText(m.attributes);
    for (const p of [...m.nlri, ...(m.mpReach?.nlri ?? [])])
      out.push(`${kind}|${peer}|${entry(p).join('|')}|${path}`);
    for (const p of [...m.withdrawn, ...(m.mpUnreach?.withdrawn ?? [])])
      out.push(`W|${peer}|${entry(p).join('|')}|`);
  }
  return out;
}
