/**
 * The topology as SVG: one row per tier (spines, leaves, nodes, pods), racks as boxes, every BGP
 * session a line (or an arc inside a row) colored by its health, route counts under each device.
 * Layout: the widest row evenly spaced, rows below under their group, rows above over what they
 * connect to.
 */
const NS = 'http://www.w3.org/2000/svg';
const ROW = 120;
const COL = 118;
const TOP = 50;

const el = (name, attrs = {}, text) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

/** Device name → {x, y}. */
export function layout(topology) {
  const tiers = new Map();
  for (const d of topology.devices) {
    if (!tiers.has(d.tier)) tiers.set(d.tier, []);
    tiers.get(d.tier).push(d);
  }
  const order = [...tiers.keys()].sort((a, b) => a - b);
  let base = order[0];
  for (const t of order) if (tiers.get(t).length > tiers.get(base).length) base = t;
  const width = Math.max(640, tiers.get(base).length * COL + COL);
  const pos = new Map();
  const y = (t) => TOP + order.indexOf(t) * ROW;
  const spread = (list, t) =>
    list.forEach((d, i) => {
      pos.set(d.name, { x: (width / list.length) * (i + 0.5), y: y(t) });
    });
  // Rows at or below the widest: by group (a pod under its node), else evenly.
  spread(tiers.get(base), base);
  for (const t of order.filter((t) => t > base)) {
    const list = tiers.get(t);
    const byGroup = new Map();
    for (const d of list) {
      const k = d.group && pos.has(d.group) ? d.group : '';
      if (!byGroup.has(k)) byGroup.set(k, []);
      byGroup.get(k).push(d);
    }
    const loose = byGroup.get('') ?? [];
    byGroup.delete('');
    for (const [g, kids] of byGroup) {
      const px = pos.get(g).x;
      kids.forEach((d, i) => {
        pos.set(d.name, { x: px + (i - (kids.length - 1) / 2) * (COL / 2), y: y(t) });
      });
    }
    if (loose.length) spread(loose, t);
  }
  // Rows above: over the devices they connect to in the row below.
  const neighbors = new Map();
  const link = (a, b) => {
    if (!neighbors.has(a)) neighbors.set(a, new Set());
    neighbors.get(a).add(b);
  };
  for (const s of topology.sessions) {
    link(s.ends[0].device, s.ends[1].device);
    link(s.ends[1].device, s.ends[0].device);
  }
  for (const t of order.filter((t) => t < base).reverse()) {
    const list = tiers.get(t);
    const placed = [];
    for (const d of list) {
      const below = [...(neighbors.get(d.name) ?? [])].filter((n) => pos.has(n) && pos.get(n).y > y(t));
      if (below.length) {
        pos.set(d.name, { x: below.reduce((a, n) => a + pos.get(n).x, 0) / below.length, y: y(t) });
        placed.push(d);
      }
    }
    const rest = list.filter((d) => !placed.includes(d));
    if (rest.length === list.length) spread(list, t);
    // Two devices over the same children (spines over every leaf) side by side.
    const xs = new Map();
    for (const d of placed) {
      const k = Math.round(pos.get(d.name).x);
      xs.set(k, [...(xs.get(k) ?? []), d]);
    }
    for (const same of xs.values())
      same.forEach((d, i) => {
        pos.get(d.name).x += (i - (same.length - 1) / 2) * COL;
      });
  }
  return { pos, width, height: TOP + order.length * ROW };
}

/** Draws everything; returns handles to update sessions and counts without redrawing. */
export function drawTopology(svg, topology, handlers) {
  svg.replaceChildren();
  const { pos, width, height } = layout(topology);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const racks = el('g', { class: 'racks' });
  const lines = el('g', { class: 'sessions' });
  const nodes = el('g', { class: 'devices' });
  svg.append(racks, lines, nodes);
  // Rack boxes around the nodes of a group.
  const groups = new Map();
  for (const d of topology.devices)
    if (d.role === 'node' && d.group) groups.set(d.group, [...(groups.get(d.group) ?? []), pos.get(d.name)]);
  for (const [name, ps] of groups) {
    const x0 = Math.min(...ps.map((p) => p.x)) - COL / 2 + 6;
    const x1 = Math.max(...ps.map((p) => p.x)) + COL / 2 - 6;
    const y0 = ps[0].y - 42;
    racks.append(el('rect', { x: x0, y: y0, width: x1 - x0, height: ROW * 1.85, rx: 10, class: 'rack' }));
    racks.append(el('text', { x: x0 + 8, y: y0 + 14, class: 'rack-label' }, name));
  }
  for (const l of topology.links) {
    const a = pos.get(l.a);
    const b = pos.get(l.b);
    if (a && b)
      lines.append(
        el('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'link', 'data-link': `${l.a} ${l.b}` }),
      );
  }
  const pairCount = new Map();
  const sessionEls = new Map();
  for (const s of topology.sessions) {
    const [ea, eb] = s.ends;
    const a = pos.get(ea.device);
    const b = pos.get(eb.device);
    if (!a || !b) continue;
    const key = [ea.device, eb.device].sort().join(' ');
    const n = pairCount.get(key) ?? 0;
    pairCount.set(key, n + 1);
    const off = n * 8;
    let d;
    if (a.y === b.y) {
      const lift = 26 + Math.abs(a.x - b.x) * 0.18 + off;
      d = `M ${a.x} ${a.y} Q ${(a.x + b.x) / 2} ${a.y - lift * 2} ${b.x} ${b.y}`;
    } else d = `M ${a.x + off} ${a.y} L ${b.x + off} ${b.y}`;
    const path = el('path', {
      d,
      class: 'session health-unknown',
      'data-session': s.id,
      'data-health': 'unknown',
    });
    path.append(el('title', {}, ''));
    path.addEventListener('click', () => handlers.session(s));
    lines.append(path);
    sessionEls.set(s.id, path);
  }
  const countEls = new Map();
  for (const d of topology.devices) {
    const p = pos.get(d.name);
    const g = el('g', {
      class: `device role-${d.role}`,
      'data-device': d.name,
      transform: `translate(${p.x} ${p.y})`,
    });
    const r = d.role === 'pod' ? 9 : 17;
    const boxed = d.role === 'spine' || d.role === 'leaf' || d.role === 'switch';
    g.append(boxed ? el('rect', { x: -24, y: -15, width: 48, height: 30, rx: 6 }) : el('circle', { r }));
    // Switch names beside their box, clear of the sessions fanning out below it.
    g.append(
      boxed
        ? el('text', { x: 30, y: 4, class: 'name side' }, d.name)
        : el('text', { y: r + 14, class: 'name' }, d.name),
    );
    if (d.note && d.role !== 'pod')
      g.append(
        boxed
          ? el('text', { x: 30, y: 17, class: 'note side' }, d.note)
          : el('text', { y: r + 26, class: 'note' }, d.note),
      );
    const count = el('text', { y: 4, class: 'count' }, '');
    if (d.role !== 'pod') g.append(count);
    const asn = d.asn ? `AS${d.asn} ` : '';
    g.append(el('title', {}, `${d.name} ${asn}${d.addresses.join(' ')}${d.note ? ` · ${d.note}` : ''}`));
    g.addEventListener('click', () => handlers.device(d.name));
    g.addEventListener('mouseenter', () => handlers.hover(d.name));
    g.addEventListener('mouseleave', () => handlers.hover(undefined));
    nodes.append(g);
    countEls.set(d.name, count);
  }
  return {
    session(id, state, s) {
      const p = sessionEls.get(id);
      if (!p) return;
      p.setAttribute('class', `session health-${state.health}`);
      p.setAttribute('data-health', state.health);
      const [ea, eb] = s.ends;
      p.firstChild.textContent = `${ea.device} ${ea.local} (${state.ends[0] ?? '?'}) ↔ ${eb.device} ${eb.local} (${state.ends[1] ?? '?'}) · ${s.kind} IPv${s.family}`;
    },
    count(device, n) {
      const c = countEls.get(device);
      if (c) c.textContent = String(n);
    },
  };
}

/** Marks devices (and the sessions or links between marked pairs) with a class; none clears it. */
export function mark(svg, cls, devices) {
  for (const e of svg.querySelectorAll(`.${cls}`)) e.classList.remove(cls);
  for (const d of devices) svg.querySelector(`[data-device="${CSS.escape(d)}"]`)?.classList.add(cls);
}

/** Marks the sessions and links joining any of the given device pairs. */
export function markPairs(svg, cls, topology, pairs) {
  const want = new Set(pairs.map(([a, b]) => [a, b].sort().join(' ')));
  for (const s of topology.sessions)
    if (want.has([s.ends[0].device, s.ends[1].device].sort().join(' ')))
      svg.querySelector(`[data-session="${s.id}"]`)?.classList.add(cls);
  for (const l of topology.links)
    if (want.has([l.a, l.b].sort().join(' ')))
      svg.querySelector(`[data-link="${CSS.escape(`${l.a} ${l.b}`)}"]`)?.classList.add(cls);
}
