// api.js — the operators' API client (API.md §7): POST
// /admin/?Action=..&Version=2024-01-01 with the admin key as a Bearer token,
// answered with the §2 envelope. Errors become ApiError with the server's
// Code and Message (one sentence telling the operator what to fix).

export const VERSION = '2024-01-01';
const TIMEOUT_MS = 30000;

export class ApiError extends Error {
  constructor(code, message, status, requestId) {
    super(message || code);
    this.code = code;
    this.status = status;
    this.requestId = requestId || '';
  }
}

export function actionUrl(action) {
  return '/admin/?Action=' + encodeURIComponent(action) + '&Version=' + VERSION;
}

export class AdminClient {
  constructor(key, fetchImpl) {
    this.key = key;
    this.fetch = fetchImpl || ((...a) => window.fetch(...a));
    this.onUnauthorized = null;
  }

  async post(action, body) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
    try {
      return await this.fetch(actionUrl(action), {
        method: 'POST',
        headers: { 'Authorization': 'Bearer ' + this.key, 'Content-Type': 'application/json' },
        body: JSON.stringify(body || {}),
        signal: ctl.signal,
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      if (e && e.name === 'AbortError') throw new ApiError('Timeout', 'The gateway did not answer within 30 seconds; try again.', 0);
      throw new ApiError('NetworkError', 'The gateway could not be reached; check the admin listener is running.', 0);
    } finally {
      clearTimeout(timer);
    }
  }

  // The Result of one Action, or an ApiError.
  async call(action, body) {
    const resp = await this.post(action, body);
    let env = null;
    try { env = await resp.json(); } catch (e) { env = null; }
    const meta = env && env.ResponseMetadata;
    const err = meta && meta.Error;
    if (!resp.ok || err || !env) {
      const e = new ApiError((err && err.Code) || 'HTTP' + resp.status,
        (err && err.Message) || 'The gateway answered HTTP ' + resp.status + '.', resp.status,
        (meta && meta.RequestId) || resp.headers.get('X-Request-Id'));
      if (resp.status === 401 && this.onUnauthorized) this.onUnauthorized(e);
      throw e;
    }
    return env.Result || {};
  }

  // A non-JSON answer (GetUsage with Format=csv) as a Blob; an error answer
  // is still the JSON envelope.
  async download(action, body) {
    const resp = await this.post(action, body);
    const type = resp.headers.get('Content-Type') || '';
    if (!resp.ok || type.startsWith('application/json')) {
      let env = null;
      try { env = await resp.json(); } catch (e) { env = null; }
      const meta = env && env.ResponseMetadata;
      const err = meta && meta.Error;
      const e = new ApiError((err && err.Code) || 'HTTP' + resp.status,
        (err && err.Message) || 'The gateway answered HTTP ' + resp.status + ' without a file.', resp.status,
        meta && meta.RequestId);
      if (resp.status === 401 && this.onUnauthorized) this.onUnauthorized(e);
      throw e;
    }
    return resp.blob();
  }
}

export function describeError(e) {
  if (e instanceof ApiError) return e.message + (e.code && !e.code.startsWith('HTTP') ? ' (' + e.code + ')' : '');
  return String(e && e.message || e);
}
