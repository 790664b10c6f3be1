// dialog.js — confirmation in a modal <dialog> (focus moves into it, Escape
// cancels, focus returns to the button that opened it). The safe choice,
// Cancel, has the focus first.
import { $ } from './dom.js';

export function confirmDialog(title, text, okLabel) {
  const dlg = $('#confirm-dialog');
  const opener = document.activeElement;
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = okLabel || 'Confirm';
  dlg.returnValue = '';
  return new Promise((resolve) => {
    // 'close' is dispatched in a later task: the close of an earlier
    // showing can arrive after this one opened. Only a close that finds
    // the dialog shut is ours.
    const onClose = () => {
      if (dlg.open) return;
      dlg.removeEventListener('close', onClose);
      if (opener && opener.isConnected) opener.focus();
      resolve(dlg.returnValue === 'ok');
    };
    dlg.addEventListener('close', onClose);
    dlg.showModal();
    $('#confirm-cancel').focus();
  });
}
