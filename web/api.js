// The node's HTTP API as the console uses it: the session token (memory and
// sessionStorage, never localStorage), JSON calls with typed errors, commands
// with one Idempotency-Key each, and the status stream (SSE over fetch, so the
// token travels in a header, never in a URL).

const TOKEN = 'sn.session';
let session = JSON.parse(sessionStorage.getItem(TOKEN) || 'null');
const listeners = { signedOut: [], reachability: [] };
let reachable = true;

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function currentSession() { return session; }

export function on(kind, fn) { listeners[kind].push(fn); }

function setReachable(ok) {
  if (ok === reachable) return;
  reachable = ok;
  for (const fn of listeners.reachability) fn(ok);
}

export function isReachable() { return reachable; }

function forget() {
  session = null;
  sessionStorage.removeItem(TOKEN);
  for (const fn of listeners.signedOut) fn();
}

/**
 * One request. Resolves with the parsed JSON body of a 2xx; rejects with an
 * ApiError (status 0, code 'unreachable', when the node did not answer).
 */
export async function call(method, path, { body, headers = {}, key, signal } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (session) h.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (key) h['Idempotency-Key'] = key;
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    setReachable(false);
    throw new ApiError(0, 'unreachable', 'The node does not answer.');
  }
  setReachable(true);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (res.ok) return json;
  const err = (json && json.error) || {};
  if (res.status === 401 && path !== '/v1/sessions') forget();
  throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || `HTTP ${res.status}`, json);
}

export const get = (path) => call('GET', path);

/**
 * A command that must not run twice: retried with the same key, with
 * backoff, while the node does not answer (a timeout may have hidden a
 * success; the node answers a retry with the first reply). `onWait(ms)` is
 * told about each wait. Other errors reject at once.
 */
export async function command(method, path, body, key, { headers, onWait, attemptsMax = 1e9 } = {}) {
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(method, path, { body, key, headers });
    } catch (e) {
      if (e.code !== 'unreachable' || attempt >= attemptsMax) throw e;
      if (onWait) onWait(delay);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }
}

export async function signIn(staffId, pin) {
  const s = await call('POST', '/v1/sessions', { body: { staff_id: staffId, pin } });
  session = s;
  sessionStorage.setItem(TOKEN, JSON.stringify(s));
  return s;
}

export async function signOut() {
  try { await call('DELETE', '/v1/sessions/current'); } catch { /* gone already */ }
  forget();
}

/** Headers naming an approver (issue 10: X-Approver-Staff, X-Approver-Pin). */
export function approverHeaders(a) {
  return a ? { 'X-Approver-Staff': a.staff_id, 'X-Approver-Pin': a.pin } : {};
}

/**
 * Follows an SSE stream (named kinds, docs/api.md) with fetch: calls
 * handlers[kind](data, id) per message, onState('open'|'closed') on each
 * change; reconnects with backoff and Last-Event-ID. Returns a stop function.
 */
export function follow(path, handlers, onState) {
  let stopped = false;
  let lastId = '';
  let controller = null;
  let delay = 500;
  (async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const h = { Accept: 'text/event-stream' };
        if (session) h.Authorization = `Bearer ${session.token}`;
        if (lastId) h['Last-Event-ID'] = lastId;
        const res = await fetch(path, { headers: h, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401) { forget(); return; }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        setReachable(true);
        delay = 500;
        onState('open');
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut).replace(/^\r?\n\r?\n/, '');
            let kind = 'message', id = '', data = [];
            for (const line of block.split(/\r?\n/)) {
              if (line.startsWith(':')) continue;
              const i = line.indexOf(':');
              const f = i < 0 ? line : line.slice(0, i);
              const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
              if (f === 'event') kind = v;
              else if (f === 'id') id = v;
              else if (f === 'data') data.push(v);
            }
            if (id) lastId = id;
            if (!data.length) continue;
            let parsed;
            try { parsed = JSON.parse(data.join('\n')); } catch { continue; }
            const fn = handlers[kind] || handlers['*'];
            if (fn) fn(parsed, id, kind);
          }
        }
      } catch (e) {
        if (stopped) return;
        if (e instanceof TypeError) setReachable(false);
      }
      if (stopped) return;
      onState('closed', delay);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 8000);
    }
  })();
  return () => { stopped = true; if (controller) controller.abort(); };
}
