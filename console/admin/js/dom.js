// dom.js — building elements node by node, never from HTML strings (every
// string a server or a user gave us becomes a text node), and the page's
// live announcements. The CSP forbids inline style attributes, so nothing
// here sets one.

// h('button', {type: 'button', class: 'x', onclick: fn}, 'text', child, ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'style') throw new Error('style attributes are blocked by the CSP; use a class');
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(sel, root) {
  const el = (root || document).querySelector(sel);
  if (!el) throw new Error('no element ' + sel);
  return el;
}

// Polite announcements for screen readers and sighted users alike: the
// #status region is aria-live. A new message replaces the old one.
let statusTimer = 0;
export function announce(message, kind) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = message;
  el.className = 'status' + (kind ? ' ' + kind : '');
  clearTimeout(statusTimer);
  if (message && kind !== 'error') statusTimer = setTimeout(() => { el.textContent = ''; el.className = 'status'; }, 8000);
}

// Runs fn with the button (or form's submit button) disabled and marked busy,
// so a double click cannot send the request twice.
export async function busy(button, fn) {
  if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
  try {
    return await fn();
  } finally {
    if (button) { button.disabled = false; button.removeAttribute('aria-busy'); }
  }
}
