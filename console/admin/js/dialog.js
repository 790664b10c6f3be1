// dialog.js — confirmation in a modal <dialog> (focus moves into it, Escape
// cancels, focus returns to the button that opened it). The safe choice,
// Cancel, has the focus first.
//
// The answer is taken from the form's 'submit' (which button) and the
// dialog's 'cancel' (Escape), both dispatched at once with the user's
// action, never from 'close', which comes in a later task: input is handled
// first, so the close of one showing can arrive after the next has opened
// and would answer both.
import { $ } from './dom.js';

let answer = null;  // the pending showing's resolve
let opener = null;  // where the focus goes back to

function settle(yes) {
  const done = answer;
  answer = null;
  if (done) done(yes);
}

let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  const dlg = $('#confirm-dialog');
  dlg.querySelector('form').addEventListener('submit', (ev) => {
    settle(!!ev.submitter && ev.submitter.value === 'ok');
  });
  dlg.addEventListener('cancel', () => settle(false));
  // Focus can go back only once the dialog is shut (the page is inert
  // while it is open).
  dlg.addEventListener('close', () => {
    if (!dlg.open && opener && opener.isConnected) opener.focus();
  });
}

export function confirmDialog(title, text, okLabel) {
  wire();
  settle(false);  // a showing still open (it cannot be, being modal) says no
  const dlg = $('#confirm-dialog');
  opener = document.activeElement;
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = okLabel || 'Confirm';
  return new Promise((resolve) => {
    answer = resolve;
    dlg.showModal();
    $('#confirm-cancel').focus();
  });
}
