// keys.js — the API keys of one customer: list, create (the key is shown
// once, with a Copy button and a warning: only its hash is stored), and
// revoke after a confirmation (CreateApiKey, ListApiKeys, RevokeApiKey of
// API.md §7).
import { describeError } from './api.js';
import { $, h, clear, announce, busy } from './dom.js';
import { formatTime } from './format.js';
import { customerIdValue, fillCustomerSelect } from './customers.js';
import { confirmDialog } from './dialog.js';

const PAGE_SIZE = 50;

export class KeysView {
  constructor(app) {
    this.app = app;
    this.page = 1;
    $('#keys-customer').addEventListener('change', () => { this.hideNewKey(); this.page = 1; this.refresh(); });
    $('#keys-prev').addEventListener('click', () => { if (this.page > 1) { this.page--; this.refresh(); } });
    $('#keys-next').addEventListener('click', () => { this.page++; this.refresh(); });
    $('#keys-create').addEventListener('click', (ev) => this.create(ev.currentTarget));
    $('#keys-refresh').addEventListener('click', (ev) => busy(ev.currentTarget, () => this.refresh()));
    $('#new-key-copy').addEventListener('click', () => this.copy());
    $('#new-key-done').addEventListener('click', () => { this.hideNewKey(); $('#keys-create').focus(); });
    app.onCustomers((list) => fillCustomerSelect($('#keys-customer'), list));
  }

  reset() {
    this.hideNewKey();
    clear($('#keys-table tbody'));
    this.page = 1;
  }

  show(opts) {
    const select = $('#keys-customer');
    fillCustomerSelect(select, this.app.customers);
    if (opts.customerId && select.value !== opts.customerId) {
      select.value = opts.customerId;
      this.hideNewKey();
      this.page = 1;
    }
    this.refresh();
  }

  customerId() {
    return $('#keys-customer').value;
  }

  customerIdValue() {
    return customerIdValue(this.customerId(), this.app.customers);
  }

  async refresh() {
    const id = this.customerId();
    const disabled = !id;
    $('#keys-create').disabled = disabled;
    if (!id) {
      clear($('#keys-table tbody'));
      $('#keys-pager').hidden = true;
      $('#keys-empty').hidden = false;
      $('#keys-empty').textContent = 'Create a customer first: keys belong to a customer.';
      return;
    }
    const page = this.page;
    try {
      const r = await this.app.client.call('ListApiKeys', { CustomerId: this.customerIdValue(), PageNumber: page, PageSize: PAGE_SIZE });
      if (id !== this.customerId() || page !== this.page) return;  // the choice changed while we waited
      const pages = Math.max(1, Math.ceil((r.TotalCount || 0) / PAGE_SIZE));
      if (page > pages) { this.page = pages; return this.refresh(); }
      $('#keys-pager').hidden = pages <= 1;
      $('#keys-page').textContent = 'Page ' + page + ' of ' + pages;
      $('#keys-prev').disabled = page <= 1;
      $('#keys-next').disabled = page >= pages;
      this.render(r.Items || []);
    } catch (e) {
      announce('Could not list the keys: ' + describeError(e), 'error');
    }
  }

  render(keys) {
    const body = clear($('#keys-table tbody'));
    $('#keys-empty').textContent = 'This customer has no API keys yet.';
    $('#keys-empty').hidden = keys.length > 0;
    for (const k of keys) {
      const revoked = k.Status === 'Revoked' || !!k.RevokeTime;
      const revoke = revoked ? '' : h('button', { type: 'button', class: 'small danger',
        'aria-label': 'Revoke key ' + k.Prefix, onclick: (ev) => this.revoke(k, ev.currentTarget) }, 'Revoke');
      body.append(h('tr', { dataset: { prefix: k.Prefix } },
        h('td', { 'data-label': 'Prefix', class: 'id' }, k.Prefix),
        h('td', { 'data-label': 'State' }, h('span', { class: 'badge ' + (revoked ? 'off' : 'on') }, revoked ? 'revoked' : 'active')),
        h('td', { 'data-label': 'Created' }, k.CreateTime ? formatTime(k.CreateTime) : ''),
        h('td', { 'data-label': 'Revoked' }, k.RevokeTime ? formatTime(k.RevokeTime) : revoked ? 'yes' : '—'),
        h('td', { class: 'actions' }, revoke)));
    }
  }

  async create(button) {
    const id = this.customerId();
    if (!id) return;
    await busy(button, async () => {
      try {
        const r = await this.app.client.call('CreateApiKey', { CustomerId: this.customerIdValue() });
        this.showNewKey(r.Key, this.app.customerName(id) || id);
        this.page = 1;
        await this.refresh();
      } catch (e) {
        announce('Could not create the key: ' + describeError(e), 'error');
      }
    });
  }

  showNewKey(key, customer) {
    $('#new-key-value').value = key;
    $('#new-key-customer').textContent = customer;
    $('#new-key-copied').textContent = '';
    const box = $('#new-key');
    box.hidden = false;
    box.focus();
    announce('API key created. It is shown once: copy it now.', 'ok');
  }

  hideNewKey() {
    $('#new-key-value').value = '';
    $('#new-key').hidden = true;
  }

  async copy() {
    const input = $('#new-key-value');
    const text = input.value;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch (e) {
      // No clipboard API (plain http on a non-loopback host): select the
      // text and use the older command.
      input.focus();
      input.select();
      try { copied = document.execCommand('copy'); } catch (e2) { copied = false; }
    }
    $('#new-key-copied').textContent = copied ? 'Copied to the clipboard.'
      : 'Could not copy automatically: the key is selected, press Ctrl+C (or ⌘C).';
    if (!copied) { input.focus(); input.select(); }
  }

  async revoke(k, button) {
    const name = this.app.customerName(this.customerId());
    const yes = await confirmDialog('Revoke key ' + k.Prefix + '?',
      'Requests with this key are refused (Unauthorized) within about a second, on every node' +
      (name ? ', and ' + name + ' will need another key' : '') + '. This cannot be undone.', 'Revoke key');
    if (!yes) return;
    await busy(button, async () => {
      try {
        await this.app.client.call('RevokeApiKey', { Prefix: k.Prefix });
        announce('Key ' + k.Prefix + ' revoked.', 'ok');
        await this.refresh();
        // The button is gone with the old rows: keep the keyboard's place.
        const row = [...document.querySelectorAll('#keys-table tbody tr')].find((r) => r.dataset.prefix === k.Prefix);
        if (row) { row.tabIndex = -1; row.focus(); }
      } catch (e) {
        announce('Could not revoke the key: ' + describeError(e), 'error');
      }
    });
  }
}
