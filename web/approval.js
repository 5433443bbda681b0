// The approval dialog (issue 10, "Manager approval"): when a command answers
// 403 approval_required, a person whose role reaches it types their staff id
// and PIN on the pad, and the command is sent again, with the same
// Idempotency-Key, naming them as approver.
import { el, fill } from './util.js';

/** A touch-friendly PIN pad bound to `input` (digits, back, clear). */
export function pinPad(input, onEnter) {
  const press = (k) => {
    if (k === '⌫') input.value = input.value.slice(0, -1);
    else if (k === 'C') input.value = '';
    else if (k === 'OK') { if (onEnter) onEnter(); return; }
    else if (input.value.length < 8) input.value += k;
    input.focus();
  };
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'C', '0', '⌫'];
  return el('div.pinpad', {},
    keys.map((k) => el('button.key', { type: 'button', tabindex: '-1', dataset: { key: k }, onclick: () => press(k) }, k)),
    onEnter ? el('button.key.ok', { type: 'button', tabindex: '-1', onclick: () => press('OK') }, 'OK') : null);
}

/**
 * Asks for an approver; resolves {staff_id, pin} or null (cancelled).
 * `why` says what needs approval (the node's message).
 */
export function askApproval(why) {
  return new Promise((resolve) => {
    const dlg = document.getElementById('approval');
    const id = el('input#approver-id', { autocomplete: 'off', placeholder: 'Staff id', 'aria-label': 'Approver staff id' });
    const pin = el('input#approver-pin', { type: 'password', inputmode: 'numeric', autocomplete: 'off', placeholder: 'PIN', 'aria-label': 'Approver PIN' });
    const done = (v) => { dlg.close(); resolve(v); };
    const ok = () => { if (id.value && pin.value) done({ staff_id: id.value.trim(), pin: pin.value }); };
    const onKey = (e) => { if (e.key === 'Enter') { e.preventDefault(); if (e.target === id) pin.focus(); else ok(); } };
    id.addEventListener('keydown', onKey);
    pin.addEventListener('keydown', onKey);
    // The node's message names the role that must approve ("... the approval of a supervisor: ...").
    const role = (String(why).match(/approval of an? (\w+)/) || [])[1];
    const text = role ? `A ${role} (or higher) approves this with their staff id and PIN.` : why;
    fill(dlg, el('form.approval', { method: 'dialog' },
      el('h2', {}, 'Approval needed'),
      el('p.why', { title: why }, text),
      id, pin, pinPad(pin, ok),
      el('div.actions', {},
        el('button#approve', { type: 'button', onclick: ok }, 'Approve'),
        el('button.secondary', { type: 'button', onclick: () => done(null) }, 'Cancel'))));
    dlg.addEventListener('cancel', () => resolve(null), { once: true });
    dlg.showModal();
    id.focus();
  });
}

/**
 * Runs send(headers) and, on 403 approval_required, asks for an approver
 * and runs it again with them (until it passes, fails otherwise, or is
 * cancelled: then rejects with the last error).
 */
export async function withApproval(send) {
  let approver = null;
  for (;;) {
    try {
      return await send(approver ? { 'X-Approver-Staff': approver.staff_id, 'X-Approver-Pin': approver.pin } : {});
    } catch (e) {
      if (e.code !== 'approval_required' && !(approver && e.code === 'forbidden')) throw e;
      approver = await askApproval(approver ? `${e.message} Try another approver.` : e.message);
      if (!approver) throw e;
    }
  }
}
