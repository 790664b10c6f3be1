/* scan.js — the Face scan view: starts a LivenessFace session whose
 * CallbackURL is this console, shows its H5Link as the QR code porticod
 * draws (GET /v1/portrait/qrcodes/{token}, through a blob: URL) and as a
 * link, and asks GetVisualValidateResult every 2 s (and at once when the
 * stream says LivenessPassed/LivenessFailed) until the scan is decided.
 * The session survives a reload of the tab (sessionStorage). */
(function (C) {
  'use strict';

  var S = C.S, $ = C.$, say = C.say, errText = C.errText, when = C.when;

  var QRCODES = '/v1/portrait/qrcodes/';

  // ------------------------------------------------------------- face scan

  function stopScan() {
    if (S.scan) {
      if (S.scan.timer) clearTimeout(S.scan.timer);
      if (S.scan.qrUrl) URL.revokeObjectURL(S.scan.qrUrl);
    }
    S.scan = null;
  }

  function scanState(text, kind) {
    var p = $('scan-state');
    p.textContent = text;
    p.className = 'scan-state ' + (kind || '');
    say(text, kind === 'bad');
  }

  async function startScan() {
    var btn = $('scan-start');
    btn.disabled = true;
    stopScan();
    $('scan-open-group').hidden = true;
    try {
      var r = await S.api.action('CreateVisualValidateSession', { CallbackURL: location.origin + '/console/' });
      showScan({ token: r.BytedToken, link: r.H5Link, expire: r.ExpireTime });
    } catch (e) {
      say('The face scan could not start: ' + errText(e), true);
    } finally {
      btn.disabled = false;
    }
  }

  async function showScan(s) {
    S.scan = { token: s.token, link: s.link, expire: s.expire, timer: null, qrUrl: null, done: false };
    sessionStorage.setItem('portico.scan', JSON.stringify(s));
    $('scan-box').hidden = false;
    $('scan-link').href = s.link;
    var t = $('scan-expire');
    t.dateTime = s.expire;
    t.textContent = when(s.expire);
    scanState('Waiting for the scan… Scan the QR code with a phone.', 'wait');
    var scan = S.scan;
    try {
      var blob = await S.api.image(QRCODES + encodeURIComponent(s.token));
      if (scan !== S.scan) return;
      scan.qrUrl = URL.createObjectURL(blob);
      $('scan-qr').src = scan.qrUrl;
    } catch (e) {
      if (scan === S.scan && !scan.done) $('scan-qr').removeAttribute('src');
    }
    checkScan();
  }

  function resumeScan() {
    var q = new URLSearchParams(location.search);
    var token = q.get('bytedToken');
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem('portico.scan') || 'null');
    } catch (e) { saved = null; }
    if (saved && (!token || token === saved.token)) {
      showScan(saved);
    }
  }

  /* Asks for the result now (and every 2 s until it is decided). */
  async function checkScan() {
    var scan = S.scan;
    if (!scan || scan.done) return;
    if (scan.timer) clearTimeout(scan.timer);
    scan.timer = null;
    try {
      var r = await S.api.action('GetVisualValidateResult', { BytedToken: scan.token });
      if (scan !== S.scan) return;
      scan.done = true;
      scanState('Passed: the real-person group ' + r.GroupId + ' is ready.', 'good');
      var open = $('scan-open-group');
      open.hidden = false;
      open.setAttribute('data-group', r.GroupId);
      sessionStorage.removeItem('portico.scan');
      C.library.loadGroups(S.groupId);
      return;
    } catch (e) {
      if (scan !== S.scan) return;
      if (e.code === 'ValidatePending' || e.status === 0 || e.status >= 500 || e.status === 429) {
        scan.timer = setTimeout(checkScan, 2000);
        return;
      }
      scan.done = true;
      sessionStorage.removeItem('portico.scan');
      scanState(e.code === 'TokenExpired' ? 'The link expired before the scan was completed. Start a new scan.'
                : e.code === 'InvalidToken' ? 'The scan did not pass. Start a new scan to try again.'
                : 'The scan result could not be read: ' + errText(e), 'bad');
    }
  }


  /* The H5 page sends the browser back here with ?bytedToken=&resultCode=. */
  function returnNotice() {
    var q = new URLSearchParams(location.search);
    var token = q.get('bytedToken'), code = q.get('resultCode');
    if (!token) return;
    var p = $('scan-return');
    p.hidden = false;
    p.textContent = code === '10000' ? 'The face scan is complete. You can close this page, or log in to see its group.'
                                     : 'The face scan did not pass (result ' + (code || 'unknown') + ').';
  }

  function reset() {
    stopScan();
    $('scan-box').hidden = true;
  }

  function setup() {
    $('scan-start').addEventListener('click', startScan);
    $('scan-open-group').addEventListener('click', function () {
      var id = $('scan-open-group').getAttribute('data-group');
      C.go('library');
      C.library.loadGroups(id);
    });
    returnNotice();
  }

  C.scan = {
    setup: setup,
    reset: reset,
    resume: resumeScan,
    /* an event about token: ask for the result now */
    heard: function (token) { if (S.scan && token === S.scan.token) checkScan(); },
  };
})(self.PorticoConsole);
