/* global document, location, navigator, localStorage, sessionStorage, fetch, AbortController, TextDecoderStream, URLSearchParams, setTimeout, setInterval */
// The store page (issue 16): reads /api/store/live (server-sent events) with the store-IT
// token in an Authorization header (fetch, not EventSource, so the token never sits in a
// URL), and draws the floor plan, devices, outbox, radio map and last events. Dutch and
// English. No framework: one small module, rendered with DOM calls (no innerHTML of data).

const TEXT = {
  nl: {
    title: (s, g) => `Winkel ${s} · ${g}`,
    loginTitle: 'Inloggen voor winkel-IT',
    token: 'Winkel-IT-token',
    go: 'Openen',
    badToken: 'Dit token wordt niet geaccepteerd.',
    plan: 'Plattegrond',
    devices: 'Apparaten',
    device: 'Apparaat',
    state: 'Status',
    last: 'Laatste activiteit',
    sync: 'Uitbox en HQ',
    radio: 'Radiokaart',
    events: 'Laatste gebeurtenissen',
    live: 'Live',
    reconnecting: 'Verbinding weg – opnieuw verbinden…',
    connecting: 'Verbinden…',
    status: { ok: 'alles in orde', degraded: 'let op: een apparaat is niet in orde', down: 'storing: de database is niet bruikbaar' },
    states: { up: 'werkt', down: 'uit', connecting: 'verbinden', stopped: 'gestopt', disabled: 'uitgeschakeld' },
    kinds: { lane: 'Kassa', scanner: 'BLE-scanner', reader: 'Paslezer', hq: 'HQ-verbinding', pcsc: 'Paslezerdienst', outbox: 'Uitbox' },
    never: 'nog niet',
    ago: (t) => `${t} geleden`,
    s: 's',
    m: 'min',
    h: 'u',
    d: 'd',
    unsent: 'Nog niet verstuurd',
    awaiting: 'Wacht op HQ',
    oldest: 'Oudste in de uitbox',
    awaitingOldest: 'Langst wachtend op HQ',
    lastAck: 'Laatste bevestiging',
    hq: 'HQ-verbinding',
    noMap: 'Geen radiokaart: zones volgen hun eigen scanners.',
    points: 'Meetpunten',
    fit: 'Passing (mediaan)',
    age: 'Leeftijd',
    unknown: 'onbekend',
    fitGood: 'goed',
    fitStale: 'verouderd? opnieuw inmeten',
    dB: 'dB',
    occupancy: (m, t, a) => `${m} leden, ${t} tags, ${a} anoniem`,
    legend: 'Donkerder = drukker. Alleen aantallen, nooit wie.',
    planLabel: (n) => `Plattegrond met ${n} zones en de apparaten`,
    ev: {
      device: (e, k, st) => `${k} ${e.device}: ${st}`,
      sales: (e) => `${e.count} ${e.count === 1 ? 'verkoop' : 'verkopen'} op kassa ${e.lane} (+${e.points} punten)`,
      tap: (e) =>
        `Pas op ${e.place}: ${{ identified: 'herkend', staff: 'personeelspas', 'random-id': 'willekeurig id', 'unsupported-card': 'onbekende kaart', 'read-failed': 'lezen mislukt', removed: 'te snel weggehaald', timeout: 'te traag' }[e.outcome] ?? e.outcome}`,
    },
    noEvents: 'Nog niets gebeurd sinds het openen.',
  },
  en: {
    title: (s, g) => `Store ${s} · ${g}`,
    loginTitle: 'Sign in for store IT',
    token: 'Store-IT token',
    go: 'Open',
    badToken: 'This token is not accepted.',
    plan: 'Floor plan',
    devices: 'Devices',
    device: 'Device',
    state: 'State',
    last: 'Last activity',
    sync: 'Outbox and HQ',
    radio: 'Radio map',
    events: 'Last events',
    live: 'Live',
    reconnecting: 'Connection lost – reconnecting…',
    connecting: 'Connecting…',
    status: { ok: 'all well', degraded: 'attention: a device is not well', down: 'fault: the database is unusable' },
    states: { up: 'up', down: 'down', connecting: 'connecting', stopped: 'stopped', disabled: 'disabled' },
    kinds: { lane: 'Till lane', scanner: 'BLE scanner', reader: 'Card reader', hq: 'HQ link', pcsc: 'Card reader service', outbox: 'Outbox' },
    never: 'not yet',
    ago: (t) => `${t} ago`,
    s: 's',
    m: 'min',
    h: 'h',
    d: 'd',
    unsent: 'Not yet sent',
    awaiting: 'Waiting for HQ',
    oldest: 'Oldest in the outbox',
    awaitingOldest: 'Longest waiting for HQ',
    lastAck: 'Last acknowledgement',
    hq: 'HQ link',
    noMap: 'No radio map: zones follow their own scanners.',
    points: 'Points',
    fit: 'Fit (median)',
    age: 'Age',
    unknown: 'unknown',
    fitGood: 'good',
    fitStale: 'stale? record a new walk',
    dB: 'dB',
    occupancy: (m, t, a) => `${m} members, ${t} tags, ${a} anonymous`,
    legend: 'Darker = busier. Counts only, never who.',
    planLabel: (n) => `Floor plan with ${n} zones and the devices`,
    ev: {
      device: (e, k, st) => `${k} ${e.device}: ${st}`,
      sales: (e) => `${e.count} ${e.count === 1 ? 'sale' : 'sales'} on lane ${e.lane} (+${e.points} points)`,
      tap: (e) =>
        `Card at ${e.place}: ${{ identified: 'identified', staff: 'staff pass', 'random-id': 'random id', 'unsupported-card': 'unknown card', 'read-failed': 'read failed', removed: 'removed too soon', timeout: 'too slow' }[e.outcome] ?? e.outcome}`,
    },
    noEvents: 'Nothing has happened since the page opened.',
  },
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
};
const svg = (tag, attrs = {}, ...children) => {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
};

const params = new URLSearchParams(location.search);
let lang = params.get('lang') ?? localStorage.getItem('trouw-store-lang') ?? (navigator.language.startsWith('nl') ? 'nl' : 'en');
if (!TEXT[lang]) lang = 'nl';
let view = null;
let receivedAt = 0;
let connection = 'connecting';
const t = () => TEXT[lang];

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} ${t().s}`;
  if (s < 7200) return `${Math.round(s / 60)} ${t().m}`;
  if (s < 172800) return `${Math.round(s / 3600)} ${t().h}`;
  return `${Math.round(s / 86400)} ${t().d}`;
}
/** Server time now: the view's clock plus what passed here since it came. */
const serverNow = () => (view ? view.at + (Date.now() - receivedAt) : Date.now());
const ago = (at) => (at ? t().ago(duration(serverNow() - at)) : t().never);
const clock = (at) => new Date(at).toLocaleTimeString(lang === 'nl' ? 'nl-NL' : 'en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const stateText = (s) => t().states[s] ?? s;
const stateBadge = (s) => el('span', { class: `state state-${s}` }, stateText(s));
const COLORS = { up: '#0b6b2f', down: '#a11a1a', stopped: '#a11a1a', connecting: '#7a4b00', disabled: '#7a4b00' };

function renderStatic() {
  document.documentElement.lang = lang;
  for (const b of document.querySelectorAll('.langs button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  $('login-title').textContent = t().loginTitle;
  $('token-label').textContent = t().token;
  $('login-go').textContent = t().go;
  $('plan-title').textContent = t().plan;
  $('devices-title').textContent = t().devices;
  $('th-device').textContent = t().device;
  $('th-state').textContent = t().state;
  $('th-last').textContent = t().last;
  $('sync-title').textContent = t().sync;
  $('radio-title').textContent = t().radio;
  $('events-title').textContent = t().events;
  $('plan-legend').textContent = t().legend;
  document.title = view ? `Trouw – ${t().title(view.store, view.gateway)}` : 'Trouw';
}

function renderStatus() {
  const s = $('status');
  s.textContent =
    connection === 'live' && view ? `${t().live}: ${t().status[view.status] ?? view.status}` : connection === 'lost' ? t().reconnecting : t().connecting;
}

function renderPlan(v) {
  const { width, depth, zones } = v.floor;
  const busiest = Math.max(1, ...zones.map((z) => z.members + z.tags + z.anonymous));
  const root = svg('svg', { viewBox: `0 0 ${width} ${depth}`, role: 'img', 'aria-label': t().planLabel(zones.length) });
  root.append(svg('rect', { x: 0, y: 0, width, height: depth, fill: '#fafbfc', stroke: '#6b7785', 'stroke-width': 0.1 }));
  for (const z of zones) {
    const n = z.members + z.tags + z.anonymous;
    const { x0, y0, x1, y1 } = z.rect;
    const g = svg('g', { 'data-testid': `zone-${z.id}`, 'data-occupancy': n });
    g.append(svg('title', {}, `${z.label ?? z.id}: ${t().occupancy(z.members, z.tags, z.anonymous)}`));
    g.append(
      svg('rect', { class: 'zone', x: x0, y: y0, width: x1 - x0, height: y1 - y0, fill: `rgba(11, 94, 215, ${(0.06 + 0.5 * (n / busiest)).toFixed(2)})` }),
    );
    g.append(svg('text', { class: 'zone-label', x: x0 + 0.4, y: y0 + 1.1 }, z.label ?? z.id));
    g.append(svg('text', { class: 'zone-count', x: x0 + 0.4, y: y0 + 2.1 }, String(n)));
    root.append(g);
  }
  for (const d of v.devices) {
    if (!d.spot) continue;
    const g = svg('g', { class: 'dev', 'data-testid': `spot-${d.id}`, 'data-state': d.state });
    g.append(svg('title', {}, `${t().kinds[d.kind]} ${d.name}: ${stateText(d.state)}`));
    const r = d.kind === 'lane' ? 0.55 : 0.42;
    if (d.kind === 'lane')
      g.append(
        svg('rect', {
          x: d.spot.x - r,
          y: d.spot.y - r,
          width: 2 * r,
          height: 2 * r,
          rx: 0.12,
          fill: COLORS[d.state] ?? '#555',
          stroke: '#fff',
          'stroke-width': 0.12,
        }),
      );
    else g.append(svg('circle', { cx: d.spot.x, cy: d.spot.y, r, fill: COLORS[d.state] ?? '#555' }));
    // Not by colour alone: a cross on anything that is not up.
    if (d.state !== 'up')
      g.append(
        svg('path', {
          d: `M${d.spot.x - r / 2} ${d.spot.y - r / 2}L${d.spot.x + r / 2} ${d.spot.y + r / 2}M${d.spot.x + r / 2} ${d.spot.y - r / 2}L${d.spot.x - r / 2} ${d.spot.y + r / 2}`,
          stroke: '#fff',
          'stroke-width': 0.14,
        }),
      );
    g.append(svg('text', { x: d.spot.x + r + 0.15, y: d.spot.y + 0.2 }, d.kind === 'lane' ? `${t().kinds.lane} ${d.name}` : d.name));
    root.append(g);
  }
  $('plan').replaceChildren(root);
}

function renderDevices(v) {
  const rows = v.devices.map((d) => {
    const tr = el('tr', { 'data-testid': `device-${d.id}`, 'data-state': d.state });
    tr.append(el('th', { scope: 'row' }, `${t().kinds[d.kind]} ${d.name}`));
    const st = el('td', {}, stateBadge(d.state));
    if (d.detail) st.append(el('div', { class: 'detail' }, d.detail));
    tr.append(st, el('td', {}, d.lastActivityAt ? ago(d.lastActivityAt) : d.since ? `${stateText(d.state)} ${ago(d.since)}` : t().never));
    return tr;
  });
  $('devices').tBodies[0].replaceChildren(...rows);
}

const pairs = (dl, items) => dl.replaceChildren(...items.flatMap(([k, v, id]) => [el('dt', {}, k), el('dd', id ? { 'data-testid': id } : {}, v)]));

function renderSync(v) {
  const o = v.outbox;
  pairs($('sync'), [
    [t().unsent, String(o.unsent), 'outbox-unsent'],
    [t().awaiting, String(o.awaitingHq), 'outbox-awaiting'],
    [t().oldest, o.oldestAgeSeconds ? duration(o.oldestAgeSeconds * 1000) : '–', 'outbox-oldest'],
    [t().awaitingOldest, o.awaitingHqOldestSeconds ? duration(o.awaitingHqOldestSeconds * 1000) : '–'],
    [t().lastAck, o.lastAckAt ? ago(o.lastAckAt) : t().never],
    [t().hq, stateText(o.hq), 'hq-state'],
  ]);
}

function renderRadio(v) {
  const m = v.radioMap;
  if (!m) return $('radio').replaceChildren(el('dd', {}, t().noMap));
  const fit = m.medianMisfitDb === null ? t().unknown : `${m.medianMisfitDb.toFixed(1)} ${t().dB} (${m.medianMisfitDb > 4 ? t().fitStale : t().fitGood})`;
  pairs($('radio'), [
    [t().points, String(m.points)],
    [t().fit, fit, 'radio-fit'],
    [t().age, m.createdAt ? duration(serverNow() - m.createdAt) : t().unknown, 'radio-age'],
  ]);
}

function eventText(e) {
  if (e.type === 'device') return t().ev.device(e, t().kinds[e.kind], stateText(e.state));
  return t().ev[e.type]?.(e) ?? e.type;
}

function renderEvents(v) {
  const items = v.events.map((e) => el('li', { 'data-type': e.type }, el('time', { datetime: new Date(e.at).toISOString() }, clock(e.at)), eventText(e)));
  $('events').replaceChildren(...(items.length ? items : [el('li', {}, t().noEvents)]));
}

function render() {
  renderStatic();
  renderStatus();
  if (!view) return;
  $('title').textContent = `Trouw – ${t().title(view.store, view.gateway)}`;
  renderPlan(view);
  renderDevices(view);
  renderSync(view);
  renderRadio(view);
  renderEvents(view);
}

// --- the connection ---------------------------------------------------------------------
let abort = null;
function showLogin(error = '') {
  $('login').hidden = false;
  $('live').hidden = true;
  $('login-error').textContent = error;
  $('token').focus();
}

async function connect() {
  const token = sessionStorage.getItem('trouw-store-token');
  if (!token) return showLogin();
  abort?.abort();
  abort = new AbortController();
  try {
    const res = await fetch('/api/store/live', {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: abort.signal,
      cache: 'no-store',
    });
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem('trouw-store-token');
      return showLogin(t().badToken);
    }
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    $('login').hidden = true;
    $('live').hidden = false;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!/^event: view$/m.test(block) || !data) continue;
        view = JSON.parse(data);
        receivedAt = Date.now();
        connection = 'live';
        render();
      }
    }
  } catch (e) {
    if (e.name === 'AbortError') return;
  }
  connection = 'lost';
  renderStatus();
  setTimeout(connect, 2000);
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem('trouw-store-token', $('token').value.trim());
  $('token').value = '';
  connection = 'connecting';
  renderStatus();
  connect();
});
for (const b of document.querySelectorAll('.langs button')) {
  b.addEventListener('click', () => {
    lang = b.dataset.lang;
    localStorage.setItem('trouw-store-lang', lang);
    render();
  });
}
// "12 s ago" keeps moving between pushes.
setInterval(() => view && render(), 1000);
render();
connect();
