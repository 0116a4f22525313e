/* global document, window, EventSource, fetch, URLSearchParams, crypto, setTimeout, clearTimeout */
// The member kiosk screen (issue 7). One screen at a time is built into <main>; going back
// to the attract screen replaces everything in it and forgets the session, so nothing of
// the member stays in the page. All member data is set with textContent, never as HTML.
import { TEXT, formatDay, formatNumber, formatShort } from './i18n.js';

const params = new URLSearchParams(window.location.search);
const kiosk = params.get('kiosk') || 'k1';
const screenKey = params.get('key');
const idleOverride = Number(params.get('idle')) >= 1000 ? Number(params.get('idle')) : undefined;
const base = `/api/kiosk/${encodeURIComponent(kiosk)}`;

const main = document.getElementById('screen');
const announcer = document.getElementById('announce');
const langButton = document.getElementById('lang');
const doneButton = document.getElementById('done');

/** Everything about the person in front of the kiosk lives here, and only here. */
let state = { lang: 'nl', screen: 'attract', token: undefined, view: undefined, note: undefined, voucher: undefined, joinStep: 1, linking: false };
let screenInfo = { idleMs: 45_000, offers: [] };
let idleTimer;
let online = false;
let offlineTimer;

const t = () => TEXT[state.lang];

/** h('p', {class: 'x'}, 'text', child): a DOM element; strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === false || v === null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const { Node } = window;

let announceTimer;
function announce(text) {
  clearTimeout(announceTimer);
  announcer.textContent = '';
  // A new text node after clearing makes screen readers read it even if it repeats.
  announceTimer = setTimeout(() => (announcer.textContent = text), 50);
}
function forgetAnnouncements() {
  clearTimeout(announceTimer);
  announcer.textContent = '';
}

async function api(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(state.token && { authorization: `Bearer ${state.token}` }), ...(body && { 'content-type': 'application/json' }) },
    ...(body && { body: JSON.stringify(body) }),
    cache: 'no-store',
  });
  if (res.status === 401 && state.screen !== 'attract') {
    reset(t().sessionGone);
    throw new Error('session ended');
  }
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  return { status: res.status, json };
}

// --- screens --------------------------------------------------------------------------

function show(screen, ...nodes) {
  state.screen = screen;
  document.body.dataset.screen = screen;
  main.replaceChildren(...nodes);
  doneButton.hidden = screen === 'attract' || screen === 'offline';
  const heading = main.querySelector('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  armIdle();
}

function render() {
  document.documentElement.lang = state.lang;
  langButton.textContent = t().switchTo;
  langButton.lang = t().switchLang;
  doneButton.textContent = t().done;
  if (!online) return show('offline', offlineScreen());
  switch (state.screen) {
    case 'member':
      return show('member', memberScreen(state.view));
    case 'join':
      return show('join', state.joinStep === 1 ? joinIntro() : joinForm());
    case 'staff':
      return show('staff', staffScreen(state.view));
    case 'random-id':
      return show('random-id', messageScreen(t().randomTitle, [t().randomText, t().randomUse]));
    case 'unreadable':
      return show('unreadable', messageScreen(t().unreadableTitle, [t().unreadableText]));
    case 'loading':
      return show('loading', h('h1', { class: 'center' }, t().loading));
    default:
      return show('attract', attractScreen());
  }
}

function attractScreen() {
  const offers = screenInfo.offers ?? [];
  return h(
    'section',
    { class: 'attract', 'aria-labelledby': 'attract-title' },
    h('h1', { id: 'attract-title' }, t().attractTitle),
    h('p', { class: 'lead' }, t().attractText),
    h('div', { class: 'reader', 'aria-hidden': 'true' }, h('span', { class: 'wave' }), h('span', { class: 'reader-label' }, t().readerHint)),
    offers.length > 0 &&
      h(
        'section',
        { class: 'offers', 'aria-labelledby': 'offers-title' },
        h('h2', { id: 'offers-title' }, t().offersTitle),
        h(
          'ul',
          {},
          offers.map((o) => h('li', { class: 'card' }, h('strong', {}, o.title?.[state.lang] ?? ''), o.text ? h('p', {}, o.text[state.lang]) : null)),
        ),
      ),
    state.note && h('p', { class: 'note', role: 'status' }, state.note),
  );
}

function messageScreen(title, lines) {
  return h(
    'section',
    { class: 'message', 'aria-labelledby': 'msg-title' },
    h('h1', { id: 'msg-title' }, title),
    lines.map((l) => h('p', { class: 'lead' }, l)),
    h('button', { type: 'button', class: 'primary', onclick: () => reset() }, t().ok),
  );
}

function offlineScreen() {
  return h(
    'section',
    { class: 'message offline', 'aria-labelledby': 'offline-title' },
    h('div', { class: 'offline-icon', 'aria-hidden': 'true' }),
    h('h1', { id: 'offline-title' }, t().offlineTitle),
    h('p', { class: 'lead' }, t().offlineText),
  );
}

function tierName(name) {
  const known = {
    standard: { nl: 'Standaard', en: 'Standard' },
    silver: { nl: 'Zilver', en: 'Silver' },
    gold: { nl: 'Goud', en: 'Gold' },
    bronze: { nl: 'Brons', en: 'Bronze' },
    platinum: { nl: 'Platina', en: 'Platinum' },
  };
  return known[name]?.[state.lang] ?? name.charAt(0).toUpperCase() + name.slice(1);
}

function memberScreen(v) {
  const L = state.lang;
  const pct = Math.round(Math.max(0, Math.min(1, v.tier.progress)) * 100);
  return h(
    'div',
    { class: 'member' },
    h('h1', { id: 'hello' }, t().hello(v.firstName)),
    state.note && h('p', { class: 'note', role: 'status' }, state.note),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'card balance', 'aria-labelledby': 'pts-title' },
        h('h2', { id: 'pts-title' }, t().points),
        h('p', { class: 'big', 'data-testid': 'balance' }, formatNumber(L, v.balance), h('span', { class: 'unit' }, ` ${t().pointsUnit(v.balance)}`)),
      ),
      h(
        'section',
        { class: 'card tier', 'aria-labelledby': 'tier-title' },
        h('h2', { id: 'tier-title' }, t().tier),
        h('p', { class: 'tier-name' }, tierName(v.tier.name)),
        h(
          'div',
          { class: 'progress', role: 'progressbar', 'aria-label': t().tierProgress, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct },
          barFill(pct),
        ),
        h('p', {}, v.tier.next ? t().tierToGo(formatNumber(L, v.tier.next.pointsToGo), tierName(v.tier.next.name)) : t().tierTop),
      ),
      h(
        'section',
        { class: `card expiring${v.expiringTotal > 0 ? ' warn' : ''}`, 'aria-labelledby': 'exp-title' },
        h('h2', { id: 'exp-title' }, t().expiringTitle),
        v.expiring.length === 0
          ? h('p', {}, t().expiringNone)
          : h(
              'ul',
              {},
              v.expiring.map((e) => h('li', {}, t().expiringOn(formatNumber(L, e.points), formatDay(L, e.on)))),
            ),
      ),
      h(
        'section',
        { class: 'card activity', 'aria-labelledby': 'act-title' },
        h('h2', { id: 'act-title' }, t().activityTitle),
        v.activity.length === 0
          ? h('p', {}, t().activityNone)
          : h(
              'ul',
              { class: 'rows' },
              v.activity.map((a) =>
                h(
                  'li',
                  { class: `row ${a.kind}` },
                  h('span', {}, t().kind[a.kind] ?? a.kind, h('span', { class: 'muted' }, ` · ${formatShort(L, a.at)}`)),
                  h('span', { class: 'pts' }, `${a.points > 0 ? '+' : '−'}${formatNumber(L, Math.abs(a.points))}`),
                ),
              ),
            ),
      ),
      rewardsSection(v),
      cardsSection(v),
    ),
  );
}

function barFill(pct) {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${pct}%`; // CSSOM, allowed by the CSP (no inline style attribute)
  return fill;
}

function rewardsSection(v) {
  const L = state.lang;
  return h(
    'section',
    { class: 'card rewards', 'aria-labelledby': 'rw-title' },
    h('h2', { id: 'rw-title' }, t().rewardsTitle),
    state.voucher &&
      h(
        'div',
        { class: 'voucher', role: 'alert' },
        h('p', {}, t().voucher),
        h('p', { class: 'code', 'data-testid': 'voucher' }, state.voucher),
        h('p', {}, t().voucherHelp),
      ),
    v.rewards === null
      ? h('p', { class: 'muted' }, t().rewardsComing)
      : v.rewards.length === 0
        ? h('p', {}, t().rewardsNone)
        : h(
            'ul',
            { class: 'rows' },
            v.rewards.map((r) =>
              h(
                'li',
                { class: 'row' },
                h('span', {}, r.name, h('span', { class: 'muted' }, ` · ${formatNumber(L, r.points)} ${t().pointsUnit(r.points)}`)),
                h('button', { type: 'button', class: 'secondary', 'aria-label': t().redeem(r.name), onclick: () => redeem(r) }, t().redeemShort),
              ),
            ),
          ),
  );
}

function cardsSection(v) {
  return h(
    'section',
    { class: 'card cards', 'aria-labelledby': 'cards-title' },
    h('h2', { id: 'cards-title' }, t().cardsTitle),
    v.cards.length === 0
      ? h('p', {}, t().cardsNone)
      : h(
          'ul',
          { class: 'rows' },
          v.cards.map((c) => {
            const label = c.label ?? t().cardKind[c.kind] ?? c.kind ?? '';
            return h(
              'li',
              { class: 'row' },
              h('span', {}, label),
              h('button', { type: 'button', class: 'secondary', 'aria-label': t().unlink(label), onclick: () => unlink(c.ref) }, t().unlinkShort),
            );
          }),
        ),
    state.linking
      ? h('p', { class: 'linking', role: 'status' }, t().linkNow)
      : h('button', { type: 'button', class: 'primary', onclick: startLink }, t().linkCard),
  );
}

function joinIntro() {
  return h(
    'section',
    { class: 'message', 'aria-labelledby': 'join-title' },
    h('h1', { id: 'join-title' }, t().joinTitle),
    h('p', { class: 'lead' }, t().joinText),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () => {
            state.joinStep = 2;
            render();
          },
        },
        t().joinStart,
      ),
      h('button', { type: 'button', class: 'secondary', onclick: () => reset() }, t().joinNo),
    ),
  );
}

function joinForm() {
  const err = h('p', { id: 'join-error', class: 'error', role: 'alert' });
  const name = h('input', {
    id: 'join-name',
    name: 'name',
    type: 'text',
    autocomplete: 'off',
    required: true,
    maxlength: 100,
    'aria-describedby': 'join-error',
  });
  const email = h('input', { id: 'join-email', name: 'email', type: 'email', autocomplete: 'off', maxlength: 254, inputmode: 'email' });
  const offers = h('input', { id: 'consent-offers', type: 'checkbox' });
  const presence = h('input', { id: 'consent-presence', type: 'checkbox', 'aria-describedby': 'presence-help' });
  const form = h(
    'form',
    {
      class: 'join',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        if (!name.value.trim()) return void ((err.textContent = t().joinNameMissing), name.focus());
        const r = await api('POST', '/me/join', {
          name: name.value.trim(),
          ...(email.value.trim() && { email: email.value.trim() }),
          consent: { offers: offers.checked, presence: presence.checked },
        }).catch(() => undefined);
        if (!r) return;
        if (r.status !== 201) {
          err.textContent = r.json?.error === 'invalid-email' ? t().joinEmailBad : t().joinFailed;
          return;
        }
        state.view = r.json;
        state.note = t().welcome(r.json.firstName);
        state.screen = 'member';
        render();
        announce(state.note);
      },
    },
    h('h1', { id: 'join-form-title' }, t().joinFormTitle),
    h('div', { class: 'field' }, h('label', { for: 'join-name' }, t().name), name),
    h('div', { class: 'field' }, h('label', { for: 'join-email' }, t().email), email),
    h(
      'fieldset',
      { class: 'consents' },
      h('legend', {}, t().consentTitle),
      h('p', { class: 'muted' }, t().consentText),
      h('div', { class: 'check' }, offers, h('label', { for: 'consent-offers' }, t().consentOffers)),
      h('div', { class: 'check' }, presence, h('label', { for: 'consent-presence' }, t().consentPresence)),
      h('p', { id: 'presence-help', class: 'muted small' }, t().consentPresenceHelp),
    ),
    err,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t().joinSubmit),
      h('button', { type: 'button', class: 'secondary', onclick: () => reset() }, t().joinCancel),
    ),
  );
  return form;
}

function staffScreen(v) {
  const st = (s) => t().state[s] ?? s;
  const table = (title, rows, empty) =>
    h(
      'section',
      { class: 'card', 'aria-label': title },
      h('h2', {}, title),
      rows.length === 0
        ? h('p', {}, empty)
        : h(
            'ul',
            { class: 'rows' },
            rows.map((r) =>
              h(
                'li',
                { class: `row state-${r.state}` },
                h('span', {}, r.name, r.detail ? h('span', { class: 'muted' }, ` · ${r.detail}`) : null),
                h('strong', {}, st(r.state)),
              ),
            ),
          ),
    );
  return h(
    'div',
    { class: 'staff' },
    h('h1', {}, `${t().staffTitle}${v.label ? ` · ${v.label}` : ''}`),
    h('p', { class: 'lead' }, `${t().staffStatus}: `, h('strong', {}, st(v.status ?? '?'))),
    h(
      'div',
      { class: 'grid' },
      table(t().readers, v.readers ?? [], t().noReaders),
      table(t().lanes, v.lanes ?? [], t().noLanes),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'today-title' },
        h('h2', { id: 'today-title' }, t().todayTitle),
        h(
          'dl',
          { class: 'counts' },
          h('dt', {}, t().sales),
          h('dd', {}, formatNumber(state.lang, v.today?.sales ?? 0)),
          h('dt', {}, t().pointsGiven),
          h('dd', {}, formatNumber(state.lang, v.today?.points ?? 0)),
          h('dt', {}, t().joined),
          h('dd', {}, formatNumber(state.lang, v.today?.joined ?? 0)),
        ),
      ),
    ),
  );
}

// --- actions --------------------------------------------------------------------------

async function loadSession(token) {
  state = { ...state, token, view: undefined, note: undefined, voucher: undefined, joinStep: 1, linking: false, screen: 'loading' };
  const r = await api('GET', '/me').catch(() => undefined);
  if (!r || r.status !== 200 || state.token !== token) return;
  state.view = r.json;
  state.screen = r.json.kind;
  render();
  if (r.json.kind === 'member') announce(t().hello(r.json.firstName));
}

async function refresh(note) {
  const r = await api('GET', '/me').catch(() => undefined);
  if (!r || r.status !== 200) return;
  state.view = r.json;
  state.note = note;
  render();
  if (note) announce(note);
}

async function redeem(reward) {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const requestKey = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const r = await api('POST', `/me/rewards/${encodeURIComponent(reward.id)}`, { requestKey }).catch(() => undefined);
  if (!r) return;
  if (r.status !== 201) return refresh(t().redeemFailed);
  state.voucher = r.json.code;
  await refresh();
  announce(`${t().voucher}: ${r.json.code}`);
}

async function unlink(ref) {
  const r = await api('DELETE', `/me/cards/${ref}`).catch(() => undefined);
  if (r) await refresh(r.status === 204 ? t().unlinked : t().linkFailedOther);
}

async function startLink() {
  const r = await api('POST', '/me/link').catch(() => undefined);
  if (!r || r.status !== 202) return;
  state.linking = true;
  render();
  announce(t().linkNow);
}

/** Back to the attract screen: the session ends and every trace of the member is dropped. */
function reset(note) {
  const token = state.token;
  state = { lang: 'nl', screen: 'attract', token: undefined, view: undefined, note, voucher: undefined, joinStep: 1, linking: false };
  forgetAnnouncements();
  if (token) void fetch(`${base}/me`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  render();
  if (note) announce(note);
  state.note = undefined;
}

function armIdle() {
  clearTimeout(idleTimer);
  if (state.screen === 'attract' || state.screen === 'offline') return;
  idleTimer = setTimeout(() => reset(), idleOverride ?? screenInfo.idleMs);
}

// --- the gateway connection -------------------------------------------------------------

function onTap(ev) {
  const e = JSON.parse(ev.data);
  if (e.type === 'linked') {
    if (state.screen !== 'member') return;
    state.linking = false;
    const msg = e.ok ? (e.error === 'already-linked' ? t().alreadyLinked : t().linked) : (t().linkFailed[e.error] ?? t().linkFailedOther);
    return void refresh(msg);
  }
  if (e.token) return void loadSession(e.token);
  // A card that cannot identify: whatever was on screen goes.
  const token = state.token;
  if (token) void fetch(`${base}/me`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  forgetAnnouncements();
  state = { lang: state.lang, screen: e.type, token: undefined, view: undefined, note: undefined, voucher: undefined, joinStep: 1, linking: false };
  render();
}

function setOnline(up) {
  clearTimeout(offlineTimer);
  if (up) {
    if (!online) {
      online = true;
      reset();
    }
    return;
  }
  // A blip shorter than this is not worth a screen change.
  offlineTimer = setTimeout(() => {
    online = false;
    forgetAnnouncements();
    state = { lang: state.lang, screen: 'attract', token: undefined, view: undefined, note: undefined, voucher: undefined, joinStep: 1, linking: false };
    render();
  }, 1500);
}

function connect() {
  const es = new EventSource(`${base}/events${screenKey ? `?key=${encodeURIComponent(screenKey)}` : ''}`);
  es.addEventListener('hello', () => {
    void fetch(`${base}/screen`, { cache: 'no-store' })
      .then((r) => r.json())
      .then((info) => {
        screenInfo = info;
        if (state.screen === 'attract') render();
      })
      .catch(() => undefined);
    setOnline(true);
  });
  es.addEventListener('tap', onTap);
  es.onerror = () => {
    setOnline(false);
    // A refused or non-stream answer closes the EventSource for good: open a new one.
    if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
}

langButton.addEventListener('click', () => {
  state.lang = state.lang === 'nl' ? 'en' : 'nl';
  render();
});
doneButton.addEventListener('click', () => reset());
for (const type of ['pointerdown', 'keydown', 'input']) document.addEventListener(type, armIdle, { passive: true });

online = false;
render();
clearTimeout(offlineTimer);
// Until the first connection, show "connecting" as the offline screen only after a moment.
main.replaceChildren();
setOnline(false);
connect();
