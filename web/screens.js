// Stock, Products, Reports and Store: each screen reads the node's API and
// sends its commands through the approval dialog (a role that needs a
// manager's PIN asks for it) with one Idempotency-Key per action.
import { el, fill, money, parseMoney, parsePercent, percent, randomKey, table, today, relative, absolute, shopDate, shopTime } from './util.js';
import { get, call, command } from './api.js';
import { withApproval } from './approval.js';
import { notice, watch, statusState } from './status.js';

/** A form row: label + input. */
const field = (label, input) => el('label.field', {}, el('span', {}, label), input);

/** Runs a command with approval and reports the outcome in `out`. */
async function run(out, method, path, body, ok) {
  try {
    const r = await withApproval((headers) => command(method, path, body, randomKey('c-'), { headers, attemptsMax: 4 }));
    fill(out, el('p.ok', {}, ok(r)));
    return r;
  } catch (e) {
    fill(out, el('p.error', {}, e.message));
    return null;
  }
}

async function safe(out, fn) {
  try { await fn(); } catch (e) { fill(out, el('p.error', {}, e.message)); }
}

// ---- Stock -------------------------------------------------------------------

export async function showStock(root) {
  const list = el('div#stock-list');
  const low = el('input#stock-low', { type: 'checkbox' });
  const out = el('div.result', { 'aria-live': 'polite' });
  const load = () => safe(list, async () => {
    const r = await get(`/v1/inventory${low.checked ? '?low=1' : ''}`);
    fill(list, el('p.muted', {}, `${r.count} item(s), ${r.oversold_count} oversold`), table([
      { title: 'SKU', get: (i) => i.sku },
      { title: 'Name', get: (i) => i.name },
      { title: 'On hand', get: (i) => el('span', { class: i.oversold ? 'error' : i.low_stock ? 'warn' : '' }, i.on_hand), cls: 'num' },
      { title: 'Low at', get: (i) => i.low_stock_threshold, cls: 'num' },
      { title: 'Received', get: (i) => i.received_qty, cls: 'num' },
      { title: 'Sold', get: (i) => i.sold_qty, cls: 'num' },
      { title: 'Last count', get: (i) => (i.last_count ? `${i.last_count.counted_qty} (${i.last_count.device})` : '') },
    ], r.items, 'No stock yet.'));
  });
  low.addEventListener('change', load);
  const sku = () => el('input', { autocomplete: 'off', required: true });
  const r = { sku: sku(), qty: el('input', { type: 'number', min: '1' }), ref: el('input') };
  const a = { sku: sku(), delta: el('input', { type: 'number' }), note: el('input'),
    reason: el('select', {}, ['damage', 'theft', 'count_correction', 'other'].map((x) => el('option', { value: x }, x))) };
  const c = { sku: sku(), qty: el('input', { type: 'number', min: '0' }) };
  const act = (fn) => async (e) => { e.preventDefault(); await fn(); load(); };
  fill(root, el('section', {},
    el('h2', {}, 'Stock'),
    el('div.forms', {},
      el('form.card', { onsubmit: act(() => run(out, 'POST', '/v1/stock/receipts', { sku: r.sku.value.trim(), qty: Number(r.qty.value), supplier_ref: r.ref.value }, (x) => `Received ${x.qty} ${x.sku}: on hand ${x.on_hand}.`)) },
        el('h3', {}, 'Goods received'), field('SKU', r.sku), field('Qty', r.qty), field('Supplier ref', r.ref), el('button', { type: 'submit' }, 'Receive')),
      el('form.card', { onsubmit: act(() => run(out, 'POST', '/v1/stock/adjustments', { sku: a.sku.value.trim(), delta: Number(a.delta.value), reason: a.reason.value, note: a.note.value }, (x) => `Adjusted ${x.sku} by ${x.delta}: on hand ${x.on_hand}.`)) },
        el('h3', {}, 'Adjustment'), field('SKU', a.sku), field('Delta', a.delta), field('Reason', a.reason), field('Note', a.note), el('button', { type: 'submit' }, 'Adjust')),
      el('form.card', { onsubmit: act(() => run(out, 'POST', '/v1/stock/counts', { sku: c.sku.value.trim(), counted_qty: Number(c.qty.value) }, (x) => `Counted ${x.counted_qty} ${x.sku} (expected ${x.expected_qty}).`)) },
        el('h3', {}, 'Count'), field('SKU', c.sku), field('Counted', c.qty), el('button', { type: 'submit' }, 'Record count'))),
    out,
    el('label.inline', {}, low, ' Low stock only'),
    list));
  await load();
}

// ---- Products ----------------------------------------------------------------

export async function showProducts(root) {
  const list = el('div#product-list');
  const out = el('div.result', { 'aria-live': 'polite' });
  const f = {
    sku: el('input#p-sku', { autocomplete: 'off' }), name: el('input#p-name'), barcode: el('input#p-barcode'),
    price: el('input#p-price', { inputmode: 'decimal' }), tax: el('input#p-tax', { inputmode: 'decimal', value: '0' }),
    low: el('input#p-low', { type: 'number', min: '0', value: '0' }),
  };
  const edit = (p) => {
    f.sku.value = p.sku; f.name.value = p.name; f.barcode.value = p.barcode || '';
    f.price.value = money(p.price_cents); f.tax.value = percent(p.tax_rate_bp); f.low.value = p.low_stock_threshold;
    f.name.focus();
  };
  const load = () => safe(list, async () => {
    const r = await get('/v1/products');
    fill(list, table([
      { title: 'SKU', get: (p) => p.sku },
      { title: 'Name', get: (p) => p.name },
      { title: 'Barcode', get: (p) => p.barcode },
      { title: 'Price', get: (p) => money(p.price_cents), cls: 'num' },
      { title: 'Tax %', get: (p) => percent(p.tax_rate_bp), cls: 'num' },
      { title: 'Active', get: (p) => (p.active ? 'yes' : 'no') },
      { title: '', get: (p) => el('span.actions', {},
        el('button.small.secondary', { type: 'button', onclick: () => edit(p) }, 'Edit'),
        el('button.small.secondary', { type: 'button', onclick: async () => {
          const v = parseMoney(prompt(`New price of ${p.sku}`, money(p.price_cents)) ?? '');
          if (v === null) return;
          await run(out, 'POST', `/v1/products/${encodeURIComponent(p.sku)}/price`, { price_cents: v }, (x) => `${x.sku} now ${money(x.price_cents)} (was ${money(x.previous_price_cents)}).`);
          load();
        } }, 'Price'),
        p.active ? el('button.small.danger', { type: 'button', onclick: async () => {
          await run(out, 'POST', `/v1/products/${encodeURIComponent(p.sku)}/deactivate`, {}, (x) => `${x.sku} deactivated.`);
          load();
        } }, 'Deactivate') : null) },
    ], r.products, 'No products yet.'));
  });
  const save = async (e) => {
    e.preventDefault();
    const price = parseMoney(f.price.value);
    if (price === null) { fill(out, el('p.error', {}, 'Price: an amount such as 4.50.')); return; }
    const tax = parsePercent(f.tax.value);
    if (tax === null) { fill(out, el('p.error', {}, 'Tax: a rate from 0 to 100 %, such as 20 or 7.5.')); return; }
    await run(out, 'POST', '/v1/products', {
      sku: f.sku.value.trim(), name: f.name.value.trim(), barcode: f.barcode.value.trim(), price_cents: price,
      tax_rate_bp: tax, low_stock_threshold: Number(f.low.value), active: true,
    }, (x) => `Saved ${x.sku}.`);
    load();
  };
  fill(root, el('section', {},
    el('h2', {}, 'Products'),
    el('form.card.wide', { onsubmit: save },
      el('h3', {}, 'Create or replace'),
      field('SKU', f.sku), field('Name', f.name), field('Barcode', f.barcode), field('Price', f.price),
      field('Tax % (included in the price)', f.tax), field('Low stock at', f.low),
      el('button#p-save', { type: 'submit' }, 'Save')),
    out, list));
  await load();
}

// ---- Reports -----------------------------------------------------------------

function figures(r) {
  return el('div.figures', {},
    ['gross_cents', 'discounts_cents', 'tax_cents', 'returns_cents', 'net_cents'].map((k) =>
      el('div', {}, el('span', {}, k.replace('_cents', '')), el('b', {}, money(r[k])))),
    el('div', {}, el('span', {}, 'transactions'), el('b', {}, r.transactions ?? 0)),
    el('div', {}, el('span', {}, 'returns'), el('b', {}, r.returns ?? 0)),
    el('div', {}, el('span', {}, 'voids'), el('b', {}, r.voids ?? 0)));
}

/**
 * Why the day's figures may be incomplete, or '' when they are not: the
 * daily projection paused, or catching up with the log (after an update
 * that changes how reports are kept, or a time zone change, the node
 * rebuilds them in the background while it keeps selling).
 */
async function partialReason() {
  let p;
  try { p = (await get('/v1/projections')).projections?.daily; } catch { return ''; }
  if (!p) return '';
  if (p.paused) return 'These figures are incomplete: the daily report is paused on this device (storectl projections resume daily).';
  if (p.catching_up) {
    return `These figures are incomplete: this device is rebuilding its reports from its log (${p.lag} event(s) to go), `
      + 'as it does once after an update; Show again in a moment.';
  }
  return '';
}

/** staff id -> name, for the report's per-staff table (empty when the list cannot be read). */
async function staffNames() {
  const names = new Map();
  try {
    for (let cursor = null, pages = 0; pages < 20; ++pages) {
      const q = new URLSearchParams({ limit: '1000' });
      if (cursor) q.set('cursor', cursor);
      const r = await get(`/v1/staff?${q}`);
      for (const x of r.staff || []) names.set(x.staff_id, x.name);
      cursor = r.next_cursor;
      if (!cursor) break;
    }
  } catch { /* ids alone */ }
  return names;
}

export async function showReports(root) {
  const day = el('input#r-day', { type: 'date', value: today() });
  const device = el('input#r-device', { placeholder: 'all devices' });
  const out = el('div#report');
  const partial = el('div#r-partial', { role: 'status' });
  const msg = el('div.result', { 'aria-live': 'polite' });
  const staffNamed = staffNames();  // once per visit of the screen, not per Show
  const load = () => safe(out, async () => {
    const q = new URLSearchParams();
    if (day.value) q.set('day', day.value);
    if (device.value.trim()) q.set('device', device.value.trim());
    const [r, why, names] = await Promise.all([get(`/v1/reports/daily?${q}`), partialReason(), staffNamed]);
    fill(partial, why ? el('p.warn', {}, why) : null);
    const byMethod = Object.entries(r.by_method || {}).map(([m, v]) => ({ m, v }));
    const devices = Object.entries(r.devices || {}).map(([d, v]) => ({ d, ...v }));
    const staff = Object.entries(r.by_staff || {}).map(([s, v]) => ({ s, ...(typeof v === 'object' ? v : { net_cents: v }) }));
    fill(out,
      el('h3', {}, `Day ${r.day || day.value}${r.device ? ` · ${r.device}` : ''}`),
      figures(r),
      el('h3', {}, 'By payment method'),
      table([{ title: 'Method', get: (x) => x.m }, { title: 'Net', get: (x) => money(x.v), cls: 'num' }], byMethod),
      el('h3', {}, 'By device'),
      table([
        { title: 'Device', get: (x) => x.d },
        { title: 'Net', get: (x) => money(x.net_cents), cls: 'num' },
        { title: 'Transactions', get: (x) => x.transactions, cls: 'num' },
        { title: 'Closed', get: (x) => (x.closed ? `yes (${shopTime(x.closed.time)})` : 'no') },
      ], devices),
      el('h3', {}, 'By staff'),
      table([
        { title: 'Staff', get: (x) => (names.has(x.s) ? `${names.get(x.s)} (${x.s})` : x.s) },
        { title: 'Net', get: (x) => money(x.net_cents), cls: 'num' },
        { title: 'Transactions', get: (x) => x.transactions ?? '', cls: 'num' },
      ], staff, 'No per-staff figures for this day.'));
  });
  const close = () => run(msg, 'POST', '/v1/days/close', day.value ? { day: day.value } : {},
    (x) => `Day ${x.day} closed on ${x.device}: net ${money(x.net_cents)}, ${x.transactions} transaction(s).`).then(load);
  fill(root, el('section', {},
    el('h2', {}, 'Reports'),
    el('div.row', {}, field('Day', day), field('Device', device),
      el('button#r-load', { type: 'button', onclick: load }, 'Show'),
      el('button#r-close.secondary', { type: 'button', onclick: close }, 'Close the day (Z)')),
    msg, partial, out));
  await load();
}

// ---- Store -------------------------------------------------------------------

export async function showStore(root) {
  const devices = el('div#devices');
  const elections = el('div#elections');
  const audit = el('div#audit');
  const out = el('div.result', { 'aria-live': 'polite' });
  const af = { device: el('input#a-device', { placeholder: 'device' }), op: el('input#a-op', { placeholder: 'operation' }),
    status: el('select#a-status', { 'aria-label': 'Status' }, el('option', { value: '' }, 'any status'),
      el('option', { value: 'resolved' }, 'resolved'), el('option', { value: 'ok' }, 'ok'), el('option', { value: 'failed' }, 'failed')),
    since: el('input#a-since', { placeholder: 'since (RFC 3339 or -2h)' }), until: el('input#a-until', { placeholder: 'until (RFC 3339 or -1h)' }) };
  const ef = { device: el('input#e-device', { placeholder: 'device' }), reason: el('input#e-reason', { placeholder: 'reason' }) };
  const loadDevices = () => safe(devices, async () => {
    const [d, s] = await Promise.all([get('/v1/devices'), get('/v1/status')]);
    const peers = new Map((s.peers || []).map((p) => [p.device_id, p]));
    const rows = d.devices.map((x) => {
      const p = peers.get(x.device_id);
      const self = x.device_id === s.device_id;
      return { ...x, alive: self ? true : x.online ?? (p ? p.alive : false),
        seen: self ? 'this device' : p && p.last_seen_ms_ago != null ? relative(Date.now() - p.last_seen_ms_ago) : (x.last_seen ? x.last_seen : 'never'),
        vv: JSON.stringify(self ? s.version_vector : p ? p.version_vector : {}),
        pending: self ? s.pending_changes : '' , live_role: self ? s.role : p ? p.role : x.role };
    });
    const priority = (x) => {
      const i = el('input.qty', { type: 'number', min: '0', max: '1000000', value: x.priority, 'aria-label': `Priority of ${x.device_id}` });
      return el('span', {}, i, el('button.small.secondary', { type: 'button', onclick: async () => {
        await run(out, 'PUT', `/v1/devices/${encodeURIComponent(x.device_id)}`, { priority: Number(i.value) }, (y) => `${y.device_id} priority ${y.priority}.`);
        loadDevices();
      } }, 'Set'));
    };
    fill(devices, table([
      { title: 'Device', get: (x) => x.device_id },
      { title: 'Name', get: (x) => x.name },
      { title: 'Role', get: (x) => x.live_role || x.role },
      { title: 'Priority', get: priority },
      { title: 'Alive', get: (x) => el('span', { class: x.alive ? 'ok' : 'error' }, x.alive ? 'yes' : 'no') },
      { title: 'Last seen', get: (x) => x.seen },
      { title: 'Pending', get: (x) => x.pending, cls: 'num' },
      { title: 'Version vector', get: (x) => el('code', {}, x.vv) },
      { title: 'Created', get: (x) => (x.created_at ? el('span', { title: x.created_at }, shopDate(x.created_at)) : '—') },
      { title: 'Updated', get: (x) => (x.updated_at ? el('span', { title: x.updated_at }, relative(Date.parse(x.updated_at))) : '—') },
      { title: '', get: (x) => (x.live_role === 'master' ? '' : el('button.small', { type: 'button', onclick: async () => {
        await run(out, 'POST', '/v1/master', { device_id: x.device_id }, (y) => `Hand-off to ${y.device_id} requested.`);
      } }, 'Make master')) },
    ], rows));
  });
  const loadElections = () => safe(elections, async () => {
    const q = new URLSearchParams({ limit: '50' });
    if (ef.device.value.trim()) q.set('device', ef.device.value.trim());
    if (ef.reason.value.trim()) q.set('reason', ef.reason.value.trim());
    const r = await get(`/v1/elections?${q}`);
    fill(elections, table([
      { title: 'Time', get: (x) => el('span', { title: x.time }, shopTime(x.time)) },
      { title: 'Term', get: (x) => x.term, cls: 'num' },
      { title: 'From', get: (x) => x.previous_master || '—' },
      { title: 'To', get: (x) => x.new_master },
      { title: 'Reason', get: (x) => x.reason },
      { title: 'Recorded by', get: (x) => x.recorded_by },
    ], r.elections));
  });
  const loadAudit = () => safe(audit, async () => {
    const q = new URLSearchParams({ limit: '100' });
    for (const [k, i] of Object.entries(af)) if (i.value.trim()) q.set(k, i.value.trim());
    const r = await get(`/v1/audit?${q}`);
    fill(audit, table([
      { title: 'Time', get: (x) => el('span', { title: x.time }, shopTime(x.time)) },
      { title: 'Operation', get: (x) => x.operation },
      { title: 'Status', get: (x) => el('span', { class: x.status === 'failed' ? 'error' : 'ok' }, x.status || '') },
      { title: 'Device', get: (x) => x.device },
      { title: 'Peer / key', get: (x) => x.peer || `${x.register || ''} ${x.key || ''}` },
      { title: 'Detail', get: (x) => (x.count != null ? `${x.count} event(s) ${x.result || ''} ${x.error || ''}` : `${x.winner} over ${x.loser}`) },
      { title: 'Staff', get: (x) => (x.staff_id ? `${x.staff_id}${x.approver_id ? ` (approved by ${x.approver_id})` : ''}${x.loser_staff_id ? ` over ${x.loser_staff_id}` : ''}` : '—') },
    ], r.entries));
  });
  fill(root, el('section', {},
    el('h2', {}, 'Store'),
    el('h3', {}, 'Devices'), out, devices,
    el('h3', {}, 'Elections'),
    el('div.row', {}, ef.device, ef.reason, el('button.small', { type: 'button', onclick: loadElections }, 'Filter')), elections,
    el('h3', {}, 'Audit log'),
    el('div.row', {}, af.device, af.op, af.status, af.since, af.until, el('button#a-filter.small', { type: 'button', onclick: loadAudit }, 'Filter')), audit));
  let lastRole = statusState().role;
  watch((s) => { if (s.role !== lastRole && root.isConnected) { lastRole = s.role; loadDevices(); loadElections(); } });
  await Promise.all([loadDevices(), loadElections(), loadAudit()]);
}

export { call };
