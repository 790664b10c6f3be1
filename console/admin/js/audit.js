// audit.js — the Audit log view (ListAuditEvents of API.md §7): filters by
// customer, type and time range; newest first, a page at a time.
import { describeError } from './api.js';
import { $, h, clear, busy } from './dom.js';
import { formatTime, localInputToRfc3339 } from './format.js';
import { customerIdValue, fillCustomerSelect } from './customers.js';

const PAGE_SIZE = 20;
const MAIN_FIELDS = ['Id', 'Time', 'CreateTime', 'Type', 'CustomerId', 'CustomerName', 'KeyPrefix', 'Addr', 'IP'];

export class AuditView {
  constructor(app) {
    this.app = app;
    this.page = 1;
    this.types = new Set();
    $('#audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.page = 1; busy(ev.submitter, () => this.load()); });
    $('#audit-reset').addEventListener('click', () => { $('#audit-form').reset(); this.page = 1; this.load(); });
    $('#audit-prev').addEventListener('click', () => { if (this.page > 1) { this.page--; this.load(); } });
    $('#audit-next').addEventListener('click', () => { this.page++; this.load(); });
    app.onCustomers((list) => fillCustomerSelect($('#audit-customer'), list, 'All customers'));
    this.fillTypes();
  }

  reset() {
    clear($('#audit-table tbody'));
    $('#audit-summary').textContent = '';
    this.page = 1;
  }

  show(opts) {
    fillCustomerSelect($('#audit-customer'), this.app.customers, 'All customers');
    if (opts.customerId) $('#audit-customer').value = opts.customerId;
    this.load();
  }

  fillTypes() {
    const select = $('#audit-type');
    const keep = select.value;
    clear(select);
    select.append(h('option', { value: '' }, 'All types'));
    for (const t of [...this.types].sort()) select.append(h('option', { value: t }, t));
    select.value = [...select.options].some((o) => o.value === keep) ? keep : '';
  }

  filters() {
    const f = {};
    const id = $('#audit-customer').value;
    if (id) f.CustomerId = customerIdValue(id, this.app.customers);
    if ($('#audit-type').value) f.Type = $('#audit-type').value;
    const from = localInputToRfc3339($('#audit-from').value);
    const to = localInputToRfc3339($('#audit-to').value);
    if (from) f.From = from;
    if (to) f.To = to;
    return f;
  }

  async load() {
    $('#audit-error').textContent = '';
    const f = this.filters();
    if (f.From && f.To && f.From > f.To) {
      $('#audit-error').textContent = 'From must not be after To.';
      return;
    }
    try {
      const r = await this.app.client.call('ListAuditEvents', Object.assign({ PageNumber: this.page, PageSize: PAGE_SIZE }, f));
      this.render(r.Items || [], r.TotalCount || 0);
    } catch (e) {
      $('#audit-error').textContent = 'Could not load the audit log: ' + describeError(e);
    }
  }

  render(items, total) {
    const body = clear($('#audit-table tbody'));
    for (const ev of items) if (ev.Type) this.types.add(ev.Type);
    this.fillTypes();
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    $('#audit-page').textContent = 'Page ' + this.page + ' of ' + pages;
    $('#audit-prev').disabled = this.page <= 1;
    $('#audit-next').disabled = this.page >= pages;
    $('#audit-summary').textContent = total === 1 ? '1 event.' : total + ' events.';
    if (!items.length) {
      body.append(h('tr', {}, h('td', { colspan: 6, class: 'empty muted' }, 'No events match these filters.')));
      return;
    }
    for (const ev of items) {
      const extra = Object.entries(ev).filter(([k, v]) => !MAIN_FIELDS.includes(k) && v !== '' && v !== null && v !== undefined);
      const customer = ev.CustomerName || this.app.customerName(String(ev.CustomerId)) || (ev.CustomerId || '');
      body.append(h('tr', { dataset: { type: ev.Type || '' } },
        h('td', { 'data-label': 'Time' }, formatTime(ev.Time || ev.CreateTime)),
        h('td', { 'data-label': 'Type' }, h('span', { class: 'badge neutral' }, ev.Type || '')),
        h('td', { 'data-label': 'Customer' }, String(customer)),
        h('td', { 'data-label': 'Key', class: 'id' }, ev.KeyPrefix || ''),
        h('td', { 'data-label': 'Address', class: 'id' }, ev.Addr || ev.IP || ''),
        h('td', { 'data-label': 'Details', class: 'details' }, extra.length ? h('dl', {}, extra.map(([k, v]) =>
          [h('dt', {}, k), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))])) : '')));
    }
  }
}
