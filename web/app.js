// The store console: sign-in, the screens by role, the status bar on every
// screen. Talks only to the node that served it (docs/console.md).
import { el, fill } from './util.js';
import { currentSession, signIn, signOut, on as onApi } from './api.js';
import { startStatus, stopStatus, notice } from './status.js';
import { pinPad } from './approval.js';
import { showSell, leaveSell, showReturns } from './sell.js';
import { showStock, showProducts, showReports, showStore } from './screens.js';

const RANK = { cashier: 0, supervisor: 1, manager: 2, admin: 3 };
const SCREENS = [
  { id: 'sell', title: 'Sell', least: 'cashier', show: showSell },
  { id: 'returns', title: 'Returns', least: 'cashier', show: showReturns },
  { id: 'stock', title: 'Stock', least: 'cashier', show: showStock },
  { id: 'products', title: 'Products', least: 'manager', show: showProducts },
  { id: 'reports', title: 'Reports', least: 'manager', show: showReports },
  { id: 'store', title: 'Store', least: 'supervisor', show: showStore },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

const allowed = (s) => SCREENS.filter((x) => RANK[s.role] >= RANK[x.least]);

function showSignIn(message) {
  // Several calls may see the session end at once (the stream, a command):
  // the form shown already stays, with what the person typed.
  const shown = main.querySelector('form.signin');
  if (shown) { if (message) fill(shown.querySelector('#signin-error'), message); return; }
  stopStatus();
  fill(nav);
  fill(who);
  document.body.classList.add('signed-out');
  const id = el('input#staff-id', { autocomplete: 'username', placeholder: 'Staff id', 'aria-label': 'Staff id' });
  const pin = el('input#pin', { type: 'password', inputmode: 'numeric', autocomplete: 'current-password', placeholder: 'PIN', 'aria-label': 'PIN', maxlength: '8' });
  const err = el('p#signin-error.error', { 'aria-live': 'assertive' }, message || '');
  const go = async () => {
    if (!id.value.trim() || !pin.value) return;
    try {
      await signIn(id.value.trim(), pin.value);
      start();
    } catch (e) {
      pin.value = '';
      fill(err, e.code === 'too_many_attempts' ? 'Too many wrong PINs: wait a minute.' : e.code === 'unreachable' ? 'The node does not answer.' : 'Unknown staff id or wrong PIN.');
      pin.focus();
    }
  };
  id.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); pin.focus(); } });
  pin.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go(); } });
  fill(main, el('form.signin', { onsubmit: (e) => { e.preventDefault(); go(); } },
    el('h1', {}, 'Sign in'), id, pin, pinPad(pin, go),
    el('button#signin.big', { type: 'submit' }, 'Sign in'), err));
  id.focus();
}

async function route() {
  const s = currentSession();
  if (!s) return showSignIn();
  const screens = allowed(s);
  const want = location.hash.slice(1) || 'sell';
  const screen = screens.find((x) => x.id === want) || screens[0];
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.screen === screen.id);
  if (screen.id !== 'sell') leaveSell();
  main.dataset.screen = screen.id;
  try { await screen.show(main); } catch (e) { fill(main, el('p.error', {}, e.message)); }
}

function start() {
  const s = currentSession();
  document.body.classList.remove('signed-out');
  fill(who,
    el('span#who-name', {}, s.name || s.staff_id), ' ', el('span#who-role.badge', {}, s.role), ' ',
    el('button#switch.small.secondary', { type: 'button', title: 'Another person signs in at this till', onclick: async () => { await signOut(); } }, 'Switch person'), ' ',
    el('button#signout.small.secondary', { type: 'button', onclick: async () => { await signOut(); } }, 'Sign out'));
  fill(nav, allowed(s).map((x, i) => el('a', { href: `#${x.id}`, dataset: { screen: x.id }, title: `Alt+${i + 1}` }, x.title)));
  startStatus(document.getElementById('statusbar'), document.getElementById('notices'));
  route();
}

onApi('signedOut', () => showSignIn('Signed out.'));
window.addEventListener('hashchange', () => { if (currentSession()) route(); });
window.addEventListener('keydown', (e) => {
  // Alt+1..6 switch screens from the keyboard.
  if (!e.altKey || !currentSession()) return;
  const n = Number(e.key);
  const screens = allowed(currentSession());
  if (n >= 1 && n <= screens.length) { e.preventDefault(); location.hash = screens[n - 1].id; }
});
window.addEventListener('unhandledrejection', (e) => notice(`Error: ${e.reason && e.reason.message}`, 'error'));

if (currentSession()) start();
else showSignIn();
