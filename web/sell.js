// Sell: a scanner-friendly code field that keeps the focus, product search,
// lines with qty and discount, total with tax, payments, change and the
// receipt. The sale in progress lives in sessionStorage until the node has
// acknowledged it, with the one Idempotency-Key made when it began, so a
// reload, a node restart or a timed-out retry can never sell twice.
// Returns and voids by receipt are here too.
import { el, fill, money, parseMoney, randomKey, shopTime, table } from './util.js';
import { get, call, command, currentSession, ApiError } from './api.js';
import { withApproval } from './approval.js';
import { notice } from './status.js';

const SALE = 'sn.sale';
let catalog = new Map();  // sku -> product
let byBarcode = new Map();
let catalogAt = 0;
let sale = null;
let view = null;          // the Sell screen's root
let busy = false;

function newSale() {
  return { key: randomKey('sale-'), lines: [], payments: [], submitted: false };
}

function save() {
  if (sale && (sale.lines.length || sale.submitted)) sessionStorage.setItem(SALE, JSON.stringify(sale));
  else sessionStorage.removeItem(SALE);
}

function loadSale() {
  try { sale = JSON.parse(sessionStorage.getItem(SALE) || 'null'); } catch { sale = null; }
  if (!sale || !sale.key) sale = newSale();
}

/** Line amount and its tax part (docs/api.md, POST /v1/sales). */
function lineFigures(l) {
  const amount = l.qty * l.unit_price_cents - (l.discount_cents || 0);
  const tax = Math.round((amount * l.tax_rate_bp) / (10000 + l.tax_rate_bp));
  return { amount, tax };
}

function totals() {
  let total = 0, tax = 0, discount = 0;
  for (const l of sale.lines) {
    const f = lineFigures(l);
    total += f.amount;
    tax += f.tax;
    discount += l.discount_cents || 0;
  }
  const paid = sale.payments.reduce((s, p) => s + p.amount_cents, 0);
  return { total, tax, discount, paid, due: Math.max(0, total - paid), change: Math.max(0, paid - total) };
}

export async function loadCatalog(force = false) {
  if (!force && Date.now() - catalogAt < 60000 && catalog.size) return;
  const next = new Map();
  let cursor = null;
  do {
    const page = await get(`/v1/products?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const p of page.products) next.set(p.sku, p);
    cursor = page.next_cursor;
  } while (cursor);
  catalog = next;
  byBarcode = new Map([...next.values()].filter((p) => p.barcode).map((p) => [p.barcode, p]));
  catalogAt = Date.now();
}

async function findProduct(code) {
  let p = catalog.get(code) || byBarcode.get(code);
  if (p) return p;
  try {  // a product added since the catalog was read
    p = await get(`/v1/products/${encodeURIComponent(code)}`);
    catalog.set(p.sku, p);
    return p;
  } catch (e) {
    if (e.code !== 'unknown_sku') throw e;
  }
  return null;
}

function addLine(p, qty) {
  if (!p.active) { notice(`${p.name} is not for sale (deactivated).`, 'error'); return; }
  const same = sale.lines.find((l) => l.sku === p.sku && !l.discount_cents);
  if (same) same.qty += qty;
  else sale.lines.push({ sku: p.sku, name: p.name, qty, unit_price_cents: p.price_cents, tax_rate_bp: p.tax_rate_bp, discount_cents: 0 });
  save();
}

async function onScan(e) {
  const input = e.target;
  if (e.key === 'Escape') { input.value = ''; fill(view.querySelector('#search-results')); return; }
  if (e.key !== 'Enter') return;
  e.preventDefault();
  const text = input.value.trim();
  if (!text) {
    if (sale.lines.length) view.querySelector('#tender').focus();
    return;
  }
  const m = text.match(/^(\d{1,4})\*(.+)$/);  // "3*COFFEE": three of them
  const qty = m ? Number(m[1]) : 1;
  const code = m ? m[2].trim() : text;
  try {
    const p = await findProduct(code);
    if (p) {
      addLine(p, qty);
      input.value = '';
      fill(view.querySelector('#search-results'));
      render();
      return;
    }
    const found = search(code);
    if (found.length === 1) {
      addLine(found[0], qty);
      input.value = '';
      fill(view.querySelector('#search-results'));
      render();
    } else {
      showResults(found, qty);
    }
  } catch (err) {
    notice(`Lookup failed: ${err.message}`, 'error');
  }
}

function search(text) {
  const t = text.toLowerCase();
  return [...catalog.values()].filter((p) => p.active && (p.name.toLowerCase().includes(t) || p.sku.toLowerCase().includes(t))).slice(0, 20);
}

function showResults(found, qty) {
  const box = view.querySelector('#search-results');
  if (!found.length) { fill(box, el('p.empty', {}, 'No product matches.')); return; }
  fill(box, found.map((p) => el('button.result', {
    type: 'button',
    onclick: () => { addLine(p, qty); view.querySelector('#scan').value = ''; fill(box); render(); focusScan(); },
  }, `${p.name} · ${p.sku} · ${money(p.price_cents)}`)));
}

function focusScan() {
  const s = view && view.querySelector('#scan');
  if (s && !s.disabled) s.focus();
}

function lineRow(l, i) {
  const f = lineFigures(l);
  const qty = el('input.qty', { type: 'number', min: '1', max: '1000000', value: l.qty, 'aria-label': `Quantity of ${l.sku}` });
  qty.addEventListener('change', () => {
    const v = Number(qty.value);
    if (Number.isInteger(v) && v > 0) l.qty = v;
    save(); render();
  });
  const disc = el('input.disc', { inputmode: 'decimal', value: l.discount_cents ? money(l.discount_cents) : '', placeholder: '0.00', 'aria-label': `Discount on ${l.sku}` });
  disc.addEventListener('change', () => {
    const v = disc.value.trim() === '' ? 0 : parseMoney(disc.value);
    if (v === null || v > l.qty * l.unit_price_cents) notice('A discount is an amount up to the line total.', 'error');
    else l.discount_cents = v;
    save(); render();
  });
  return el('tr.line', { dataset: { sku: l.sku } },
    el('td', {}, l.name, el('div.sku', {}, l.sku)),
    el('td.num', {}, qty),
    el('td.num', {}, money(l.unit_price_cents)),
    el('td.num', {}, disc),
    el('td.num', {}, money(f.amount)),
    el('td', {}, el('button.small.secondary', { type: 'button', 'aria-label': `Remove ${l.sku}`, onclick: () => { sale.lines.splice(i, 1); save(); render(); focusScan(); } }, '✕')));
}

function render() {
  if (!view) return;
  const t = totals();
  const lines = view.querySelector('#lines');
  fill(lines, sale.lines.length
    ? el('table', {}, el('thead', {}, el('tr', {}, ['Item', 'Qty', 'Price', 'Discount', 'Amount', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, sale.lines.map(lineRow)))
    : el('p.empty', {}, 'Scan or type a code to start a sale.'));
  fill(view.querySelector('#totals'),
    el('div', {}, 'Total ', el('b#total', {}, money(t.total))),
    el('div', {}, 'of which tax ', el('span#tax', {}, money(t.tax))),
    t.discount ? el('div', {}, 'Discounts ', el('span', {}, money(t.discount))) : null,
    el('div', {}, 'Paid ', el('span#paid', {}, money(t.paid))),
    el('div', {}, t.paid >= t.total && t.total > 0 ? 'Change ' : 'Due ', el('b#due', {}, money(t.paid >= t.total ? t.change : t.due))));
  fill(view.querySelector('#payments'), sale.payments.map((p, i) => el('li', {},
    `${p.method}${p.last4 ? ` ${(p.brand || '').toUpperCase()} •••• ${p.last4}` : ''} ${money(p.amount_cents)} `,
    el('button.small.secondary', { type: 'button', onclick: () => { sale.payments.splice(i, 1); save(); render(); } }, '✕'))));
  const tender = view.querySelector('#tender');
  if (document.activeElement !== tender) tender.value = t.due ? money(t.due) : '';
  view.querySelector('#pay').disabled = busy || !sale.lines.length;
  view.querySelector('#scan').disabled = busy;
  const pending = view.querySelector('#sale-state');
  fill(pending, busy ? 'Sending the sale…' : sale.submitted ? 'Sent before the reload: finishing it…' : '');
}

/** What the card terminal printed (never the card number): brand, last 4, auth code. */
function cardFields() {
  const brand = view.querySelector('#card-brand').value;
  const last4 = view.querySelector('#card-last4').value.trim();
  const auth = view.querySelector('#card-auth').value.trim();
  if (last4 && !/^[0-9]{4}$/.test(last4)) { notice('Last 4 digits: exactly four digits (never the card number).', 'error'); return null; }
  return { ...(brand ? { brand } : {}), ...(last4 ? { last4 } : {}), ...(auth ? { auth_code: auth } : {}) };
}

function addPayment() {
  const tender = view.querySelector('#tender');
  const method = view.querySelector('#pay-method').value;
  const v = parseMoney(tender.value);
  if (v === null || v <= 0) return false;
  const card = method === 'card' ? cardFields() : {};
  if (card === null) return false;
  sale.payments.push({ method, amount_cents: v, ...card });
  for (const id of ['#card-last4', '#card-auth']) view.querySelector(id).value = '';
  tender.value = '';
  save();
  render();
  return true;
}

function onTender(e) {
  if (e.key === 'Escape') { e.preventDefault(); focusScan(); return; }
  if (e.key !== 'Enter') return;
  e.preventDefault();
  const t = totals();
  if (e.target.value.trim()) addPayment();
  if (totals().paid >= t.total) pay();
}

/** Sends the sale (again, with its key) until the node answers. */
async function pay() {
  if (busy || !sale.lines.length) return;
  performance.clearMarks('pay-click');
  performance.mark('pay-click');
  if (view.querySelector('#tender').value.trim()) addPayment();
  const t = totals();
  if (!sale.payments.length) {
    const method = view.querySelector('#pay-method').value;
    const card = method === 'card' ? cardFields() : {};
    if (card === null) return;
    sale.payments.push({ method, amount_cents: t.total, ...card });
  }
  if (totals().paid < t.total) { notice(`${money(t.total - totals().paid)} still due.`, 'error'); return; }
  sale.submitted = true;
  save();
  await submit();
}

async function submit() {
  busy = true;
  render();
  const body = {
    lines: sale.lines.map((l) => ({ sku: l.sku, qty: l.qty, ...(l.discount_cents ? { discount_cents: l.discount_cents } : {}) })),
    payments: sale.payments,
  };
  try {
    const r = await withApproval((headers) => command('POST', '/v1/sales', body, sale.key, {
      headers,
      onWait: (ms) => fill(view.querySelector('#sale-state'), `The node does not answer; trying again in ${Math.round(ms / 100) / 10} s (the sale is kept).`),
    }));
    sessionStorage.setItem('sn.lastReceipt', JSON.stringify(r));
    sale = newSale();
    save();
    busy = false;
    showReceipt(r);
  } catch (e) {
    busy = false;
    // Signed out meanwhile (a node restart ends sessions): the sale stays
    // submitted and is sent again, with its key, after the next sign-in.
    if (e.code === 'unauthenticated') { save(); return; }
    sale.submitted = false;
    save();
    render();
    notice(`Sale refused: ${e.message}`, 'error');
    focusScan();
  }
}

/** Who rang a sale, by name when it is the person signed in (a cashier cannot list staff). */
function servedBy(staffId) {
  const s = currentSession();
  return s && s.staff_id === staffId && s.name ? s.name : staffId;
}

/** The receipt, as the node answered it. */
export function receiptView(r) {
  return el('div.receipt-paper', {},
    el('h3', {}, 'Receipt ', el('span#receipt-no', {}, r.receipt)),
    el('div.muted#receipt-meta', { title: r.time || '' }, `${r.device || ''} · ${shopTime(r.time)}`),
    r.staff_id ? el('div.muted#receipt-staff', {}, `Served by ${servedBy(r.staff_id)}`) : null,
    el('table', {}, el('tbody', {}, (r.lines || []).map((l) => el('tr', {},
      el('td', {}, `${l.qty} × ${l.sku}`),
      el('td.num', {}, money(l.total_cents ?? l.qty * l.unit_price_cents - (l.discount_cents || 0))))))),
    el('div.sum', {}, 'Total ', el('b#receipt-total', {}, money(r.total_cents))),
    el('div.sum', {}, el('span', {}, 'of which tax'), el('span', {}, money(r.tax_cents))),
    r.discount_cents ? el('div.sum', {}, el('span', {}, 'Discounts'), el('span', {}, money(r.discount_cents))) : null,
    (r.payments || []).map((p) => el('div.sum', {}, el('span', {}, p.method), el('span', {}, money(p.amount_cents)))),
    (r.cards || []).filter((c) => c.brand || c.last4 || c.auth_code).map((c) => el('div.sum.card-line', {},
      el('span', {}, `${(c.brand || 'card').toUpperCase()}${c.last4 ? ` •••• ${c.last4}` : ''}`),
      el('span', {}, `${c.auth_code ? `auth ${c.auth_code}` : ''}${c.processor_ref ? ` ref ${c.processor_ref}` : ''}`))),
    el('div.sum', {}, 'Change ', el('b#change', {}, money(r.change_cents))));
}

function showReceipt(r) {
  const box = view.querySelector('#receipt');
  fill(box, receiptView(r),
    el('div.actions.noprint', {},
      el('button#print', { type: 'button', onclick: () => window.print() }, 'Print'),
      el('button#new-sale', { type: 'button', onclick: () => { fill(box); box.hidden = true; render(); focusScan(); } }, 'New sale (Enter)')));
  box.hidden = false;
  render();
  view.querySelector('#new-sale').focus();
  requestAnimationFrame(() => {
    performance.clearMeasures('pay-to-receipt');
    try { performance.measure('pay-to-receipt', 'pay-click'); } catch { /* resumed after reload: no click */ }
  });
}

export async function showSell(root) {
  loadSale();
  const scan = el('input#scan', { autocomplete: 'off', placeholder: 'Scan a barcode, type a SKU, "3*SKU", or search a name', 'aria-label': 'Code or search' });
  scan.addEventListener('keydown', onScan);
  const tender = el('input#tender', { inputmode: 'decimal', autocomplete: 'off', 'aria-label': 'Amount tendered' });
  tender.addEventListener('keydown', onTender);
  view = el('section.sell', {},
    el('div.sell-left', {},
      scan,
      el('div#search-results.results'),
      el('div#lines')),
    el('div.sell-right', {},
      el('div#totals.totals'),
      el('ul#payments.payments'),
      el('div.tender', {},
        el('select#pay-method', { 'aria-label': 'Payment method' },
          el('option', { value: 'cash' }, 'Cash'), el('option', { value: 'card' }, 'Card'), el('option', { value: 'other' }, 'Other')),
        tender,
        el('button.secondary', { type: 'button', onclick: addPayment }, 'Add')),
      el('div.card-fields', { hidden: true },
        el('select#card-brand', { 'aria-label': 'Card brand' }, el('option', { value: '' }, 'brand'),
          ['visa', 'mastercard', 'amex', 'discover', 'maestro', 'jcb', 'unionpay', 'diners', 'interac', 'eftpos'].map((b) => el('option', { value: b }, b))),
        el('input#card-last4.qty', { inputmode: 'numeric', maxlength: '4', autocomplete: 'off', placeholder: 'last 4', 'aria-label': 'Last 4 digits of the card' }),
        el('input#card-auth', { autocomplete: 'off', maxlength: '12', placeholder: 'auth code', 'aria-label': 'Authorisation code' })),
      el('button#pay.big', { type: 'button', onclick: pay }, 'Pay'),
      el('div#sale-state.muted', { 'aria-live': 'polite' }),
      el('button.secondary.small', { type: 'button', onclick: () => { if (!busy) { sale = newSale(); save(); render(); focusScan(); } } }, 'Cancel sale')),
    el('div#receipt.receipt', { hidden: true }));
  const method = view.querySelector('#pay-method');
  method.addEventListener('change', () => { view.querySelector('.card-fields').hidden = method.value !== 'card'; });
  fill(root, view);
  // A scanner types into whatever has the focus: give it back to the code
  // field after a click anywhere that is not another input.
  view.addEventListener('click', (e) => {
    if (!(e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLButtonElement)) focusScan();
  });
  render();
  focusScan();
  try { await loadCatalog(); } catch (e) { notice(`Products could not be read: ${e.message}`, 'error'); }
  if (sale.submitted) await submit();  // sent before a reload: the same key finishes it once
}

export function leaveSell() { view = null; }

// ---- Returns and voids -------------------------------------------------------

export function showReturns(root) {
  const receipt = el('input#ret-receipt', { autocomplete: 'off', placeholder: 'Receipt, e.g. POS1-000001', 'aria-label': 'Receipt' });
  const out = el('div#ret-sale');
  const find = async () => {
    const r = receipt.value.trim();
    if (!r) return;
    try { renderSale(out, await get(`/v1/sales/${encodeURIComponent(r)}`)); } catch (e) { fill(out, el('p.error', {}, e.message)); }
  };
  receipt.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } });
  fill(root, el('section.returns', {},
    el('h2', {}, 'Returns and voids'),
    el('div.row', {}, receipt, el('button#ret-find', { type: 'button', onclick: find }, 'Find')), out));
  receipt.focus();
}

function renderSale(out, s) {
  const qtys = new Map();
  const rows = s.lines.map((l) => {
    const left = l.qty - (l.returned_qty || 0);
    const q = el('input.qty', { type: 'number', min: '0', max: String(left), value: '0', 'aria-label': `Return quantity of ${l.sku}`, dataset: { sku: l.sku } });
    qtys.set(l.sku, q);
    return { ...l, left, q };
  });
  const method = el('select#ret-method', { 'aria-label': 'Refund method' }, el('option', { value: '' }, 'as paid'),
    ['cash', 'card', 'other'].map((m) => el('option', { value: m }, m)));
  const reason = el('input#void-reason', { placeholder: 'Reason', 'aria-label': 'Void reason' });
  const result = el('div#ret-result', { 'aria-live': 'polite' });
  let returnKey = randomKey('ret-');
  let voidKey = randomKey('void-');
  const doReturn = async () => {
    const lines = [...qtys].map(([sku, q]) => ({ sku, qty: Number(q.value) })).filter((l) => l.qty > 0);
    if (!lines.length) { notice('Give a quantity to return.', 'error'); return; }
    const body = { receipt: s.receipt, lines, ...(method.value ? { method: method.value } : {}) };
    try {
      const r = await withApproval((headers) => command('POST', '/v1/returns', body, returnKey, { headers }));
      returnKey = randomKey('ret-');
      fill(result, el('p.ok', {}, `Returned: ${r.return_id}, refund ${money(r.refund_cents)} ${r.method}.`));
    } catch (e) { fill(result, el('p.error', {}, e.message)); }
  };
  const doVoid = async () => {
    try {
      const r = await withApproval((headers) => command('POST', `/v1/sales/${encodeURIComponent(s.receipt)}/void`, { reason: reason.value }, voidKey, { headers }));
      voidKey = randomKey('void-');
      fill(result, el('p.ok#void-done', {}, `Sale ${r.receipt} voided.`));
    } catch (e) { fill(result, el('p.error', {}, e.message)); }
  };
  fill(out,
    el('p', {}, `Sale ${s.receipt} · ${s.device} · ${shopTime(s.time)} · total ${money(s.total_cents)}`, s.voided ? el('b.error', {}, ' VOIDED') : null),
    table([
      { title: 'Item', get: (l) => l.sku },
      { title: 'Sold', get: (l) => l.qty, cls: 'num' },
      { title: 'Returned', get: (l) => l.returned_qty || 0, cls: 'num' },
      { title: 'Amount', get: (l) => money(l.total_cents), cls: 'num' },
      { title: 'Return', get: (l) => l.q, cls: 'num' },
    ], rows),
    el('div.row', {}, method, el('button#do-return', { type: 'button', onclick: doReturn }, 'Return')),
    el('div.row', {}, reason, el('button#do-void.danger', { type: 'button', onclick: doVoid }, 'Void sale')),
    result);
}

export { ApiError, call };
