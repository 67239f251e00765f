// wxd's page: live readings, today, charts, a month's days, health, CSV.
// Everything comes from this station's own /api/; charts are SVG drawn here.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const errors = [];
function noteError(msg) {
  errors.push(String(msg));
  document.documentElement.dataset.errors = String(errors.length);
}
window.addEventListener('error', (e) => noteError(e.message));
window.addEventListener('unhandledrejection', (e) => noteError(e.reason));

// ---- units ------------------------------------------------------------------
// Storage is metric; [station] units picks the default, the button switches.
const UNITS = {
  metric: {
    temp: [(v) => v, '°C', 1], press: [(v) => v, 'hPa', 1], speed: [(v) => v, 'km/h', 1],
    rain: [(v) => v, 'mm', 1], rate: [(v) => v, 'mm/h', 1], pct: [(v) => v, '%', 0], deg: [(v) => v, '°', 0],
  },
  us: {
    temp: [(v) => v * 9 / 5 + 32, '°F', 1], press: [(v) => v / 33.8639, 'inHg', 2],
    speed: [(v) => v / 1.609344, 'mph', 1], rain: [(v) => v / 25.4, 'in', 2],
    rate: [(v) => v / 25.4, 'in/h', 2], pct: [(v) => v, '%', 0], deg: [(v) => v, '°', 0],
  },
};
const KIND = {
  temperature_c: 'temp', dew_point_c: 'temp', ground_temperature_c: 'temp',
  pressure_hpa: 'press', sea_level_pressure_hpa: 'press', humidity_pct: 'pct', air_quality_pct: 'pct',
  wind_speed_kmh: 'speed', wind_gust_kmh: 'speed', wind_direction_deg: 'deg',
  rain_mm: 'rain', rain_today_mm: 'rain', rain_rate_mm_h: 'rate',
};
const state = { units: 'metric', range: '24h', current: null, status: null, today: null, series: null, days: null };

function conv(key, v) {
  const u = UNITS[state.units][KIND[key] || 'pct'];
  return v === null || v === undefined ? null : u[0](v);
}
function unitOf(key) { return UNITS[state.units][KIND[key] || 'pct'][1]; }
function fmt(key, v, withUnit) {
  const c = conv(key, v);
  if (c === null || !isFinite(c)) return '–';
  const s = c.toFixed(UNITS[state.units][KIND[key] || 'pct'][2]);
  return withUnit ? s + '\u202f' + unitOf(key) : s;
}
const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'];
function compassName(deg) { return COMPASS[Math.floor(((deg + 11.25) % 360 + 360) % 360 / 22.5) & 15]; }

// ---- small DOM helpers -----------------------------------------------------------
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}
function sv(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
function ago(s) {
  if (s === null || s === undefined) return '';
  if (s < 90) return Math.round(s) + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}
function isoDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate());
}
function daysAgo(n) { const d = new Date(); d.setHours(12, 0, 0, 0); d.setDate(d.getDate() - n); return d; }

async function get(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error((await r.text()).trim() || ('HTTP ' + r.status));
  return r.json();
}
function problem(msg) {
  const p = $('problem');
  p.hidden = !msg;
  p.textContent = msg || '';
}

// ---- now ---------------------------------------------------------------------------
const NOW = [
  ['temperature_c', 'Temperature'], ['humidity_pct', 'Humidity'], ['dew_point_c', 'Dew point'],
  ['pressure_hpa', 'Station pressure'], ['sea_level_pressure_hpa', 'Sea-level pressure'],
  ['ground_temperature_c', 'Ground temperature'], ['rain_today_mm', 'Rain today'],
  ['air_quality_pct', 'Air quality'],
];

function card(label, key, value, sub, stale) {
  return el('div', { class: 'card' + (stale ? ' stale' : ''), 'data-key': key },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, fmt(key, value, false), el('span', { class: 'unit' }, unitOf(key))),
    el('div', { class: 'sub' }, sub || ''));
}

function compass(deg, kmh) {
  const s = sv('svg', { viewBox: '-60 -60 120 120', class: 'compass', role: 'img',
    'aria-label': deg === null ? 'calm' : 'wind from ' + compassName(deg) });
  s.append(sv('circle', { class: 'ring', r: 46 }));
  for (let i = 0; i < 16; i++) {
    const a = i * Math.PI / 8, r0 = i % 4 ? 42 : 38;
    s.append(sv('line', { class: 'tick', x1: r0 * Math.sin(a), y1: -r0 * Math.cos(a), x2: 46 * Math.sin(a), y2: -46 * Math.cos(a) }));
  }
  [['N', 0], ['E', 90], ['S', 180], ['W', 270]].forEach(([n, d]) => {
    const t = sv('text', { x: 55 * Math.sin(d * Math.PI / 180), y: -55 * Math.cos(d * Math.PI / 180) });
    t.textContent = n;
    s.append(t);
  });
  if (deg === null || deg === undefined || !kmh) {
    const t = sv('text', { class: 'calm', x: 0, y: 0 });
    t.textContent = 'calm';
    s.append(t);
  } else {
    // The arrow points where the wind blows to; it comes from deg.
    s.append(sv('path', { class: 'needle', d: 'M0,-40 L9,8 L0,2 L-9,8 Z', transform: 'rotate(' + (deg + 180) + ')' }));
  }
  return s;
}

function renderNow() {
  const c = state.current, box = $('now');
  if (!c) return;
  const age = c.age_s || {};
  const kids = [];
  for (const [key, label] of NOW) {
    if (!(key in c)) continue;
    if (key === 'air_quality_pct' && c[key] === null) continue;	// BYO stations have none
    // Derived quantities are as old as what they are derived from.
    const from = { dew_point_c: 'temperature_c', sea_level_pressure_hpa: 'pressure_hpa' }[key] || key;
    let sub = ago(age[from]);
    if (key === 'rain_today_mm' && c.rain_rate_mm_h !== undefined && c.rain_rate_mm_h !== null)
      sub = fmt('rain_rate_mm_h', c.rain_rate_mm_h, true);
    kids.push(card(label, key, c[key], sub, age[from] > 300));
  }
  const w = el('div', { class: 'card wind', 'data-key': 'wind_speed_kmh' },
    el('div', { class: 'label' }, 'Wind'),
    el('div', { class: 'value' }, fmt('wind_speed_kmh', c.wind_speed_kmh, false), el('span', { class: 'unit' }, unitOf('wind_speed_kmh'))),
    el('div', { class: 'sub' }, 'gust ' + fmt('wind_gust_kmh', c.wind_gust_kmh, true) +
      (c.wind_direction_deg !== null && c.wind_direction_deg !== undefined
        ? ' · from ' + compassName(c.wind_direction_deg) + ' (' + Math.round(c.wind_direction_deg) + '°)' : '')),
    compass(c.wind_direction_deg, c.wind_speed_kmh),
    el('div', { class: 'sub' }, ago(age.wind_speed_kmh)));
  kids.splice(1, 0, w);
  box.replaceChildren(...kids);
  $('updated').textContent = 'updated ' + new Date(c.ts * 1000).toLocaleTimeString();
}

async function loadNow() {
  try {
    state.current = await get('api/current');
    problem('');
    renderNow();
  } catch (e) {
    problem('Live readings: ' + e.message);
  }
}

// ---- today ---------------------------------------------------------------------------
function renderToday() {
  const t = state.today, box = $('today');
  if (!t) { box.replaceChildren(el('p', { class: 'muted' }, 'No records today yet.')); return; }
  const low = (k) => 'low ' + fmt(k, t[k + '_min'], true);
  const items = [
    ['Temperature high', 'temperature_c', t.temperature_c_max, low('temperature_c')],
    ['Humidity high', 'humidity_pct', t.humidity_pct_max, low('humidity_pct')],
    ['Pressure high', 'sea_level_pressure_hpa', t.sea_level_pressure_hpa_max, low('sea_level_pressure_hpa')],
    ['Highest gust', 'wind_gust_kmh', t.wind_gust_kmh, 'mean wind ' + fmt('wind_speed_kmh', t.wind_speed_kmh, true)],
    ['Rain', 'rain_mm', t.rain_mm, 'since midnight, ' + t.records + ' records'],
    ['Ground high', 'ground_temperature_c', t.ground_temperature_c_max, low('ground_temperature_c')],
  ];
  box.replaceChildren(...items.map(([l, k, v, s]) => card(l, k, v, s, false)));
}

async function loadToday() {
  try {
    const rows = await get('api/history?since=' + isoDate(new Date()) + '&until=now&step=86400');
    state.today = rows[0] || null;
    renderToday();
  } catch (e) { $('today').replaceChildren(el('p', { class: 'muted' }, e.message)); }
}

// ---- charts ------------------------------------------------------------------------
// step: seconds per point; rain: seconds per bar.  Day steps start at local
// midnight (a date without offset is the station's local time).
const RANGES = {
  '24h': { days: 1, step: 300, rain: 3600 },
  '7d': { days: 7, step: 1800, rain: 3 * 3600 },
  '30d': { days: 30, step: 3 * 3600, rain: 86400 },
  '1y': { days: 365, step: 86400, rain: 86400 },
};
function rangeQuery(days, step) {
  const now = Math.floor(Date.now() / 1000);
  const since = step % 86400 === 0 ? isoDate(daysAgo(days)) : String(Math.floor(now / step) * step - days * 86400);
  return 'api/history?since=' + since + '&until=now&step=' + step;
}

const CHARTS = [
  { title: 'Temperature', keys: [['temperature_c', 's1', 'air'], ['dew_point_c', 's2', 'dew point']], band: 'temperature_c' },
  { title: 'Humidity', keys: [['humidity_pct', 's2', '']] },
  { title: 'Sea-level pressure', keys: [['sea_level_pressure_hpa', 's4', '']] },
  { title: 'Wind', keys: [['wind_speed_kmh', 's3', 'mean'], ['wind_gust_kmh', 's1', 'gust']] },
  { title: 'Wind direction', keys: [['wind_direction_deg', 'dots', '']], dots: true },
  { title: 'Rain', keys: [['rain_mm', 'bars', '']], bars: true },
  { title: 'Ground temperature', keys: [['ground_temperature_c', 's1', '']] },
];

function niceStep(span, n) {
  const raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}
function timeTicks(t0, t1, width) {
  const span = t1 - t0, max = Math.max(2, Math.floor(width / 80));
  const hours = [1, 2, 3, 6, 12].find((h) => span / (h * 3600) <= max);
  const ticks = [];
  const d = new Date(t0 * 1000);
  if (hours) {
    d.setMinutes(0, 0, 0);
    while (d.getTime() / 1000 <= t1) {
      if (d.getTime() / 1000 >= t0 && d.getHours() % hours === 0)
        ticks.push([d.getTime() / 1000, String(d.getHours()).padStart(2, '0') + ':00']);
      d.setHours(d.getHours() + 1);
    }
    return ticks;
  }
  const days = [1, 2, 7, 14].find((n) => span / (n * 86400) <= max);
  d.setHours(0, 0, 0, 0);
  if (days) {
    while (d.getTime() / 1000 <= t1) {
      const doy = Math.round(d.getTime() / 86400000);
      if (d.getTime() / 1000 >= t0 && doy % days === 0)
        ticks.push([d.getTime() / 1000, d.toLocaleDateString(undefined, days < 7 && span < 8 * 86400 ? { weekday: 'short', day: 'numeric' } : { day: 'numeric', month: 'short' })]);
      d.setDate(d.getDate() + 1);
    }
    return ticks;
  }
  const months = span / (30 * 86400) <= max ? 1 : 2;
  d.setDate(1);
  while (d.getTime() / 1000 <= t1) {
    if (d.getTime() / 1000 >= t0 && d.getMonth() % months === 0)
      ticks.push([d.getTime() / 1000, d.toLocaleDateString(undefined, { month: 'short' })]);
    d.setMonth(d.getMonth() + 1);
  }
  return ticks;
}

function drawChart(def, rows, t0, t1, step) {
  const box = el('div', { class: 'chart', 'data-chart': def.keys[0][0] });
  const legend = def.keys.length > 1 ? el('span', { class: 'legend' },
    ...def.keys.map(([k, cls, name], i) => el('span', { class: 'key-' + cls }, (i ? ' · ' : '') + '— ' + name))) : null;
  box.append(el('h3', {}, def.title + ' ', el('span', { class: 'legend' }, def.dots ? '' : '(' + unitOf(def.keys[0][0]) + ')'), legend));
  const W = Math.max(280, Math.round(($('charts').clientWidth || 600) / Math.max(1, Math.round(($('charts').clientWidth || 600) / 520)) - 24));
  const H = 176, L = 44, R = 8, T = 8, B = 20;
  const s = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': def.title });
  box.append(s);
  const series = def.keys.map(([k, cls]) => ({ k, cls, pts: rows.filter((r) => r[k] !== null && r[k] !== undefined).map((r) => [r.ts, conv(k, r[k])]) }));
  const band = def.band && step >= 86400 ? rows.filter((r) => r[def.band + '_min'] !== null && r[def.band + '_min'] !== undefined)
    .map((r) => [r.ts, conv(def.band, r[def.band + '_min']), conv(def.band, r[def.band + '_max'])]) : [];
  const all = series.flatMap((x) => x.pts.map((p) => p[1])).concat(band.flatMap((b) => [b[1], b[2]]));
  if (!all.length) {
    const t = sv('text', { class: 'empty', x: W / 2, y: H / 2 });
    t.textContent = 'no data in this range';
    s.append(t);
    return box;
  }
  let lo = Math.min(...all), hi = Math.max(...all);
  if (def.bars) lo = 0;
  if (def.dots) { lo = 0; hi = 360; }
  if (hi - lo < 1e-9) { hi += 1; lo -= def.bars ? 0 : 1; }
  const ys = def.dots ? 90 : niceStep(hi - lo, 4);
  lo = Math.floor(lo / ys) * ys; hi = Math.ceil(hi / ys) * ys;
  const x = (t) => L + (t - t0) / (t1 - t0) * (W - L - R);
  const y = (v) => T + (hi - v) / (hi - lo) * (H - T - B);
  for (let v = lo; v <= hi + ys / 2; v += ys) {
    s.append(sv('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    const t = sv('text', { class: 'axis y', x: L - 4, y: y(v) + 4 });
    t.textContent = def.dots ? ['N', 'E', 'S', 'W', 'N'][Math.round(v / 90)] : +v.toFixed(4);
    s.append(t);
  }
  for (const [tt, label] of timeTicks(t0, t1, W - L - R)) {
    s.append(sv('line', { class: 'grid', x1: x(tt), x2: x(tt), y1: T, y2: H - B }));
    const t = sv('text', { class: 'axis x', x: x(tt), y: H - 5 });
    t.textContent = label;
    s.append(t);
  }
  if (band.length) {
    const up = band.map((b) => x(b[0]).toFixed(1) + ',' + y(b[2]).toFixed(1));
    const down = band.slice().reverse().map((b) => x(b[0]).toFixed(1) + ',' + y(b[1]).toFixed(1));
    s.append(sv('path', { class: 'band', d: 'M' + up.concat(down).join('L') + 'Z' }));
  }
  for (const sr of series) {
    if (def.bars) {
      const bw = Math.max(1, (x(t0 + step) - x(t0)) - 1);
      const p = sr.pts.filter((q) => q[1] > 0).map((q) => 'M' + (x(q[0]) - bw).toFixed(1) + ',' + y(q[1]).toFixed(1) +
        'h' + bw.toFixed(1) + 'V' + y(0).toFixed(1) + 'h' + (-bw).toFixed(1) + 'Z');
      s.append(sv('path', { class: 'bars', d: p.join('') || 'M0,0', 'data-points': sr.pts.length }));
    } else if (def.dots) {
      const p = sr.pts.map((q) => 'M' + x(q[0]).toFixed(1) + ',' + y(q[1]).toFixed(1) + 'm-1.5,0a1.5,1.5 0 1,0 3,0a1.5,1.5 0 1,0 -3,0');
      s.append(sv('path', { class: 'dots', d: p.join(''), 'data-points': sr.pts.length }));
    } else {
      let d = '', prev = null;
      for (const q of sr.pts) {
        d += (prev === null || q[0] - prev > 2.5 * step ? 'M' : 'L') + x(q[0]).toFixed(1) + ',' + y(q[1]).toFixed(1);
        prev = q[0];
      }
      s.append(sv('path', { class: 'line ' + sr.cls, d: d || 'M0,0', 'data-points': sr.pts.length }));
    }
  }
  return box;
}

function renderCharts() {
  const c = state.series;
  if (!c) return;
  const now = Math.floor(Date.now() / 1000), t0 = now - RANGES[c.range].days * 86400;
  $('charts').replaceChildren(...CHARTS.map((def) =>
    def.bars ? drawChart(def, c.rain, t0, now, c.rainStep) : drawChart(def, c.rows, t0, now, c.step)));
}

async function loadCharts() {
  const r = RANGES[state.range], range = state.range;
  try {
    const [rows, rain] = await Promise.all([get(rangeQuery(r.days, r.step)),
      r.rain === r.step ? null : get(rangeQuery(r.days, r.rain))]);
    if (range !== state.range) return;
    state.series = { range, rows, rain: rain || rows, step: r.step, rainStep: r.rain };
    renderCharts();
  } catch (e) { $('charts').replaceChildren(el('p', { class: 'muted' }, 'Charts: ' + e.message)); }
}

// ---- a month's days ------------------------------------------------------------------
function renderDays() {
  const rows = state.days, table = $('days');
  if (!rows) return;
  const head = ['Day', 'Low', 'High', 'Mean', 'Humidity', 'Pressure', 'Rain', 'Highest gust', 'Wind'];
  const unitsRow = ['', unitOf('temperature_c'), unitOf('temperature_c'), unitOf('temperature_c'), '%',
    unitOf('sea_level_pressure_hpa'), unitOf('rain_mm'), unitOf('wind_gust_kmh'), unitOf('wind_speed_kmh')];
  table.tHead.replaceChildren(el('tr', {}, ...head.map((h, i) => el('th', {}, h, unitsRow[i] ? el('br') : null, unitsRow[i] ? el('span', { class: 'muted' }, unitsRow[i]) : null))));
  const body = rows.map((r) => {
    const day = new Date((r.ts - 43200) * 1000);
    return el('tr', {}, el('td', {}, day.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })),
      el('td', {}, fmt('temperature_c', r.temperature_c_min)), el('td', {}, fmt('temperature_c', r.temperature_c_max)),
      el('td', {}, fmt('temperature_c', r.temperature_c)), el('td', {}, fmt('humidity_pct', r.humidity_pct)),
      el('td', {}, fmt('sea_level_pressure_hpa', r.sea_level_pressure_hpa)), el('td', {}, fmt('rain_mm', r.rain_mm)),
      el('td', {}, fmt('wind_gust_kmh', r.wind_gust_kmh)), el('td', {}, fmt('wind_speed_kmh', r.wind_speed_kmh)));
  });
  if (!rows.length) body.push(el('tr', {}, el('td', { colspan: 9 }, 'No records in this month.')));
  table.tBodies[0].replaceChildren(...body);
  let foot = table.tFoot;
  if (!foot) foot = table.createTFoot();
  const vals = (k) => rows.map((r) => r[k]).filter((v) => v !== null && v !== undefined);
  const min = (k) => vals(k).length ? Math.min(...vals(k)) : null, max = (k) => vals(k).length ? Math.max(...vals(k)) : null;
  const mean = (k) => vals(k).length ? vals(k).reduce((a, b) => a + b, 0) / vals(k).length : null;
  const sum = (k) => vals(k).length ? vals(k).reduce((a, b) => a + b, 0) : null;
  foot.replaceChildren(rows.length ? el('tr', {}, el('td', {}, 'Month'),
    el('td', {}, fmt('temperature_c', min('temperature_c_min'))), el('td', {}, fmt('temperature_c', max('temperature_c_max'))),
    el('td', {}, fmt('temperature_c', mean('temperature_c'))), el('td', {}, fmt('humidity_pct', mean('humidity_pct'))),
    el('td', {}, fmt('sea_level_pressure_hpa', mean('sea_level_pressure_hpa'))), el('td', {}, fmt('rain_mm', sum('rain_mm'))),
    el('td', {}, fmt('wind_gust_kmh', max('wind_gust_kmh'))), el('td', {}, fmt('wind_speed_kmh', mean('wind_speed_kmh')))) : '');
}

async function loadDays() {
  const m = $('month').value;	// YYYY-MM
  if (!/^\d{4}-\d\d$/.test(m)) return;
  const [y, mo] = m.split('-').map(Number);
  const next = mo === 12 ? (y + 1) + '-01-01' : y + '-' + String(mo + 1).padStart(2, '0') + '-01';
  try {
    state.days = await get('api/history?since=' + m + '-01&until=' + next + '&step=86400');
    renderDays();
  } catch (e) { $('days').tBodies[0].replaceChildren(el('tr', {}, el('td', {}, e.message))); }
}

// ---- health ----------------------------------------------------------------------------
function healthCard(title, items) {
  return el('div', { class: 'card' }, el('div', { class: 'label' }, title),
    el('ul', {}, ...items.map(([cls, text]) => el('li', {}, el('span', { class: 'dot ' + cls }), text))));
}
function renderHealth() {
  const s = state.status, box = $('health');
  if (!s) return;
  const now = s.ts || Date.now() / 1000;
  const sensors = Object.entries(s.sensors || {}).map(([name, h]) =>
    [h.status === 'ok' ? 'ok' : h.status === 'error' ? 'error' : 'warn',
      name + ': ' + h.status + (h.error ? ' — ' + h.error : '') + (h.status === 'error' && h.since ? ' (since ' + ago(now - h.since) + ')' : '')]);
  const st = s.storage || {};
  const storage = [[st.status === 'ok' ? 'ok' : 'error', 'archive: ' + (st.status || '?') + (st.error ? ' — ' + st.error : '')],
    [st.pending_records ? 'warn' : 'ok', (s.records_written || 0) + ' records written' + (st.pending_records ? ', ' + st.pending_records + ' waiting' : '') + (st.lost_records ? ', ' + st.lost_records + ' lost' : '')],
    ['ok', 'last record ' + (s.last_record_ts ? ago(now - s.last_record_ts) : 'none yet')]];
  const clock = [[s.clock_synchronized ? 'ok' : 'error', s.clock_synchronized ? 'clock synchronised' : 'clock not synchronised: records wait'],
    ['ok', 'wxd ' + (s.version || '') + (s.simulated ? ' (simulated sensors)' : '') + ', up ' + ago(s.uptime_s || 0).replace(' ago', '')]];
  const ups = Object.entries(s.uploads || {}).map(([name, u]) => {
    const failing = u.last_error_at && u.last_error_at > (u.last_success || 0);
    return [failing ? 'error' : 'ok', name + ': backlog ' + u.backlog + (u.last_success ? ', last sent ' + ago(now - u.last_success) : ', nothing sent yet') + (failing ? ' — ' + u.last_error : '')];
  });
  box.replaceChildren(healthCard('Sensors', sensors.length ? sensors : [['warn', 'none configured']]),
    healthCard('Archive', storage), healthCard('Clock and daemon', clock),
    healthCard('Uploads', ups.length ? ups : [['ok', 'none configured']]));
}
async function loadStatus() {
  try {
    state.status = await get('api/status');
    renderHealth();
  } catch (e) { $('health').replaceChildren(el('p', { class: 'muted' }, e.message)); }
}

// ---- CSV, units, start ------------------------------------------------------------------
function updateCsv() {
  const a = $('csv-since').value, b = $('csv-until').value;
  if (!a || !b) return;
  const end = new Date(b + 'T12:00:00'); end.setDate(end.getDate() + 1);
  $('csv-link').href = 'api/history.csv?since=' + a + '&until=' + isoDate(end);
  $('csv-link').setAttribute('download', 'wx-' + a + '-to-' + b + '.csv');
}

function renderAll() {
  $('units').textContent = state.units === 'us' ? 'US units' : 'metric';
  renderNow(); renderToday(); renderCharts(); renderDays();
}

async function start() {
  try {
    const st = await get('api/station');
    document.title = st.station + ' · weather';
    $('station').textContent = st.station;
    state.units = st.units === 'us' ? 'us' : 'metric';
  } catch (e) { /* the defaults will do */ }
  const saved = window.localStorage ? localStorage.getItem('wx-units') : null;
  if (saved === 'us' || saved === 'metric') state.units = saved;
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('units') === 'us' || hash.get('units') === 'metric') state.units = hash.get('units');
  if (RANGES[hash.get('range')]) state.range = hash.get('range');
  $('units').addEventListener('click', () => {
    state.units = state.units === 'us' ? 'metric' : 'us';
    try { localStorage.setItem('wx-units', state.units); } catch (e) { /* private mode */ }
    renderAll();
  });
  for (const b of document.querySelectorAll('#ranges button')) {
    b.setAttribute('aria-selected', String(b.dataset.range === state.range));
    b.addEventListener('click', () => {
      state.range = b.dataset.range;
      for (const o of document.querySelectorAll('#ranges button')) o.setAttribute('aria-selected', String(o === b));
      loadCharts();
    });
  }
  const today = new Date();
  $('month').value = isoDate(today).slice(0, 7);
  $('month').addEventListener('change', loadDays);
  $('csv-since').value = isoDate(daysAgo(7));
  $('csv-until').value = isoDate(today);
  $('csv-since').addEventListener('change', updateCsv);
  $('csv-until').addEventListener('change', updateCsv);
  updateCsv();
  renderAll();
  let resize = null;
  window.addEventListener('resize', () => { clearTimeout(resize); resize = setTimeout(renderCharts, 200); });
  await Promise.all([loadNow(), loadToday(), loadCharts(), loadDays(), loadStatus()]);
  document.documentElement.dataset.ready = '1';
  setInterval(loadNow, 5000);
  setInterval(loadStatus, 30000);
  setInterval(loadToday, 60000);
  setInterval(() => { if (state.range === '24h' || Date.now() % 600000 < 60000) loadCharts(); }, 60000);
  setInterval(loadDays, 600000);
}
document.addEventListener('DOMContentLoaded', start);
