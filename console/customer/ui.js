/* ui.js — the customers' console's shared state and DOM helpers, for the
 * scripts after it (library.js, scan.js, videos.js, app.js): everything
 * is built with DOM calls and user data only ever goes in as textContent,
 * because the page's CSP (src/api/static.c) allows no inline script or
 * style (an element's style is never set from markup). */
(function (root) {
  'use strict';

  var C = root.PorticoConsole = {};

  /* What the page knows of the logged-in customer. */
  var S = C.S = {
    key: null,
    in: false,          /* logged in: the key was accepted */
    api: null,
    feed: null,
    live: false,
    feedDown: false,    /* the stream failed at least once this session */
    groups: [],
    groupId: null,
    assets: new Map(),  /* the chosen group's, by id */
    thumbs: new Map(),  /* asset id -> object URL */
    waiting: new Set(), /* asset ids with a WaitAsset loop */
    uploads: [],
    uploading: false,
    scan: null,         /* {token, link, expire, timer, qrUrl, done} */
    videos: [],         /* [{id, prompt, created, task}]; ids kept in localStorage */
    videoTimer: null,
    epoch: 0,           /* bumped at log-out: late answers of the last session are dropped */
  };

  function $(id) { return document.getElementById(id); }

  /* An element: props are set as properties (never style), kids appended. */
  function el(tag, props) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        if (k === 'class') e.className = props[k];
        else if (k.indexOf('aria-') === 0 || k.indexOf('data-') === 0) e.setAttribute(k, props[k]);
        else e[k] = props[k];
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  function say(text, isError) {
    var s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!isError);
  }

  function errText(e) {
    if (!e) return 'Something went wrong.';
    return (e.code ? e.code + ': ' : '') + (e.message || String(e));
  }

  function when(iso) {
    var t = Date.parse(iso);
    return isNaN(t) ? '' : new Date(t).toLocaleString();
  }

  /* Up to n characters (code points), for Names (50). */
  function cut(s, n) {
    return Array.from(s || '').slice(0, n).join('');
  }

  /* FNV-1a of the key: a namespace for what this browser remembers of it
   * (its video task ids), not a secret. */
  function keySpace(key) {
    var h = 0x811c9dc5;
    for (var i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16);
  }

  // ------------------------------------------------------------- dialogs

  /* A modal question: {title, text, ok, danger, field: {label, value}}.
   * Resolves false/null on cancel, true (or the field's text) on OK. */
  function ask(opts) {
    var d = $('dialog');
    $('dialog-title').textContent = opts.title;
    $('dialog-text').textContent = opts.text || '';
    var ok = $('dialog-ok');
    ok.textContent = opts.ok || 'OK';
    ok.className = opts.danger ? 'danger' : 'primary';
    var field = $('dialog-field'), input = $('dialog-input');
    field.hidden = !opts.field;
    input.required = !!opts.field;
    if (opts.field) {
      $('dialog-label').textContent = opts.field.label;
      input.value = opts.field.value || '';
    }
    var back = document.activeElement;
    return new Promise(function (resolve) {
      d.addEventListener('close', function done() {
        d.removeEventListener('close', done);
        if (back && back.isConnected) back.focus();
        if (d.returnValue !== 'ok') resolve(opts.field ? null : false);
        else resolve(opts.field ? input.value.trim() : true);
      });
      d.returnValue = '';
      d.showModal();
      if (opts.field) {
        input.focus();
        input.select();
      }
    });
  }


  C.$ = $;
  C.el = el;
  C.say = say;
  C.errText = errText;
  C.when = when;
  C.cut = cut;
  C.keySpace = keySpace;
  C.ask = ask;
})(self);
