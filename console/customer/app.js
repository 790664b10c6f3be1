/* app.js — the customers' console (API.md §7), its shell: log in with an
 * API key (kept in sessionStorage; a log-out button), the three views
 * (library.js, scan.js, videos.js; the URL's #hash says which), and the
 * event stream (sse.js) whose events it hands to them.
 *
 * Live status: the event stream while it is open; while it is not, each
 * Processing asset on screen is waited for with WaitAsset (library.js).
 * The page never reloads itself. Every call carries the key as
 * "Authorization: Bearer" (api.js); a 401 anywhere logs out. */
(function (C) {
  'use strict';

  var S = C.S, $ = C.$, say = C.say, errText = C.errText;
  var KEY_STORE = 'portico.key';
  var VIEW_NAMES = ['library', 'scan', 'videos'];

  // ------------------------------------------------------------- views

  function currentView() {
    var v = location.hash.replace(/^#/, '');
    return VIEW_NAMES.indexOf(v) >= 0 ? v : 'library';
  }

  function showView(name) {
    VIEW_NAMES.forEach(function (v) {
      $('view-' + v).hidden = v !== name;
    });
    Array.prototype.forEach.call($('nav').querySelectorAll('button'), function (b) {
      if (b.getAttribute('data-view') === name) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    });
    if (name === 'videos') C.videos.showAssets();
  }

  function go(name) {
    if (location.hash !== '#' + name) location.hash = name; /* hashchange shows it */
    else showView(name);
  }

  // ------------------------------------------------------------- log in / out

  async function login(key) {
    $('login-error').textContent = '';
    S.key = key;
    S.api = new PorticoApi.Api(function () { return S.key; }, function () { if (S.in) logout(true); });
    try {
      await S.api.action('ListAssetGroups', { PageSize: 1 });
    } catch (e) {
      S.key = null;
      $('login-error').textContent = e.status === 401 ? 'This key was not accepted. Check it and try again.'
                                                      : errText(e);
      $('login-key').focus();
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    enter();
  }

  function enter() {
    S.in = true;
    $('view-login').hidden = true;
    $('nav').hidden = false;
    $('logout').hidden = false;
    $('live').hidden = false;
    $('login-key').value = '';
    startFeed();
    showView(currentView());
    C.library.loadGroups(sessionStorage.getItem('portico.group'));
    C.videos.enter();
    C.scan.resume();
    $('main').focus();
    say('Logged in.');
  }

  function logout(expired) {
    S.epoch++;
    S.in = false;
    if (S.feed) S.feed.stop();
    S.feed = null;
    S.live = false;
    S.feedDown = false;
    S.key = null;
    sessionStorage.removeItem(KEY_STORE);
    sessionStorage.removeItem('portico.group');
    sessionStorage.removeItem('portico.scan');
    C.library.reset();
    C.scan.reset();
    C.videos.reset();
    VIEW_NAMES.forEach(function (v) { $('view-' + v).hidden = true; });
    $('nav').hidden = true;
    $('logout').hidden = true;
    $('live').hidden = true;
    $('view-login').hidden = false;
    if (expired) $('login-error').textContent = 'The key is no longer accepted; log in again.';
    say(expired ? 'Logged out: the key is no longer accepted.' : 'Logged out.', !!expired);
    $('login-key').focus();
  }

  // ------------------------------------------------------------- the event stream

  function startFeed() {
    var epoch = S.epoch;
    S.feed = new PorticoSSE.Feed({
      url: '/v1/portrait/events',
      headers: function () { return { Authorization: 'Bearer ' + S.key }; },
      onEvent: function (rec) { if (epoch === S.epoch) onEvent(rec); },
      onState: function (state) { if (epoch === S.epoch) onFeedState(state); },
      onUnauthorized: function () { if (epoch === S.epoch) logout(true); },
      onResumeRefused: function () { if (epoch === S.epoch) C.library.refreshAssets(); },
    });
    S.feed.start();
  }

  function onFeedState(state) {
    var was = S.live;
    S.live = state === 'live';
    if (state === 'down') S.feedDown = true;
    var live = $('live');
    /* once the stream has failed, a reconnection attempt is still "Polling" */
    live.textContent = S.live ? 'Live' : state === 'connecting' && !S.feedDown ? 'Connecting…' : 'Polling';
    live.className = 'live ' + (S.live ? 'on' : 'off');
    live.title = S.live ? 'Status changes arrive from the event stream.'
                        : 'The event stream is unavailable: statuses are checked with WaitAsset.';
    if (S.live && !was) C.library.refreshAssets(); /* whatever changed before the stream opened */
    if (!S.live) C.library.watchProcessing();
  }

  function onEvent(rec) {
    var ev;
    try {
      ev = JSON.parse(rec.data);
    } catch (e) {
      return;
    }
    var data = ev && ev.Data;
    if (!data) return;
    switch (rec.type) {
    case 'AssetActive':
    case 'AssetFailed':
      C.library.updateAsset(data);
      break;
    case 'LivenessPassed':
    case 'LivenessFailed':
      C.scan.heard(data.BytedToken);
      if (rec.type === 'LivenessPassed') C.library.loadGroups(S.groupId);
      break;
    case 'VideoSucceeded':
    case 'VideoFailed':
      C.videos.update(data);
      break;
    }
  }


  // ------------------------------------------------------------- start

  function init() {
    $('login-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var k = $('login-key').value.trim();
      if (k) login(k);
    });
    $('logout').addEventListener('click', function () { logout(false); });
    Array.prototype.forEach.call($('nav').querySelectorAll('button'), function (b) {
      b.addEventListener('click', function () { go(b.getAttribute('data-view')); });
    });
    window.addEventListener('hashchange', function () { if (S.key) showView(currentView()); });
    C.go = go;
    C.library.setup();
    C.scan.setup();
    C.videos.setup();
    var saved = sessionStorage.getItem(KEY_STORE);
    if (saved) login(saved);
  }

  init();
})(self.PorticoConsole);
