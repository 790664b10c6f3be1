/* library.js — the Library view: groups (list, create, rename, delete
 * with confirmation), the chosen group's assets as a grid of thumbnails
 * with status badges, drag-and-drop upload (and a file picker) with a
 * progress bar per file, rename and delete of assets.
 *
 * Badges change in place: from the event stream's AssetActive/AssetFailed
 * (app.js hands them to updateAsset) or, while the stream is down, from a
 * WaitAsset per Processing asset on screen (watchProcessing). Thumbnails
 * (GET /v1/portrait/thumbnails/{id}) are fetched with the key and shown
 * through blob: URLs, kept for the session. */
(function (C) {
  'use strict';

  var S = C.S, $ = C.$, el = C.el, say = C.say, errText = C.errText, cut = C.cut, ask = C.ask;

  var THUMBS = '/v1/portrait/thumbnails/';
  var TYPES = ['image/jpeg', 'image/png', 'image/webp'];
  var UPLOAD_MAX = 10 * 1024 * 1024;
  var WAITERS_MAX = 3;

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


  // ------------------------------------------------------------- life cycle

  function reset() {
    S.thumbs.forEach(function (u) { URL.revokeObjectURL(u); });
    S.thumbs.clear();
    S.assets.clear();
    S.waiting.clear();
    S.groups = [];
    S.groupId = null;
    S.uploads = [];
    ['group-list', 'asset-grid', 'uploads'].forEach(function (id) { $(id).replaceChildren(); });
  }

  function setup() {
    $('group-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var name = $('group-name').value.trim();
      if (name) createGroup(cut(name, 50));
    });
    $('group-rename').addEventListener('click', renameGroup);
    $('group-delete').addEventListener('click', deleteGroup);
    $('asset-grid').addEventListener('click', onAssetAction);
    setupDrop();
  }

  C.library = {
    setup: setup,
    reset: reset,
    loadGroups: loadGroups,
    refreshAssets: refreshAssets,
    updateAsset: updateAsset,
    watchProcessing: watchProcessing,
  };
})(self.PorticoConsole);
