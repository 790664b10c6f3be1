/* sse.js — the event stream (API.md §4a, GET /v1/portrait/events) read
 * with fetch(): EventSource cannot send an Authorization header, so the
 * records are parsed here, as the HTML standard's "server-sent events"
 * section parses them, and the stream is resumed with Last-Event-ID.
 *
 *   PorticoSSE.Parser(onEvent)   feed(text) calls onEvent({id, type, data})
 *                                per record; lastEventId survives records
 *   PorticoSSE.Feed(opts)        keeps one stream open: reconnects with
 *                                backoff and Last-Event-ID, says whether it
 *                                is live (opts.onState) so that the page can
 *                                fall back to WaitAsset while it is not.
 *
 * A classic script (no module): it also runs under Node's vm for tests. */
(function (root) {
  'use strict';

  var LINE_MAX = 1 << 20; /* a line longer than this is not Portico's */

  function Parser(onEvent) {
    this.onEvent = onEvent;
    this.buf = '';
    this.lastEventId = '';
    this.data = [];
    this.type = '';
  }

  /* Text as it arrives (any split, even inside a CRLF). */
  Parser.prototype.feed = function (text) {
    this.buf += text;
    var start = 0;
    for (;;) {
      var i = start;
      var n = this.buf.length;
      while (i < n && this.buf[i] !== '\n' && this.buf[i] !== '\r') i++;
      if (i >= n) break;
      /* a CR at the very end may be the first half of CRLF: wait */
      if (this.buf[i] === '\r' && i + 1 >= n) break;
      var line = this.buf.slice(start, i);
      start = i + (this.buf[i] === '\r' && this.buf[i + 1] === '\n' ? 2 : 1);
      this.line(line);
    }
    this.buf = this.buf.slice(start);
    if (this.buf.length > LINE_MAX) throw new Error('the event stream sent a line too long');
  };

  Parser.prototype.line = function (line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line[0] === ':') return; /* a comment: the keep-alive */
    var colon = line.indexOf(':');
    var field = colon < 0 ? line : line.slice(0, colon);
    var value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && value.indexOf('\u0000') < 0) this.lastEventId = value;
    /* retry and unknown fields: ignored */
  };

  Parser.prototype.dispatch = function () {
    var data = this.data, type = this.type;
    this.data = [];
    this.type = '';
    if (!data.length) return;
    this.onEvent({ id: this.lastEventId, type: type || 'message', data: data.join('\n') });
  };

  /* opts: url, headers() -> object (Authorization), onEvent(record),
   * onState('connecting' | 'live' | 'down', detail), onUnauthorized(),
   * onResumeRefused() (the Last-Event-ID was refused: the page reloads
   * what it shows, the stream starts from now). */
  function Feed(opts) {
    this.opts = opts;
    this.parser = new Parser(opts.onEvent);
    this.ctrl = null;
    this.stopped = true;
    this.failures = 0;
    this.timer = null;
  }

  Feed.prototype.start = function () {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  };

  Feed.prototype.stop = function () {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ctrl) this.ctrl.abort();
    this.ctrl = null;
  };

  Feed.prototype.state = function (s, detail) {
    if (this.opts.onState) this.opts.onState(s, detail);
  };

  Feed.prototype.connect = function () {
    var self = this;
    if (self.stopped) return;
    self.state('connecting');
    self.run().then(function () {
      /* the server ended it (draining, or this reader fell behind) */
      self.retry('the stream ended');
    }, function (err) {
      if (self.stopped) return;
      if (err && err.status === 401) {
        self.stop();
        self.state('down', 'unauthorized');
        if (self.opts.onUnauthorized) self.opts.onUnauthorized();
        return;
      }
      if (err && err.status === 400 && self.parser.lastEventId) {
        self.parser.lastEventId = ''; /* past the retention: start afresh */
        if (self.opts.onResumeRefused) self.opts.onResumeRefused();
      }
      self.retry(err && err.message ? err.message : String(err));
    });
  };

  Feed.prototype.retry = function (why) {
    var self = this;
    if (self.stopped) return;
    self.ctrl = null;
    self.failures++;
    self.state('down', why);
    /* 1 s, 2 s, 4 s ... up to 30 s; meanwhile the page polls */
    var base = self.opts.retryBaseMs || 1000;
    var delay = Math.min(30 * base, base * Math.pow(2, Math.min(self.failures - 1, 5)));
    self.timer = setTimeout(function () {
      self.timer = null;
      self.connect();
    }, delay);
  };

  Feed.prototype.run = async function () {
    var ctrl = new AbortController();
    this.ctrl = ctrl;
    var headers = Object.assign({ Accept: 'text/event-stream' }, this.opts.headers());
    if (this.parser.lastEventId) headers['Last-Event-ID'] = this.parser.lastEventId;
    var resp = await fetch(this.opts.url, { headers: headers, signal: ctrl.signal, cache: 'no-store' });
    var type = resp.headers.get('Content-Type') || '';
    if (resp.status !== 200 || type.indexOf('text/event-stream') !== 0 || !resp.body) {
      var e = new Error('the event stream answered HTTP ' + resp.status);
      e.status = resp.status;
      throw e;
    }
    /* a fresh parser state for the new connection; the id carries over */
    var last = this.parser.lastEventId;
    this.parser = new Parser(this.opts.onEvent);
    this.parser.lastEventId = last;
    this.failures = 0;
    this.state('live');
    var reader = resp.body.getReader();
    var decoder = new TextDecoder();
    for (;;) {
      var r = await reader.read();
      if (r.done) break;
      this.parser.feed(decoder.decode(r.value, { stream: true }));
    }
  };

  root.PorticoSSE = { Parser: Parser, Feed: Feed };
})(typeof self !== 'undefined' ? self : this);
