// customers.js — the Customers view: the list, a form to create one, and a
// dialog to change AIGCEnabled / KeyRate / Disabled (CreateCustomer,
// ListCustomers, UpdateCustomer of API.md §7).
import { describeError } from './api.js';
import { $, h, clear, announce, busy } from './dom.js';
import { formatTime } from './format.js';

// Fills a <select> with the customers, keeping its choice when it still
// exists. allLabel adds a first option with the value "" (no filter).
export function fillCustomerSelect(select, customers, allLabel) {
  const keep = select.value;
  clear(select);
  if (allLabel) select.append(h('option', { value: '' }, allLabel));
  for (const c of customers) select.append(h('option', { value: String(c.Id) }, c.Name + (c.Disabled ? ' (disabled)' : '')));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

function badge(on, yes, no) {
  return h('span', { class: 'badge ' + (on ? 'on' : 'off') }, on ? yes : no);
}

export const KEY_RATE_MAX = 1000000;

// KeyRate from a number input: '' = not given (create: the gateway's
// default; update: unchanged); a whole number 0..KEY_RATE_MAX.
export function parseRate(value) {
  const v = String(value === undefined || value === null ? '' : value).trim();
  if (v === '') return { ok: true, rate: undefined };
  if (!/^\d{1,7}$/.test(v) || Number(v) > KEY_RATE_MAX) return { ok: false };
  return { ok: true, rate: Number(v) };
}

export function rateText(rate) {
  return !rate ? 'default' : rate + '/s';
}

// Customer ids are JSON integers; a <select> holds strings. The id as the
// list gave it, for a request body.
export function customerIdValue(value, customers) {
  const c = customers.find((x) => String(x.Id) === String(value));
  if (c) return c.Id;
  return /^\d{1,15}$/.test(String(value)) ? Number(value) : value;
}

const RATE_HELP = 'Key rate is a whole number of requests per second, 0 to ' + KEY_RATE_MAX.toLocaleString('en-US') +
  ' (0: the gateway\'s default).';

export class CustomersView {
  constructor(app) {
    this.app = app;
    this.editing = null;
    $('#customer-create').addEventListener('submit', (ev) => { ev.preventDefault(); this.create(ev.submitter); });
    $('#customers-refresh').addEventListener('click', (ev) => busy(ev.currentTarget, () => this.refresh(true)));
    $('#customers-filter').addEventListener('input', () => this.render());
    $('#edit-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.save(); });
    $('#edit-cancel').addEventListener('click', () => $('#edit-dialog').close());
    $('#edit-dialog').addEventListener('close', () => {
      if ($('#edit-dialog').open) return;  // a late close of an earlier showing
      const back = this.editOpener;
      this.editing = null;
      if (back && back.isConnected) back.focus();
    });
    app.onCustomers(() => { if (app.current === 'customers') this.render(); });
  }

  reset() {
    $('#customers-filter').value = '';
    clear($('#customers-table tbody'));
    $('#customers-count').textContent = '';
  }

  show() {
    this.render();
    this.refresh(false);
  }

  async refresh(announceIt) {
    try {
      await this.app.loadCustomers();
      if (announceIt) announce('Customer list refreshed.', 'ok');
    } catch (e) {
      announce('Could not list customers: ' + describeError(e), 'error');
    }
  }

  render() {
    const body = clear($('#customers-table tbody'));
    const all = this.app.customers;
    const find = $('#customers-filter').value.trim().toLowerCase();
    const list = find ? all.filter((c) => c.Name.toLowerCase().includes(find)) : all;
    $('#customers-count').textContent = (find ? list.length + ' of ' : '') + (all.length === 1 ? '1 customer' : all.length + ' customers');
    if (!list.length) {
      body.append(h('tr', {}, h('td', { colspan: 8, class: 'empty muted' },
        all.length ? 'No customer name contains "' + find + '".' : 'No customers yet: create the first one above.')));
      return;
    }
    for (const c of list) {
      const edit = h('button', { type: 'button', class: 'small', 'aria-label': 'Edit ' + c.Name,
        onclick: (ev) => this.edit(c, ev.currentTarget) }, 'Edit');
      const to = (view, label, text) => h('button', { type: 'button', class: 'small', 'aria-label': label + c.Name,
        onclick: () => this.app.go(view, { customerId: String(c.Id) }) }, text);
      const keys = to('keys', 'API keys of ', 'Keys');
      const usage = to('usage', 'Usage of ', 'Usage');
      const audit = to('audit', 'Audit log of ', 'Audit');
      body.append(h('tr', { dataset: { customerId: c.Id } },
        h('td', { 'data-label': 'Name', class: 'name' }, c.Name),
        h('td', { 'data-label': 'Id', class: 'id' }, c.Id),
        h('td', { 'data-label': 'AIGC' }, badge(c.AIGCEnabled, 'enabled', 'off')),
        h('td', { 'data-label': 'Key rate' }, rateText(c.KeyRate)),
        h('td', { 'data-label': 'Active keys' }, String(c.ActiveKeyCount === undefined ? '' : c.ActiveKeyCount)),
        h('td', { 'data-label': 'State' }, badge(!c.Disabled, 'active', 'disabled')),
        h('td', { 'data-label': 'Created' }, c.CreateTime ? formatTime(c.CreateTime) : ''),
        h('td', { class: 'actions' }, edit, keys, usage, audit)));
      if (this.focusId !== undefined && c.Id === this.focusId) {
        this.focusId = undefined;
        edit.focus();
      }
    }
  }

  async create(submitter) {
    const form = $('#customer-create');
    const err = $('#cc-error');
    err.textContent = '';
    const name = form.elements.Name.value.trim();
    if (!name) {
      err.textContent = 'Give the customer a name.';
      form.elements.Name.focus();
      return;
    }
    const rate = parseRate(form.elements.KeyRate.value);
    if (!rate.ok) {
      err.textContent = RATE_HELP;
      form.elements.KeyRate.focus();
      return;
    }
    const body = { Name: name, AIGCEnabled: form.elements.AIGCEnabled.checked };
    if (rate.rate !== undefined) body.KeyRate = rate.rate;
    await busy(submitter || form.querySelector('button[type="submit"]'), async () => {
      try {
        const r = await this.app.client.call('CreateCustomer', body);
        form.reset();
        announce('Customer "' + name + '" created (' + r.Id + ').', 'ok');
        await this.app.loadCustomers();
      } catch (e) {
        err.textContent = 'Could not create the customer: ' + describeError(e);
      }
    });
  }

  edit(c, opener) {
    this.editing = c;
    this.editOpener = opener;
    $('#edit-title').textContent = 'Edit ' + c.Name;
    $('#edit-id').textContent = c.Id;
    $('#edit-name').value = c.Name;
    $('#edit-rate').value = c.KeyRate === undefined || c.KeyRate === null ? '' : String(c.KeyRate);
    $('#edit-aigc').checked = !!c.AIGCEnabled;
    $('#edit-disabled').checked = !!c.Disabled;
    $('#edit-error').textContent = '';
    $('#edit-dialog').showModal();
    $('#edit-name').focus();
  }

  async save() {
    const c = this.editing;
    if (!c) return;
    const err = $('#edit-error');
    err.textContent = '';
    const name = $('#edit-name').value.trim();
    if (!name) {
      err.textContent = 'A customer needs a name.';
      $('#edit-name').focus();
      return;
    }
    const rate = parseRate($('#edit-rate').value);
    if (!rate.ok) {
      err.textContent = RATE_HELP;
      $('#edit-rate').focus();
      return;
    }
    const body = { Id: c.Id, AIGCEnabled: $('#edit-aigc').checked, Disabled: $('#edit-disabled').checked };
    if (name !== c.Name) body.Name = name;
    if (rate.rate !== undefined) body.KeyRate = rate.rate;
    await busy($('#edit-save'), async () => {
      try {
        await this.app.client.call('UpdateCustomer', body);
        this.focusId = c.Id;  // its Edit button again, once the rows are redrawn
        $('#edit-dialog').close();
        announce('Customer "' + name + '" saved.', 'ok');
        await this.app.loadCustomers();
      } catch (e) {
        err.textContent = 'Could not save: ' + describeError(e);
      }
    });
  }
}
