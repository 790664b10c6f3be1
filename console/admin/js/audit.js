// audit.js — the Audit log view (ListAuditEvents of API.md §7): filters by
// customer (or the operators' own keys), type and time range; newest first,
// a page at a time. Pages go by cursor (NextCursor: the entries older than
// the page's last), so a page stays put while new entries arrive; Newer
// walks back the cursors already seen.
import { describeError } from './api.js';
import { $, h, clear, busy } from './dom.js';
import { formatTime, localInputToRfc3339 } from './format.js';
import { customerIdValue, fillCustomerSelect } from './customers.js';

const PAGE_SIZE = 20;
export const AUDIT_TYPES = [
  'ApiKeyCreated', 'ApiKeyRevoked', 'AdminKeyCreated', 'AdminKeyRevoked',
  'LivenessSessionStarted', 'LivenessSessionPassed', 'LivenessSessionFailed', 'LivenessSessionExpired',
  'LivenessAssetRegistered', 'AssetGroupDeleted', 'AssetDeleted',
  'CustomerCreated', 'CustomerUpdated', 'CustomerDisabled', 'CustomerEnabled',
];
const OPERATORS = '0';  // CustomerId 0: entries of the operators' own (admin) keys

// "ApiKeyCreated" -> "API key created"
export function typeLabel(t) {
  return String(t || '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
    .replace(/^api /, 'API ').replace(/^./, (c) => c.toUpperCase());
}

// A Detail value as text: a change ({From, To}, CustomerUpdated) as
// "old → new", another object as JSON.
export function detailText(v) {
  const one = (x) => (x !== null && typeof x === 'object' ? JSON.stringify(x) : String(x));
  const change = v !== null && typeof v === 'object' && !Array.isArray(v) &&
    Object.keys(v).length === 2 && 'From' in v && 'To' in v;
  return change ? one(v.From) + ' → ' + one(v.To) : one(v);
}

// Actor.KeyPrefix: a customer's or an admin key's prefix, "cli" for the
// command line, "" for Portico itself.
export function actorText(prefix) {
  return prefix === 'cli' ? 'command line' : prefix || 'Portico';
}

export class AuditView {
  constructor(app) {
    this.app = app;
    this.cursors = [''];  // cursors[i]: the Cursor of page i+1
    this.next = '';
    this.seq = 0;  // the last ListAuditEvents asked: only its answer is shown
    $('#audit-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.cursors = [''];
      busy(ev.submitter, () => this.load());
    });
    $('#audit-reset').addEventListener('click', () => { $('#audit-form').reset(); this.cursors = ['']; this.load(); });
    $('#audit-prev').addEventListener('click', (ev) => {
      if (this.cursors.length > 1) { this.cursors.pop(); busy(ev.currentTarget, () => this.load()); }
    });
    $('#audit-next').addEventListener('click', (ev) => {
      if (this.next) { this.cursors.push(this.next); busy(ev.currentTarget, () => this.load()); }
    });
    app.onCustomers((list) => this.fillCustomers(list));
    const types = $('#audit-type');
    types.append(h('option', { value: '' }, 'All types'));
    for (const t of AUDIT_TYPES) types.append(h('option', { value: t }, typeLabel(t)));
  }

  fillCustomers(list) {
    const select = $('#audit-customer');
    const keep = select.value;
    fillCustomerSelect(select, list, 'All customers');
    select.insertBefore(h('option', { value: OPERATORS }, 'Operators (admin keys)'), select.options[1] || null);
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }

  reset() {
    this.seq++;  // an answer still on its way is dropped
    clear($('#audit-table tbody'));
    $('#audit-summary').textContent = '';
    this.cursors = [''];
    this.next = '';
  }

  show(opts) {
    this.fillCustomers(this.app.customers);
    if (opts.customerId) $('#audit-customer').value = opts.customerId;
    this.cursors = [''];
    this.load();
  }

  byGroup(id) {
    $('#audit-form').reset();
    $('#audit-group').value = id;
    this.cursors = [''];
    this.load();
    $('#audit-title').focus();
  }

  filters() {
    const f = {};
    const id = $('#audit-customer').value;
    if (id === OPERATORS) f.CustomerId = 0;
    else if (id) f.CustomerId = customerIdValue(id, this.app.customers);
    if ($('#audit-type').value) f.Type = $('#audit-type').value;
    const group = $('#audit-group').value.trim();
    if (group) f.GroupId = group;
    const from = localInputToRfc3339($('#audit-from').value);
    const to = localInputToRfc3339($('#audit-to').value);
    if (from) f.From = from;
    if (to) f.To = to;
    return f;
  }

  async load() {
    $('#audit-error').textContent = '';
    const f = this.filters();
    if (f.From && f.To && f.From >= f.To) {
      $('#audit-error').textContent = 'From must be before To.';
      return;
    }
    const cursor = this.cursors[this.cursors.length - 1];
    const body = Object.assign({ PageSize: PAGE_SIZE }, f);
    if (cursor) body.Cursor = cursor;
    const seq = ++this.seq;
    try {
      const r = await this.app.client.call('ListAuditEvents', body);
      if (seq !== this.seq) return;  // a newer question was asked meanwhile
      this.next = r.NextCursor || '';
      this.render(r.Items || []);
    } catch (e) {
      if (seq !== this.seq) return;
      $('#audit-error').textContent = 'Could not load the audit log: ' + describeError(e);
    }
  }

  render(items) {
    const body = clear($('#audit-table tbody'));
    const page = this.cursors.length;
    $('#audit-page').textContent = 'Page ' + page;
    $('#audit-prev').disabled = page <= 1;
    $('#audit-next').disabled = !this.next;
    $('#audit-summary').textContent = (items.length === 1 ? '1 event' : items.length + ' events') +
      (page > 1 ? ' on page ' + page : '') + (this.next ? '; older ones on the next page.' : '.');
    if (!items.length) {
      body.append(h('tr', {}, h('td', { colspan: 6, class: 'empty muted' }, 'No events match these filters.')));
      return;
    }
    for (const ev of items) {
      const actor = ev.Actor || {};
      const customer = ev.CustomerId ? (ev.CustomerName || this.app.customerName(ev.CustomerId) || '#' + ev.CustomerId)
        : 'operators';
      const facts = [];
      if (ev.Subject) facts.push(['Subject', ev.Subject]);
      // A group's entries (the scan that made it, its assets, its delete)
      // are one click away.
      if (ev.GroupId) {
        facts.push(['Group', h('button', { type: 'button', class: 'link id', title: 'Show the entries of this group',
          onclick: () => this.byGroup(ev.GroupId) }, ev.GroupId)]);
      }
      for (const [k, v] of Object.entries(ev.Detail || {})) {
        if (v !== '' && v !== null && v !== undefined) facts.push([k, detailText(v)]);
      }
      body.append(h('tr', { dataset: { type: ev.Type || '', id: ev.Id } },
        h('td', { 'data-label': 'Time' }, h('time', { datetime: ev.Time }, formatTime(ev.Time))),
        h('td', { 'data-label': 'Type' }, h('span', { class: 'badge neutral', title: ev.Type }, typeLabel(ev.Type))),
        h('td', { 'data-label': 'Customer' }, customer),
        h('td', { 'data-label': 'Key', class: 'id' }, actorText(actor.KeyPrefix)),
        h('td', { 'data-label': 'Address', class: 'id' }, actor.Address || ''),
        h('td', { 'data-label': 'Details', class: 'details' },
          facts.length ? h('dl', {}, facts.map(([k, v]) => [h('dt', {}, k), h('dd', { class: 'id' }, v)])) : '')));
    }
  }
}
