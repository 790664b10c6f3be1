/* videos.js — the Videos view: creates a Seedance task (POST
 * /v1/videos/generations) from a prompt and Active images as
 * asset://<id> references, lists the tasks created in this browser (their
 * ids are kept in localStorage under a hash of the key: the API has no
 * list), reads open ones every 3 s (the stream's VideoSucceeded/
 * VideoFailed also update them) and plays a finished one inline. */
(function (C) {
  'use strict';

  var S = C.S, $ = C.$, el = C.el, say = C.say, errText = C.errText, keySpace = C.keySpace;

  var FINAL_VIDEO = { succeeded: 1, failed: 1 };

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
      pollVideos(1000);
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
  function openVideos() {
    return S.videos.filter(function (v) { return !v.task || !FINAL_VIDEO[v.task.status]; });
  }

  function pollVideos(delay) {
    if (S.videoTimer) clearTimeout(S.videoTimer);
    S.videoTimer = null;
    if (!openVideos().length || !S.key) return;
    var epoch = S.epoch;
    S.videoTimer = setTimeout(async function () {
      S.videoTimer = null;
      var open = openVideos(); /* as of now: the stream may have finished some */
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


  function enter() {
    S.videos = loadVideoIds();
    renderVideos();
    pollVideos(0);
  }

  function reset() {
    if (S.videoTimer) clearTimeout(S.videoTimer);
    S.videoTimer = null;
    S.videos = [];
    ['video-list', 'video-assets'].forEach(function (id) { $(id).replaceChildren(); });
  }

  function setup() {
    $('video-form').addEventListener('submit', createVideo);
  }

  C.videos = {
    setup: setup,
    reset: reset,
    enter: enter,
    showAssets: loadVideoAssets,
    update: updateVideo,
  };
})(self.PorticoConsole);
