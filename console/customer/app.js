/* app.js — the customers' console (API.md §7): log in with an API key,
 * groups, assets as thumbnails with live status badges, drag-and-drop
 * upload with progress, rename and delete with confirmation, the face scan
 * with its QR code and result, video tasks with a player.
 *
 * Live status: the event stream (sse.js) while it is open; while it is
 * not, each Processing asset on screen is waited for with WaitAsset. The
 * page never reloads itself.
 *
 * The page's strict CSP (src/api/static.c) allows no inline script or
 * style: everything is built with DOM calls, user data only ever as
 * textContent, pictures through blob: URLs of authenticated fetches. */
(function () {
  'use strict';

  var THUMBS = '/v1/portrait/thumbnails/';
  var QRCODES = '/v1/portrait/qrcodes/';
  var KEY_STORE = 'portico.key';
  var VIEW_NAMES = ['library', 'scan', 'videos'];
  var TYPES = ['image/jpeg', 'image/png', 'image/webp'];
  var UPLOAD_MAX = 10 * 1024 * 1024;
  var WAITERS_MAX = 3;
  var FINAL_VIDEO = { succeeded: 1, failed: 1 };

  var S = {
    key: null,
    api: null,
    feed: null,
    live: false,
    groups: [],
    groupId: null,
    assets: new Map(),  /* the chosen group's, by id */
    thumbs: new Map(),  /* asset id -> object URL */
    waiting: new Set(), /* asset ids with a WaitAsset loop */
    uploads: [],
    uploading: false,
    scan: null,         /* {token, link, expire, timer, qrUrl, done} */
    videos: [],         /* [{id, prompt, created}] kept in localStorage */
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
    if (name === 'videos') loadVideoAssets();
  }

  function go(name) {
    if (location.hash !== '#' + name) location.hash = name; /* hashchange shows it */
    else showView(name);
  }

  // ------------------------------------------------------------- log in / out

  async function login(key) {
    $('login-error').textContent = '';
    S.key = key;
    S.api = new PorticoApi.Api(function () { return S.key; }, function () { if (S.key) logout(true); });
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
    $('view-login').hidden = true;
    $('nav').hidden = false;
    $('logout').hidden = false;
    $('live').hidden = false;
    $('login-key').value = '';
    S.videos = loadVideoIds();
    startFeed();
    showView(currentView());
    loadGroups(sessionStorage.getItem('portico.group'));
    renderVideos();
    resumeScan();
    $('main').focus();
    say('Logged in.');
  }

  function logout(expired) {
    S.epoch++;
    if (S.feed) S.feed.stop();
    S.feed = null;
    S.live = false;
    S.key = null;
    sessionStorage.removeItem(KEY_STORE);
    sessionStorage.removeItem('portico.group');
    sessionStorage.removeItem('portico.scan');
    S.thumbs.forEach(function (u) { URL.revokeObjectURL(u); });
    S.thumbs.clear();
    S.assets.clear();
    S.waiting.clear();
    S.groups = [];
    S.groupId = null;
    S.uploads = [];
    stopScan();
    if (S.videoTimer) clearTimeout(S.videoTimer);
    S.videoTimer = null;
    ['group-list', 'asset-grid', 'uploads', 'video-list', 'video-assets'].forEach(function (id) {
      $(id).replaceChildren();
    });
    $('scan-box').hidden = true;
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
      onResumeRefused: function () { if (epoch === S.epoch) refreshAssets(); },
    });
    S.feed.start();
  }

  function onFeedState(state) {
    var was = S.live;
    S.live = state === 'live';
    var live = $('live');
    live.textContent = S.live ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Polling';
    live.className = 'live ' + (S.live ? 'on' : 'off');
    live.title = S.live ? 'Status changes arrive from the event stream.'
                        : 'The event stream is unavailable: statuses are checked with WaitAsset.';
    if (S.live && !was) refreshAssets(); /* whatever changed before the stream opened */
    if (!S.live) watchProcessing();
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
      updateAsset(data);
      break;
    case 'LivenessPassed':
    case 'LivenessFailed':
      if (S.scan && data.BytedToken === S.scan.token) checkScan();
      if (rec.type === 'LivenessPassed') loadGroups(S.groupId);
      break;
    case 'VideoSucceeded':
    case 'VideoFailed':
      updateVideo(data);
      break;
    }
  }

  // ------------------------------------------------------------- groups

  async function loadGroups(select) {
    var epoch = S.epoch;
    try {
      var r = await S.api.action('ListAssetGroups', { PageSize: 100 });
      if (epoch !== S.epoch) return;
      S.groups = r.Items || [];
    } catch (e) {
      say('Groups could not be loaded: ' + errText(e), true);
      return;
    }
    var want = select || S.groupId;
    if (!S.groups.some(function (g) { return g.Id === want; })) want = S.groups.length ? S.groups[0].Id : null;
    renderGroups();
    if (want !== S.groupId) selectGroup(want);
    else renderGroupHead();
  }

  function renderGroups() {
    var list = $('group-list');
    list.replaceChildren();
    S.groups.forEach(function (g) {
      var b = el('button', { type: 'button', class: 'group' },
                 el('span', { class: 'group-name' }, g.Name || g.Id),
                 el('span', { class: 'group-meta' },
                    (g.AssetCount === 1 ? '1 asset' : g.AssetCount + ' assets') +
                    (g.GroupType === 'LivenessFace' ? ' · real person' : '')));
      if (g.Id === S.groupId) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', function () { selectGroup(g.Id); });
      list.appendChild(el('li', null, b));
    });
    /* on a phone the groups are a row that scrolls sideways: show the chosen one */
    var cur = list.querySelector('[aria-current="true"]');
    if (cur && list.scrollWidth > list.clientWidth)
      list.scrollLeft = Math.max(0, cur.parentNode.offsetLeft - list.offsetLeft - 8);
    $('groups-empty').hidden = S.groups.length > 0;
  }

  function group() {
    for (var i = 0; i < S.groups.length; i++) if (S.groups[i].Id === S.groupId) return S.groups[i];
    return null;
  }

  function renderGroupHead() {
    var g = group();
    $('group-title').textContent = g ? (g.Name || g.Id) : 'Choose a group';
    $('group-rename').disabled = !g;
    $('group-delete').disabled = !g;
    $('pick').disabled = !g;
    $('dropzone').classList.toggle('disabled', !g);
  }

  function selectGroup(id) {
    S.groupId = id;
    if (id) sessionStorage.setItem('portico.group', id);
    else sessionStorage.removeItem('portico.group');
    S.assets.clear();
    $('asset-grid').replaceChildren();
    renderGroups();
    renderGroupHead();
    if (id) refreshAssets();
    else $('assets-empty').hidden = true;
  }

  async function createGroup(name) {
    try {
      var r = await S.api.action('CreateAssetGroup', { Name: name, GroupType: 'AIGC' });
      $('group-name').value = '';
      say('Group ' + name + ' created.');
      await loadGroups(r.Id);
    } catch (e) {
      say('The group was not created: ' + errText(e), true);
    }
  }

  async function renameGroup() {
    var g = group();
    if (!g) return;
    var name = await ask({ title: 'Rename group', ok: 'Rename', field: { label: 'Name', value: g.Name } });
    if (!name || name === g.Name) return;
    try {
      await S.api.action('UpdateAssetGroup', { Id: g.Id, Name: cut(name, 50) });
      say('Group renamed to ' + name + '.');
      loadGroups(g.Id);
    } catch (e) {
      say('The group was not renamed: ' + errText(e), true);
    }
  }

  async function deleteGroup() {
    var g = group();
    if (!g) return;
    var yes = await ask({
      title: 'Delete group “' + (g.Name || g.Id) + '”?',
      text: 'The group and its ' + (g.AssetCount === 1 ? 'asset' : g.AssetCount + ' assets') +
            ' are deleted, with their stored images. This cannot be undone.',
      ok: 'Delete group', danger: true,
    });
    if (!yes) return;
    try {
      await S.api.action('DeleteAssetGroup', { Id: g.Id });
      say('Group ' + (g.Name || g.Id) + ' deleted.');
      S.groupId = null;
      loadGroups(null);
    } catch (e) {
      say('The group was not deleted: ' + errText(e), true);
    }
  }

  // ------------------------------------------------------------- assets

  async function refreshAssets() {
    var id = S.groupId, epoch = S.epoch;
    if (!id || !S.api) return;
    var r;
    try {
      r = await S.api.action('ListAssets', { Filter: { GroupIds: [id] }, PageSize: 100 });
    } catch (e) {
      if (e.code === 'Forbidden') { loadGroups(null); return; } /* deleted meanwhile */
      say('Assets could not be loaded: ' + errText(e), true);
      return;
    }
    if (epoch !== S.epoch || id !== S.groupId) return;
    var seen = new Set();
    (r.Items || []).forEach(function (a) {
      seen.add(a.Id);
      S.assets.set(a.Id, a);
    });
    S.assets.forEach(function (_a, aid) { if (!seen.has(aid)) S.assets.delete(aid); });
    renderAssets();
    watchProcessing();
  }

  function badge(status) {
    var known = { Processing: 1, Active: 1, Failed: 1 };
    return el('span', { class: 'badge ' + (known[status] ? status.toLowerCase() : 'other') }, status || 'Unknown');
  }

  function card(a) {
    var img = el('img', { class: 'thumb', alt: 'Portrait ' + (a.Name || a.Id), width: 320, height: 320,
                          decoding: 'async' });
    var name = el('span', { class: 'asset-name' }, a.Name || a.Id);
    var li = el('li', { class: 'asset', 'data-id': a.Id },
                el('figure', null, img,
                   el('figcaption', null, name, el('span', { class: 'badge-slot' }, badge(a.UpstreamStatus)),
                      el('span', { class: 'reason' }, a.FailureReason || ''))),
                el('div', { class: 'actions' },
                   el('button', { type: 'button', class: 'small', 'data-act': 'rename',
                                  'aria-label': 'Rename ' + (a.Name || a.Id) }, 'Rename'),
                   el('button', { type: 'button', class: 'small danger', 'data-act': 'delete',
                                  'aria-label': 'Delete ' + (a.Name || a.Id) }, 'Delete')));
    li.setAttribute('data-status', a.UpstreamStatus || '');
    loadThumb(a.Id, img);
    return li;
  }

  function cardOf(id) {
    return $('asset-grid').querySelector('li[data-id="' + CSS.escape(id) + '"]');
  }

  function fillCard(li, a) {
    li.setAttribute('data-status', a.UpstreamStatus || '');
    li.querySelector('.asset-name').textContent = a.Name || a.Id;
    li.querySelector('.thumb').alt = 'Portrait ' + (a.Name || a.Id);
    li.querySelector('.badge-slot').replaceChildren(badge(a.UpstreamStatus));
    li.querySelector('.reason').textContent = a.UpstreamStatus === 'Failed' ? (a.FailureReason || '') : '';
    li.querySelector('[data-act=rename]').setAttribute('aria-label', 'Rename ' + (a.Name || a.Id));
    li.querySelector('[data-act=delete]').setAttribute('aria-label', 'Delete ' + (a.Name || a.Id));
  }

  /* The grid in the list's order, cards kept (their pictures and focus). */
  function renderAssets() {
    var grid = $('asset-grid');
    var items = Array.from(S.assets.values()).sort(function (x, y) {
      return x.CreateTime < y.CreateTime ? 1 : x.CreateTime > y.CreateTime ? -1 : 0;
    });
    var keep = new Set(items.map(function (a) { return a.Id; }));
    Array.prototype.slice.call(grid.children).forEach(function (li) {
      if (!keep.has(li.getAttribute('data-id'))) li.remove();
    });
    items.forEach(function (a, i) {
      var li = cardOf(a.Id) || card(a);
      fillCard(li, a);
      if (grid.children[i] !== li) grid.insertBefore(li, grid.children[i] || null);
    });
    $('assets-empty').hidden = items.length > 0 || !S.groupId;
  }

  /* A newer reading of an asset (event, WaitAsset, upload). */
  function updateAsset(a) {
    if (!a || !a.Id || a.GroupId !== S.groupId) return;
    var old = S.assets.get(a.Id);
    S.assets.set(a.Id, a);
    renderAssets();
    if (old && old.UpstreamStatus !== a.UpstreamStatus)
      say((a.Name || a.Id) + ' is now ' + a.UpstreamStatus + '.', a.UpstreamStatus === 'Failed');
  }

  async function loadThumb(id, img) {
    var url = S.thumbs.get(id);
    if (!url) {
      var epoch = S.epoch;
      try {
        var blob = await S.api.image(THUMBS + encodeURIComponent(id));
        if (epoch !== S.epoch) return;
        url = S.thumbs.get(id) || URL.createObjectURL(blob);
        S.thumbs.set(id, url);
      } catch (e) {
        img.classList.add('missing');
        return;
      }
    }
    img.src = url;
  }

  function dropThumb(id) {
    var u = S.thumbs.get(id);
    if (u) URL.revokeObjectURL(u);
    S.thumbs.delete(id);
  }

  /* Without the stream: WaitAsset for each Processing asset on screen, a
   * few at a time (each holds a connection for up to 20 s). */
  function watchProcessing() {
    if (S.live || !S.key) return;
    S.assets.forEach(function (a) {
      if (a.UpstreamStatus === 'Processing' && !S.waiting.has(a.Id) && S.waiting.size < WAITERS_MAX)
        waitFor(a.Id);
    });
  }

  async function waitFor(id) {
    var epoch = S.epoch;
    S.waiting.add(id);
    try {
      while (!S.live && epoch === S.epoch && S.assets.has(id)) {
        var a = await S.api.action('WaitAsset', { Id: id, TimeoutSeconds: 20 });
        if (epoch !== S.epoch) return;
        updateAsset(a);
        if (a.UpstreamStatus !== 'Processing') break;
      }
    } catch (e) {
      if (e.code === 'Forbidden') S.assets.delete(id); /* deleted meanwhile */
      else await new Promise(function (r) { setTimeout(r, 3000); });
    } finally {
      if (epoch === S.epoch) {
        S.waiting.delete(id);
        watchProcessing();
      }
    }
  }

  async function onAssetAction(ev) {
    var b = ev.target.closest('button[data-act]');
    if (!b) return;
    var id = b.closest('li[data-id]').getAttribute('data-id');
    var a = S.assets.get(id);
    if (!a) return;
    if (b.getAttribute('data-act') === 'rename') {
      var name = await ask({ title: 'Rename asset', ok: 'Rename', field: { label: 'Name', value: a.Name } });
      if (!name || name === a.Name) return;
      try {
        await S.api.action('UpdateAsset', { Id: id, Name: cut(name, 50) });
        a = Object.assign({}, S.assets.get(id) || a, { Name: cut(name, 50) });
        S.assets.set(id, a);
        renderAssets();
        say('Renamed to ' + a.Name + '.');
      } catch (e) {
        say('The asset was not renamed: ' + errText(e), true);
      }
      return;
    }
    var yes = await ask({ title: 'Delete “' + (a.Name || a.Id) + '”?',
                          text: 'The asset and its stored image are deleted. This cannot be undone.',
                          ok: 'Delete asset', danger: true });
    if (!yes) return;
    try {
      await S.api.action('DeleteAsset', { Id: id });
      S.assets.delete(id);
      dropThumb(id);
      renderAssets();
      say((a.Name || a.Id) + ' deleted.');
      loadGroups(S.groupId);
    } catch (e) {
      say('The asset was not deleted: ' + errText(e), true);
    }
  }

  // ------------------------------------------------------------- uploads

  function queueFiles(files) {
    if (!S.groupId) {
      say('Choose or create a group first.', true);
      return;
    }
    Array.prototype.forEach.call(files, function (f) {
      var bar = el('progress', { max: 100, value: 0 });
      var note = el('span', { class: 'upload-note' }, 'Waiting…');
      var li = el('li', { class: 'upload' }, el('span', { class: 'upload-name' }, f.name || 'image'), bar, note);
      $('uploads').appendChild(li);
      var job = { file: f, group: S.groupId, li: li, bar: bar, note: note, epoch: S.epoch };
      if (TYPES.indexOf(f.type) < 0 && f.type) fail(job, 'Not a JPEG, PNG or WebP image.');
      else if (f.size > UPLOAD_MAX) fail(job, 'Larger than 10 MiB.');
      else S.uploads.push(job);
    });
    pumpUploads();
  }

  function fail(job, text) {
    job.li.classList.add('failed');
    job.note.textContent = text;
    say((job.file.name || 'The image') + ' was not uploaded: ' + text, true);
  }

  async function pumpUploads() {
    if (S.uploading) return;
    S.uploading = true;
    while (S.uploads.length) {
      var job = S.uploads.shift();
      if (job.epoch !== S.epoch) continue;
      job.note.textContent = 'Uploading…';
      var stem = (job.file.name || '').replace(/\.[^.]*$/, '');
      try {
        var a = await S.api.upload(job.file, job.group, cut(stem, 50), function (loaded, total) {
          job.bar.value = Math.round(100 * loaded / total);
          job.li.setAttribute('data-progress', String(job.bar.value));
        });
        if (job.epoch !== S.epoch) continue;
        job.bar.value = 100;
        job.note.textContent = 'Uploaded';
        job.li.classList.add('done');
        say((a.Name || a.Id) + ' uploaded; checking it (Processing).');
        if (a.GroupId === S.groupId) {
          S.assets.set(a.Id, a);
          renderAssets();
          watchProcessing();
        }
        loadGroups(S.groupId);
        setTimeout(function (li) { li.remove(); }, 4000, job.li);
      } catch (e) {
        fail(job, errText(e));
      }
    }
    S.uploading = false;
  }

  function setupDrop() {
    var zone = $('dropzone');
    ['dragenter', 'dragover'].forEach(function (t) {
      zone.addEventListener(t, function (e) {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = S.groupId ? 'copy' : 'none';
        zone.classList.add('over');
      });
    });
    zone.addEventListener('dragleave', function (e) {
      if (!zone.contains(e.relatedTarget)) zone.classList.remove('over');
    });
    zone.addEventListener('drop', function (e) {
      e.preventDefault();
      zone.classList.remove('over');
      if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) queueFiles(e.dataTransfer.files);
    });
    /* A file dropped next to the zone must not replace the page. */
    window.addEventListener('dragover', function (e) { e.preventDefault(); });
    window.addEventListener('drop', function (e) { e.preventDefault(); });
    $('pick').addEventListener('click', function () { $('file').click(); });
    $('file').addEventListener('change', function () {
      queueFiles($('file').files);
      $('file').value = '';
    });
  }

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
      loadGroups(S.groupId);
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

  // ------------------------------------------------------------- videos

  function videoStore() { return 'portico.videos.' + keySpace(S.key || ''); }

  function loadVideoIds() {
    try {
      var v = JSON.parse(localStorage.getItem(videoStore()) || '[]');
      return Array.isArray(v) ? v.filter(function (x) { return x && typeof x.id === 'string'; }).slice(0, 50) : [];
    } catch (e) {
      return [];
    }
  }

  function saveVideoIds() {
    localStorage.setItem(videoStore(), JSON.stringify(S.videos.map(function (v) {
      return { id: v.id, prompt: v.prompt, created: v.created };
    })));
  }

  async function loadVideoAssets() {
    if (!S.api) return;
    var list = $('video-assets');
    var checked = new Set(Array.prototype.map.call(list.querySelectorAll('input:checked'),
                                                   function (i) { return i.value; }));
    var r;
    try {
      r = await S.api.action('ListAssets', { Filter: { Statuses: ['Active'], AssetType: 'Image' }, PageSize: 100 });
    } catch (e) {
      say('Assets could not be loaded: ' + errText(e), true);
      return;
    }
    list.replaceChildren();
    (r.Items || []).forEach(function (a) {
      var box = el('input', { type: 'checkbox', value: a.Id, checked: checked.has(a.Id) });
      box.id = 'ref-' + a.Id;
      list.appendChild(el('li', null, box, el('label', { htmlFor: box.id }, a.Name || a.Id,
                                              el('span', { class: 'muted' }, ' ' + a.Id))));
    });
    $('video-assets-empty').hidden = (r.Items || []).length > 0;
  }

  async function createVideo(ev) {
    ev.preventDefault();
    var refs = Array.prototype.map.call($('video-assets').querySelectorAll('input:checked'),
                                        function (i) { return i.value; });
    var body = {
      model: $('video-model').value,
      prompt: $('video-prompt').value.trim(),
      ratio: $('video-ratio').value,
      duration: parseInt($('video-duration').value, 10) || 5,
      resolution: $('video-resolution').value,
      content: refs.map(function (id) {
        return { type: 'image_url', image_url: { url: 'asset://' + id }, role: 'reference_image' };
      }),
    };
    var submit = ev.target.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      var t = await S.api.videoCreate(body);
      var v = { id: t.id, prompt: body.prompt, created: t.created_at, task: t };
      S.videos.unshift(v);
      saveVideoIds();
      renderVideos();
      say('Video task ' + t.id + ' created (' + t.status + ').');
    } catch (e) {
      say('The video was not created: ' + errText(e), true);
    } finally {
      submit.disabled = false;
    }
  }

  function videoItem(v) {
    return el('li', { class: 'video', 'data-id': v.id },
              el('div', { class: 'video-head' },
                 el('span', { class: 'video-prompt' }, v.prompt || v.id),
                 el('span', { class: 'badge-slot' })),
              el('p', { class: 'muted video-meta' }, v.id),
              el('div', { class: 'video-body' }));
  }

  function fillVideo(li, v) {
    var t = v.task;
    var status = t ? t.status : 'loading';
    li.setAttribute('data-status', status);
    var cls = status === 'succeeded' ? 'active' : status === 'failed' ? 'failed' : 'processing';
    li.querySelector('.badge-slot').replaceChildren(el('span', { class: 'badge ' + cls }, status));
    var body = li.querySelector('.video-body');
    if (t && t.status === 'succeeded' && t.video_url) {
      var player = body.querySelector('video');
      if (!player) {
        player = el('video', { controls: true, preload: 'metadata', playsInline: true, muted: true,
                               'aria-label': 'Video: ' + (v.prompt || v.id) });
        player.src = t.video_url;
        body.replaceChildren(player);
      }
    } else if (t && t.status === 'failed') {
      var err = t.error || {};
      body.replaceChildren(el('p', { class: 'error' }, (err.code || 'failed') + ': ' + (err.message || '')));
    }
  }

  function renderVideos() {
    var list = $('video-list');
    var keep = new Set(S.videos.map(function (v) { return v.id; }));
    Array.prototype.slice.call(list.children).forEach(function (li) {
      if (!keep.has(li.getAttribute('data-id'))) li.remove();
    });
    S.videos.forEach(function (v, i) {
      var li = list.querySelector('li[data-id="' + CSS.escape(v.id) + '"]') || videoItem(v);
      fillVideo(li, v);
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    $('videos-empty').hidden = S.videos.length > 0;
    pollVideos(0);
  }

  function updateVideo(t) {
    for (var i = 0; i < S.videos.length; i++) {
      if (S.videos[i].id === t.id) {
        var before = S.videos[i].task && S.videos[i].task.status;
        S.videos[i].task = t;
        renderVideos();
        if (before && before !== t.status) say('Video ' + t.id + ' is ' + t.status + '.', t.status === 'failed');
        return;
      }
    }
  }

  /* Non-final tasks are read every 3 s (the stream also says when they end). */
  function pollVideos(delay) {
    if (S.videoTimer) clearTimeout(S.videoTimer);
    S.videoTimer = null;
    var open = S.videos.filter(function (v) { return !v.task || !FINAL_VIDEO[v.task.status]; });
    if (!open.length || !S.key) return;
    var epoch = S.epoch;
    S.videoTimer = setTimeout(async function () {
      S.videoTimer = null;
      for (var i = 0; i < open.length; i++) {
        try {
          var t = await S.api.videoGet(open[i].id);
          if (epoch !== S.epoch) return;
          open[i].task = t;
        } catch (e) {
          if (epoch !== S.epoch) return;
          if (e.status === 404) S.videos = S.videos.filter(function (v) { return v.id !== open[i].id; });
        }
      }
      saveVideoIds();
      renderVideos();
      if (!S.videoTimer) pollVideos(3000);
    }, delay);
  }

  // ------------------------------------------------------------- start

  function scanReturnNotice() {
    var q = new URLSearchParams(location.search);
    var token = q.get('bytedToken'), code = q.get('resultCode');
    if (!token) return;
    var p = $('scan-return');
    p.hidden = false;
    p.textContent = code === '10000' ? 'The face scan is complete. You can close this page, or log in to see its group.'
                                     : 'The face scan did not pass (result ' + (code || 'unknown') + ').';
  }

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
    $('group-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var name = $('group-name').value.trim();
      if (name) createGroup(cut(name, 50));
    });
    $('group-rename').addEventListener('click', renameGroup);
    $('group-delete').addEventListener('click', deleteGroup);
    $('asset-grid').addEventListener('click', onAssetAction);
    $('scan-start').addEventListener('click', startScan);
    $('scan-open-group').addEventListener('click', function () {
      var id = $('scan-open-group').getAttribute('data-group');
      go('library');
      loadGroups(id);
    });
    $('video-form').addEventListener('submit', createVideo);
    setupDrop();
    scanReturnNotice();
    var saved = sessionStorage.getItem(KEY_STORE);
    if (saved) login(saved);
  }

  init();
})();
