/* global document, window, fetch, sessionStorage, URL, URLSearchParams, Blob, Chart, location */
// Trouw HQ insights dashboard (issue 17): one view at a time, each chart drawn with Chart.js
// (served from node_modules by the HQ API) beside the table it comes from. Every table has
// a CSV export and every chart its JSON endpoint. Data needs the API's bearer token when
// the API has one: asked once, kept in sessionStorage (this tab only).
'use strict';

const PALETTE = ['#12355b', '#d4572a', '#2a9d8f', '#e9c46a', '#8e44ad', '#6c757d', '#264653', '#f4a261'];
const charts = [];
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem('trouw-hq-token') || '';

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function query() {
  const p = new URLSearchParams();
  for (const k of ['store', 'from', 'to']) if ($(k).value) p.set(k, $(k).value);
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function api(path) {
  const headers = token() ? { authorization: `Bearer ${token()}` } : {};
  const res = await fetch(path, { headers });
  if (res.status === 401) {
    $('login').hidden = false;
    throw new Error('Sign in with the HQ API token.');
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res;
}

const fmt = (v) =>
  v === null || v === undefined
    ? '—'
    : typeof v === 'number'
      ? Number.isInteger(v)
        ? v.toLocaleString('en-GB')
        : v.toLocaleString('en-GB', { maximumFractionDigits: 3 })
      : String(v);

function tableOf(t) {
  const head = el('tr', {}, ...t.columns.map((c) => el('th', { scope: 'col', text: c })));
  const body = t.rows.map((r) => el('tr', {}, ...r.map((v, i) => (i === 0 ? el('th', { scope: 'row', text: fmt(v) }) : el('td', { text: fmt(v) })))));
  return el('table', { 'data-table': t.id }, el('caption', { text: t.title }), el('thead', {}, head), el('tbody', {}, ...body));
}

function heatmap(c) {
  // Zones × 168 hours; colour by visits; suppressed cells (fewer than k members) hatched.
  const max = Math.max(1, ...c.series.flatMap((s) => s.values.filter((v) => v !== null)));
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const hourHead = el('tr', {}, el('th', { scope: 'col', text: 'Zone' }), ...days.map((d) => el('th', { scope: 'colgroup', colspan: '24', text: d })));
  const rows = c.series.map((s) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row', text: s.name }),
      ...s.values.map((v, h) => {
        const label = `${s.name}, ${c.labels[h]}: ${v === null ? 'suppressed or none' : `${v} visits`}`;
        const td = el('td', { title: label, class: v === null ? 'sup' : null, text: v === null ? '' : String(v) });
        if (v !== null) td.style.background = `rgba(18, 53, 91, ${(0.08 + 0.92 * (v / max)).toFixed(3)})`;
        return td;
      }),
    ),
  );
  return el(
    'div',
    { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': c.title },
    el('table', { class: 'heat', 'data-chart': c.id }, el('caption', { text: c.title }), el('thead', {}, hourHead), el('tbody', {}, ...rows)),
    el('p', { class: 'legend', text: 'Darker: more visits. Hatched: fewer than k members in the cell (suppressed) or no visits.' }),
  );
}

function drawChart(c, canvas) {
  const stacked = c.kind === 'stacked';
  const type = c.kind === 'line' ? 'line' : 'bar';
  const chart = new Chart(canvas, {
    type,
    data: {
      labels: c.labels,
      datasets: c.series.map((s, i) => ({
        label: s.name,
        data: s.values,
        backgroundColor: PALETTE[i % PALETTE.length],
        borderColor: PALETTE[i % PALETTE.length],
        spanGaps: true,
        tension: 0.2,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked }, y: { stacked, beginAtZero: true } },
      plugins: { legend: { display: c.series.length > 1 || stacked } },
    },
  });
  charts.push(chart);
}

async function download(view, id) {
  const res = await api(`/v1/insights/${view}/tables/${id}.csv${query()}`);
  const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/csv' }));
  const a = el('a', { href: url, download: `trouw-${view}-${id}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

async function show(view) {
  for (const c of charts.splice(0)) c.destroy();
  for (const a of document.querySelectorAll('#views a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = $('main');
  main.setAttribute('aria-busy', 'true');
  main.dataset.ready = '';
  try {
    const v = await (await api(`/v1/insights/${view}${query()}`)).json();
    main.replaceChildren(el('h2', { text: v.title }));
    // Each chart with the table of the same id; tables without a chart after.
    const used = new Set();
    for (const c of v.charts) {
      const t = v.tables.find((x) => x.id === c.id);
      if (t) used.add(t.id);
      const panel = el('section', { class: 'panel', 'aria-labelledby': `h-${c.id}` }, el('h3', { id: `h-${c.id}`, text: c.title }));
      if (c.kind === 'heatmap') panel.append(heatmap(c));
      else {
        const canvas = el('canvas', { role: 'img', 'aria-label': `${c.title}. The data is in the table below.` });
        panel.append(el('div', { class: 'chart' }, canvas));
        drawChart(c, canvas);
      }
      if (c.note) panel.append(el('p', { class: 'note', text: c.note }));
      const links = el('div', { class: 'links' }, el('a', { href: `/v1/insights/${view}/charts/${c.id}${query()}`, text: 'Chart data (JSON)' }));
      panel.append(links);
      if (t) {
        const b = el('button', { type: 'button', text: `Export “${t.title}” (CSV)` });
        b.addEventListener('click', () => void download(view, t.id));
        links.append(b);
        panel.append(el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': t.title }, tableOf(t)));
      }
      main.append(panel);
    }
    for (const t of v.tables.filter((x) => !used.has(x.id))) {
      const b = el('button', { type: 'button', text: `Export “${t.title}” (CSV)` });
      b.addEventListener('click', () => void download(view, t.id));
      main.append(
        el(
          'section',
          { class: 'panel', 'aria-label': t.title },
          el('div', { class: 'links' }, b),
          el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': `${t.title} (table)` }, tableOf(t)),
        ),
      );
    }
    main.dataset.ready = view;
  } catch (e) {
    main.replaceChildren(el('p', { class: 'error', role: 'alert', text: e.message }));
  } finally {
    main.setAttribute('aria-busy', 'false');
  }
}

async function loadStores() {
  try {
    const { gateways } = await (await api('/v1/stores')).json();
    const stores = [...new Set(gateways.map((g) => g.store))].sort();
    for (const s of stores) $('store').append(el('option', { value: s, text: s }));
  } catch {
    // shown by the view's own request
  }
}

const current = () => (location.hash || '#liability').slice(1);
window.addEventListener('hashchange', () => void show(current()));
$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  void show(current());
});
$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem('trouw-hq-token', $('token').value);
  $('token').value = '';
  $('login').hidden = true;
  void loadStores().then(() => show(current()));
});
void loadStores().then(() => show(current()));
