// Small helpers shared by the console's modules: DOM building, money, time.

/** el('div.cls#id', {attrs}, ...children): a DOM element. Text children are text nodes (never HTML). */
export function el(spec, attrs = {}, ...children) {
  const m = spec.match(/^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i);
  const node = document.createElement((m && m[1]) || 'div');
  for (const part of ((m && m[2]) || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') node.classList.add(part.slice(1));
    else node.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'value') node.value = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** 1234 -> "12.34" (cents to a decimal string; negative kept). */
export function money(cents) {
  const c = Number(cents || 0);
  const sign = c < 0 ? '-' : '';
  const a = Math.abs(c);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

/** "12.5" or "12,50" -> 1250; null when not a non-negative amount. */
export function parseMoney(text) {
  const t = String(text).trim().replace(',', '.');
  if (!/^\d{1,10}(\.\d{0,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2));
}

/** A tax rate in basis points as a percent: 2000 -> "20", 750 -> "7.5". */
export function percent(bp) {
  return String(Number(bp || 0) / 100);
}

/** "20", "7.5", "7,5 %" -> basis points (2000, 750); null unless 0-100 with at most 2 decimals. */
export function parsePercent(text) {
  const m = /^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$/.exec(String(text));
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
  return bp <= 10000 ? bp : null;
}

/** "3 s ago", "5 min ago", "2 h ago", "never". */
export function relative(ms, now = Date.now()) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

// The store's IANA zone (store.time_zone, from /v1/status): the zone of its
// business days, in which every time and "today" is shown. Undefined until
// the status is read, or when this browser does not know the zone: then the
// browser's own (a till's clock is set to the shop's zone anyway).
let shopZone;

/** Sets the zone shopTime, absolute and today use (null: the browser's). */
export function setShopZone(zone) {
  try {
    if (zone) new Intl.DateTimeFormat(undefined, { timeZone: zone });
    shopZone = zone || undefined;
  } catch {
    shopZone = undefined;
  }
}

/** An RFC 3339 time from the API through `format` ('' for none; the text as it is when unreadable). */
function fromApiTime(t, format) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : format(d);
}

/** An RFC 3339 time from the API as the shop's local date and time. */
export function shopTime(t) {
  return fromApiTime(t, (d) => d.toLocaleString(undefined, { timeZone: shopZone, dateStyle: 'short', timeStyle: 'medium' }));
}

/** The date of an RFC 3339 time from the API in the shop's zone. */
export function shopDate(t) {
  return fromApiTime(t, (d) => d.toLocaleDateString(undefined, { timeZone: shopZone, dateStyle: 'short' }));
}

/** Absolute local time with the zone, for tooltips. */
export function absolute(ms) {
  if (!ms) return 'never';
  return new Date(ms).toLocaleString(undefined, { timeZone: shopZone, timeZoneName: 'short' });
}

/** A random key (128 bits, hex), e.g. for an Idempotency-Key. */
export function randomKey(prefix = '') {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return prefix + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Today's date as YYYY-MM-DD in the shop's zone (its business day). */
export function today() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: shopZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date());
  const part = (type) => parts.find((x) => x.type === type).value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** A table from rows: columns [{title, get(row) -> text|Node, cls}]. */
export function table(columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return el('p.empty', {}, empty);
  return el('table', {},
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { class: c.cls }, c.title)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, columns.map((c) => el('td', { class: c.cls }, c.get(r)))))));
}
