/* api.js — the customers' console's calls to Portico's public API, each
 * with the key as "Authorization: Bearer" (API.md §1):
 *   action(name, body)        POST /v1/portrait/?Action=&Version= (§2)
 *   upload(file, group, name, onProgress)
 *                             POST /v1/portrait/upload, multipart (§3), by
 *                             XMLHttpRequest: fetch() reports no upload progress
 *   image(path)               a picture endpoint (thumbnails, QR codes: §7)
 *                             as a Blob, for an object URL
 *   videoCreate(body), videoGet(id)   /v1/videos/generations (§4)
 * Every failure is an ApiError {status, code, message}; a 401 also calls
 * onUnauthorized (the page logs out). */
(function (root) {
  'use strict';

  var VERSION = '2024-01-01';

  function ApiError(status, code, message) {
    var e = new Error(message || code || 'HTTP ' + status);
    e.name = 'ApiError';
    e.status = status;
    e.code = code || '';
    return e;
  }

  function Api(getKey, onUnauthorized) {
    this.getKey = getKey;
    this.onUnauthorized = onUnauthorized;
  }

  Api.prototype.headers = function (extra) {
    return Object.assign({ Authorization: 'Bearer ' + this.getKey() }, extra || {});
  };

  Api.prototype.fail = function (status, code, message) {
    if (status === 401 && this.onUnauthorized) this.onUnauthorized();
    return ApiError(status, code, message);
  };

  async function json(resp) {
    try {
      return await resp.json();
    } catch (e) {
      return null;
    }
  }

  /* The Volcengine envelope: Result, or its Error. */
  function envelopeError(api, resp, body) {
    var md = body && body.ResponseMetadata;
    var err = md && md.Error;
    return api.fail(resp.status, err ? err.Code : 'HTTP' + resp.status,
                    err ? err.Message : 'The gateway answered HTTP ' + resp.status + '.');
  }

  Api.prototype.action = async function (name, body, signal) {
    var resp;
    try {
      resp = await fetch('/v1/portrait/?Action=' + encodeURIComponent(name) + '&Version=' + VERSION, {
        method: 'POST',
        headers: this.headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify(body || {}),
        cache: 'no-store',
        signal: signal,
      });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw ApiError(0, 'NetworkError', 'The gateway could not be reached.');
    }
    var data = await json(resp);
    if (!resp.ok || !data || !data.Result) throw envelopeError(this, resp, data);
    return data.Result;
  };

  Api.prototype.image = async function (path) {
    var resp;
    try {
      resp = await fetch(path, { headers: this.headers() });
    } catch (e) {
      throw ApiError(0, 'NetworkError', 'The gateway could not be reached.');
    }
    if (!resp.ok) throw envelopeError(this, resp, await json(resp));
    return resp.blob();
  };

  /* Resolves with the Asset; onProgress(loaded, total) as bytes go out. */
  Api.prototype.upload = function (file, groupId, name, onProgress) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var form = new FormData();
      form.append('GroupId', groupId);
      if (name) form.append('Name', name);
      form.append('file', file, file.name || 'image');
      var xhr = new XMLHttpRequest();
      xhr.open('POST', '/v1/portrait/upload');
      xhr.setRequestHeader('Authorization', 'Bearer ' + self.getKey());
      xhr.responseType = 'json';
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable && onProgress) onProgress(e.loaded, e.total);
      });
      xhr.addEventListener('load', function () {
        var body = xhr.response;
        if (xhr.status === 200 && body && body.Result) {
          resolve(body.Result);
          return;
        }
        var err = body && body.ResponseMetadata && body.ResponseMetadata.Error;
        reject(self.fail(xhr.status, err ? err.Code : 'HTTP' + xhr.status,
                         err ? err.Message : 'The upload failed (HTTP ' + xhr.status + ').'));
      });
      xhr.addEventListener('error', function () {
        reject(ApiError(0, 'NetworkError', 'The upload could not reach the gateway.'));
      });
      xhr.send(form);
    });
  };

  /* The video surface's {"error": {code, message}}. */
  async function video(api, resp) {
    var data = await json(resp);
    if (resp.ok && data) return data;
    var err = data && data.error;
    throw api.fail(resp.status, err ? err.code : 'http_' + resp.status,
                   err ? err.message : 'The gateway answered HTTP ' + resp.status + '.');
  }

  Api.prototype.videoCreate = async function (body) {
    var resp = await fetch('/v1/videos/generations', {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body),
    });
    return video(this, resp);
  };

  Api.prototype.videoGet = async function (id) {
    var resp = await fetch('/v1/videos/generations/' + encodeURIComponent(id), {
      headers: this.headers(), cache: 'no-store',
    });
    return video(this, resp);
  };

  root.PorticoApi = { Api: Api, ApiError: ApiError, VERSION: VERSION };
})(typeof self !== 'undefined' ? self : this);
