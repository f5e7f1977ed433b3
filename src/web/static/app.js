/**
 * The live view's page: a snapshot and then changes from /api/view/stream (Server-Sent Events),
 * the topology (topology.js), the timeline, a device's panel (summary, routes with ECMP sets, FIB)
 * and the hop-by-hop lookup. Plain DOM, no framework, nothing fetched from outside.
 */
import { drawTopology, mark, markPairs } from './topology.js';

const $ = (id) => document.getElementById(id);
const TIMELINE_MAX = 400;
const view = { topology: undefined, state: undefined, draw: undefined, selected: undefined };

const h = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  for (const k of kids) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : String(k));
  return e;
};

const time = (t) => {
  const d = new Date(t);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

function sessionById(id) {
  return view.topology.sessions.find((s) => s.id === id);
}

function onSnapshot({ topology, state }) {
  view.topology = topology;
  view.state = { sessions: { ...state.sessions }, counts: { ...state.counts } };
  $('title').textContent = topology.title;
  document.title = `${topology.title} · rackbgp`;
  view.draw = drawTopology($('topology'), topology, {
    device: select,
    session: (s) => showSession(s),
    hover: (d) => {
      if (!d) return mark($('topology'), 'hover', []);
      const pairs = topology.sessions
        .filter((s) => s.ends.some((e) => e.device === d))
        .map((s) => [s.ends[0].device, s.ends[1].device]);
      mark($('topology'), 'hover', [d]);
      markPairs($('topology'), 'hover', topology, pairs);
    },
  });
  for (const [id, st] of Object.entries(view.state.sessions)) view.draw.session(id, st, sessionById(id));
  for (const [d, n] of Object.entries(view.state.counts)) view.draw.count(d, n);
  const from = $('lookup-from');
  from.replaceChildren(...topology.devices.map((d) => h('option', { value: d.name }, d.name)));
  const firstPod = topology.devices.find((d) => d.role === 'pod');
  from.value = view.selected ?? firstPod?.name ?? topology.devices[0]?.name;
  $('timeline').replaceChildren();
  for (const item of state.timeline) addTimeline(item);
  countTimeline();
  document.body.dataset.ready = '1';
  if (view.selected) select(view.selected);
}

async function restart() {
  const [topology, state] = await Promise.all(
    ['topology', 'state'].map((what) => fetch(`/api/view/${what}`).then((r) => r.json())),
  );
  onSnapshot({ topology, state });
}

function onChanges(changes) {
  if (changes.some((c) => c.type === 'reset')) return void restart();
  for (const c of changes) {
    if (c.type === 'session') {
      view.state.sessions[c.id] = c.state;
      view.draw.session(c.id, c.state, sessionById(c.id));
    } else if (c.type === 'count') {
      view.state.counts[c.device] = c.routes;
      view.draw.count(c.device, c.routes);
    } else if (c.type === 'timeline') addTimeline(c.item);
  }
  countTimeline();
}

function addTimeline(item) {
  const list = $('timeline');
  const li = h(
    'li',
    { 'data-kind': item.kind, 'data-device': item.device, 'data-session': item.session, 'data-t': item.t },
    h('time', {}, time(item.t)),
    h('span', { class: `kind kind-${item.kind}` }, item.kind),
    h('b', {}, item.device),
    ' ',
    item.text,
  );
  if (item.session) li.addEventListener('click', () => showSession(sessionById(item.session)));
  // Newest first; an event older than the top one (another device's clock order) goes in its place.
  let before = list.firstChild;
  while (before && Number(before.dataset.t) > item.t) before = before.nextSibling;
  list.insertBefore(li, before);
  while (list.children.length > TIMELINE_MAX) list.lastChild.remove();
}

function countTimeline() {
  $('timeline-count').textContent = `${$('timeline').children.length} events, newest first`;
}

function showSession(s) {
  if (!s) return;
  const st = view.state.sessions[s.id] ?? { health: 'unknown', ends: [] };
  mark($('topology'), 'ecmp', [s.ends[0].device, s.ends[1].device]);
  markPairs($('topology'), 'ecmp', view.topology, [[s.ends[0].device, s.ends[1].device]]);
  $('session-info').textContent = `${s.kind} IPv${s.family}: ${s.ends
    .map(
      (e, i) =>
        `${e.device} ${e.local} [${e.speaker}${e.protocol ? ` ${e.protocol}` : ''}] ${st.ends[i] ?? '?'}`,
    )
    .join(' ↔ ')} → ${st.health}`;
}

function table(section) {
  const t = h('table', {}, h('thead', {}, h('tr', {}, ...section.columns.map((c) => h('th', {}, c)))));
  const body = h('tbody');
  for (const row of section.rows) {
    const tr = h('tr', {}, ...row.cells.map((c) => h('td', {}, c)));
    if (row.ecmp?.length) {
      tr.classList.add('has-ecmp');
      if (row.ecmp.length > 1) tr.classList.add('multi');
      const show = () => {
        mark($('topology'), 'ecmp', [view.selected, ...row.ecmp]);
        markPairs(
          $('topology'),
          'ecmp',
          view.topology,
          row.ecmp.map((d) => [view.selected, d]),
        );
      };
      tr.addEventListener('mouseenter', show);
      tr.addEventListener('click', show);
      tr.title = `next hops: ${row.ecmp.join(', ')}`;
    }
    body.append(tr);
  }
  t.append(body);
  return t;
}

async function select(name) {
  view.selected = name;
  $('lookup-from').value = name;
  mark($('topology'), 'selected', [name]);
  const panel = $('panel');
  panel.dataset.device = name;
  panel.replaceChildren(h('h2', {}, name), h('p', { class: 'hint' }, 'loading…'));
  const r = await fetch(`/api/view/device/${encodeURIComponent(name)}`);
  if (view.selected !== name) return;
  const body = await r.json();
  if (!r.ok) return panel.replaceChildren(h('h2', {}, name), h('p', { class: 'error' }, body.error));
  const parts = [h('h2', {}, name)];
  for (const s of body.sections) {
    const d = h('details', { open: '' }, h('summary', {}, s.title, s.rows ? ` (${s.rows.length})` : ''));
    if (s.text !== undefined) d.append(h('pre', {}, s.text));
    if (s.rows) d.append(table(s));
    parts.push(d);
  }
  panel.replaceChildren(...parts);
}

function hopLine(hop) {
  const m = hop.match;
  const route = m
    ? `${m.type && m.type !== 'unicast' ? `${m.type} ` : ''}${m.prefix}${m.gateways.length ? ` via ${m.gateways.join(' + ')}` : m.dev ? ` dev ${m.dev}` : ''}`
    : '';
  const next = hop.next.length ? ` → ${hop.next.join(' | ')}` : '';
  return h(
    'li',
    {
      'data-device': hop.device,
      'data-depth': hop.depth,
      class: hop.end === 'delivered' ? 'delivered' : hop.end ? 'stop' : '',
    },
    h('span', { class: 'depth' }, hop.depth),
    h('b', {}, hop.device),
    ` ${route}${next}`,
    hop.end ? h('em', {}, ` ${hop.end}`) : undefined,
  );
}

async function lookup(ev) {
  ev.preventDefault();
  const q = $('lookup-query').value.trim();
  const from = $('lookup-from').value;
  const out = $('lookup-result');
  out.replaceChildren(h('p', { class: 'hint' }, `tracing ${q} from ${from}…`));
  const r = await fetch(`/api/view/lookup?q=${encodeURIComponent(q)}&from=${encodeURIComponent(from)}`);
  const w = await r.json();
  if (!r.ok) return out.replaceChildren(h('p', { class: 'error' }, w.error));
  const hops = h('ol', { class: 'hops' }, ...w.hops.map(hopLine));
  const matches = h(
    'details',
    {},
    h('summary', {}, 'longest match on every device'),
    table({
      columns: ['device', 'match', 'next hops'],
      rows: w.matches.map((m) => ({
        cells: [
          m.device,
          m.match
            ? `${m.match.type && m.match.type !== 'unicast' ? `${m.match.type} ` : ''}${m.match.prefix}`
            : '—',
          m.match ? m.match.gateways.join(' + ') || m.match.dev || '' : '',
        ],
      })),
    }),
  );
  out.dataset.delivered = String(w.delivered);
  out.replaceChildren(
    h(
      'p',
      {},
      `${w.query}${w.address !== w.query ? ` (${w.address})` : ''} from ${w.from}: `,
      h('b', {}, w.delivered ? 'delivered' : 'not delivered'),
    ),
    hops,
    matches,
  );
  const devices = w.hops.map((x) => x.device);
  mark($('topology'), 'ecmp', devices);
  markPairs(
    $('topology'),
    'ecmp',
    view.topology,
    w.hops.flatMap((x) => x.next.map((n) => [x.device, n])),
  );
}

function connect() {
  const live = $('live');
  const es = new EventSource('/api/view/stream');
  es.addEventListener('snapshot', (e) => {
    live.textContent = 'live';
    live.className = 'live on';
    onSnapshot(JSON.parse(e.data));
  });
  es.addEventListener('changes', (e) => onChanges(JSON.parse(e.data)));
  es.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  });
}

$('lookup').addEventListener('submit', (e) => {
  lookup(e).catch((err) => $('lookup-result').replaceChildren(h('p', { class: 'error' }, String(err))));
});
connect();
