// The status bar (the seed's, on every screen) and the notices. Fed by
// GET /v1/status once and then by the status stream's named kinds
// (sync.status, role.changed, device.online/offline, master.changed,
// conflict.resolved); refreshed from /v1/status whenever the stream reconnects.
import { el, fill, relative, absolute, setShopZone } from './util.js';
import { get, call, follow, isReachable, on as onApi } from './api.js';
import { withApproval } from './approval.js';

const ELECTING = new Set(['discovery', 'pre_candidate', 'candidate', 'stepping_down', 'handing_off']);

const state = {
  device: '', role: '', master: null, term: 0,
  sync: 'offline', pending: 0, lastSync: 0, lastError: null,
  stream: 'connecting', reachable: true, retryIn: 0,
};
let bar = null;
let noticeBox = null;
let stop = null;
let ticker = null;
const watchers = [];

/** Calls fn(state) after each change (the Store screen follows it). */
export function watch(fn) { watchers.push(fn); }
export function statusState() { return state; }

/** The connection state: [css class, icon, text, tooltip]. */
export function connection(s = state) {
  if (!s.reachable) return ['red', '✕', 'Offline', 'This till cannot reach its own node; retrying.'];
  if (s.stream !== 'open') return ['orange', '↻', 'Reconnecting', 'The live status stream is reconnecting.'];
  if (ELECTING.has(s.role)) return ['blue', '⚑', 'Electing', `An election is running (role ${s.role}).`];
  switch (s.sync) {
    case 'synced': return ['green', '✓', 'Synced', 'Every event of this device is held by another device.'];
    case 'pending': return ['orange', '⟳', 'Syncing', `${s.pending} event(s) not yet held by another device.`];
    case 'error': return ['red', '!', 'Error', s.lastError || 'Sync error'];
    case 'standalone': return ['green', '✓', 'Standalone', "This is the store's only device: there is no other device to sync with."];
    default: return ['red', '✕', 'Offline', 'No other device is reachable: sales are kept here and sent later.'];
  }
}

function render() {
  if (!bar) return;
  const [cls, icon, text, tip] = connection();
  const c = bar.querySelector('#sb-conn');
  c.className = `conn ${cls}`;
  c.title = tip;
  fill(c, el('span.icon', { 'aria-hidden': 'true' }, icon), ' ', el('span#sb-state', {}, text));
  fill(bar.querySelector('#sb-device'), state.device || '…');
  fill(bar.querySelector('#sb-role'), state.role || '…');
  fill(bar.querySelector('#sb-master'), state.master || 'none');
  const ls = bar.querySelector('#sb-last');
  fill(ls, relative(state.lastSync));
  ls.title = absolute(state.lastSync);
  fill(bar.querySelector('#sb-pending'), String(state.pending));
  for (const fn of watchers) fn(state);
}

/** A notice at the top right for a few seconds (also read out: aria-live). */
export function notice(text, kind = 'info') {
  if (!noticeBox) return;
  const n = el('div.notice', { class: `notice ${kind}`, role: 'status' }, text);
  noticeBox.prepend(n);
  while (noticeBox.children.length > 5) noticeBox.lastChild.remove();
  setTimeout(() => n.remove(), 8000);
}

function fromStatus(s) {
  setShopZone(s.store && s.store.time_zone);
  state.device = s.device_id;
  state.role = s.role;
  state.master = s.master;
  state.term = s.term;
  const sy = s.sync || {};
  state.sync = sy.status || 'offline';
  state.pending = s.pending_changes ?? sy.pending_changes ?? 0;
  state.lastSync = sy.last_sync_ms || 0;
  state.lastError = sy.last_error || null;
}

async function refresh() {
  try { fromStatus(await get('/v1/status')); } catch { /* the stream's state says it */ }
  render();
}

const handlers = {
  'sync.status': (d) => {
    if (d.status === 'error' && state.sync !== 'error') notice(`Sync error: ${d.last_error || 'unknown'}`, 'error');
    state.sync = d.status;
    state.pending = d.pending_changes;
    state.lastSync = d.last_sync_ms || state.lastSync;
    state.lastError = d.last_error;
    render();
  },
  'role.changed': (d) => {
    const first = !state.device;
    if (!first && d.previous_role && d.previous_role !== d.role) notice(`This device is now ${d.role}.`, 'info');
    state.device = d.device_id;
    state.role = d.role;
    state.master = d.master;
    state.term = d.term;
    render();
  },
  'device.online': (d) => notice(`${d.device_id} is back online.`, 'ok'),
  'device.offline': (d) => notice(`${d.device_id} went offline.`, 'warn'),
  'master.changed': (e) => {
    const p = e.payload || {};
    const to = p.new_master || p.master || p.device_id || '?';
    notice(`Master changed to ${to} (${p.reason || 'unknown reason'}).`, 'warn');
    state.master = to;
    render();
  },
  'conflict.resolved': (e) => {
    const p = e.payload || {};
    notice(`Conflict resolved on ${p.register_name || ''} ${p.key || ''}: ${p.winner || ''} wins.`, 'info');
  },
};

/** Builds the bar into `root` and starts following the node. */
export function startStatus(root, notices) {
  bar = root;
  noticeBox = notices;
  fill(bar,
    el('span#sb-conn.conn', { role: 'status', 'aria-live': 'polite' }),
    el('span.field', {}, 'Device ', el('b#sb-device')),
    el('span.field', {}, 'Role ', el('b#sb-role')),
    el('span.field', {}, 'Master ', el('b#sb-master')),
    el('span.field', {}, 'Last sync ', el('b#sb-last')),
    el('span.field', {}, 'Pending ', el('b#sb-pending')),
    el('button#sb-retry.small', { type: 'button', title: 'Sync now (POST /v1/sync/now)', onclick: retry }, 'Retry'));
  onApi('reachability', (ok) => {
    state.reachable = ok;
    if (!ok) notice('The node does not answer; retrying.', 'error');
    render();
  });
  stop = follow('/v1/status/stream', handlers, (s) => {
    state.stream = s;
    if (s === 'open') { state.reachable = true; refresh(); }
    else state.reachable = isReachable();
    render();
  });
  ticker = setInterval(render, 1000);  // relative time moves on
  refresh();
}

export function stopStatus() {
  if (stop) stop();
  if (ticker) clearInterval(ticker);
  stop = null;
  Object.assign(state, { device: '', role: '', stream: 'connecting' });
}

async function retry() {
  try {
    await withApproval((headers) => call('POST', '/v1/sync/now', { body: {}, headers }));
    notice('Sync started.', 'ok');
  } catch (e) {
    notice(`Retry failed: ${e.message}`, 'error');
  }
}
