// app.js — the operators' console: log in with an admin key, then one view
// at a time (customers, API keys, usage, audit log) chosen by the URL's
// hash, so Back and reload keep the place. The key lives in sessionStorage:
// this tab only, gone when it closes or on Log out.
import { AdminClient, describeError } from './api.js';
import { $, announce, busy } from './dom.js';
import { CustomersView } from './customers.js';
import { KeysView } from './keys.js';
import { UsageView } from './usage.js';
import { AuditView } from './audit.js';

const KEY_STORAGE = 'portico.adminKey';
const VIEWS = ['customers', 'keys', 'usage', 'audit'];
const CUSTOMER_PAGES_MAX = 50;  // 100 per page: the selectors list at most 5000 customers

class Console {
  constructor() {
    this.client = null;
    this.customers = [];       // every customer, for the selectors and names in tables
    this.customerListeners = [];
    this.views = {
      customers: new CustomersView(this),
      keys: new KeysView(this),
      usage: new UsageView(this),
      audit: new AuditView(this),
    };
    this.current = null;
  }

  start() {
    $('#login-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.login(ev.submitter); });
    $('#logout').addEventListener('click', () => this.logout('Logged out.'));
    for (const b of document.querySelectorAll('#nav button[data-view]')) {
      b.addEventListener('click', () => this.go(b.dataset.view));
    }
    window.addEventListener('hashchange', () => this.route());
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) this.enter(key, false);
    else this.showLogin();
  }

  showLogin(message) {
    this.client = null;
    $('#nav').hidden = true;
    $('#logout').hidden = true;
    for (const v of VIEWS) $('#view-' + v).hidden = true;
    $('#view-login').hidden = false;
    $('#login-error').textContent = message || '';
    $('#login-key').value = '';
    $('#login-key').focus();
  }

  async login(button) {
    const key = $('#login-key').value.trim();
    if (!key) {
      $('#login-error').textContent = 'Enter the admin key.';
      $('#login-key').focus();
      return;
    }
    await busy(button || $('#login-form button[type="submit"]'), () => this.enter(key, true));
  }

  // Checks the key with one ListCustomers call before showing anything.
  async enter(key, fromForm) {
    const client = new AdminClient(key);
    try {
      await this.loadCustomers(client);
    } catch (e) {
      sessionStorage.removeItem(KEY_STORAGE);
      this.showLogin(e.status === 401 ? 'That admin key was refused. Check it and try again.' : describeError(e));
      return;
    }
    client.onUnauthorized = () => this.logout('The admin key is no longer accepted; log in again.', true);
    this.client = client;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('#login-key').value = '';
    $('#login-error').textContent = '';
    $('#view-login').hidden = true;
    $('#nav').hidden = false;
    $('#logout').hidden = false;
    if (fromForm) announce('Logged in.', 'ok');
    this.route(true);
  }

  logout(message, isError) {
    sessionStorage.removeItem(KEY_STORAGE);
    this.customers = [];
    for (const v of Object.values(this.views)) if (v.reset) v.reset();
    this.current = null;
    history.replaceState(null, '', location.pathname + location.search);
    this.showLogin(isError ? message : '');
    if (!isError && message) announce(message, 'ok');
  }

  go(view, opts) {
    this.pending = opts || null;
    if (location.hash === '#' + view) this.route();
    else location.hash = view;  // hashchange routes
  }

  route(initial) {
    if (!this.client) return;
    let view = location.hash.replace(/^#/, '');
    if (!VIEWS.includes(view)) view = 'customers';
    for (const v of VIEWS) $('#view-' + v).hidden = v !== view;
    for (const b of document.querySelectorAll('#nav button[data-view]')) {
      if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    const opts = this.pending;
    this.pending = null;
    const changed = this.current !== view;
    this.current = view;
    if (changed && !initial) announce('');  // a message belongs to the view that said it
    document.title = 'Portico — ' + $('#' + view + '-title').textContent.toLowerCase() + ' — operators';
    this.views[view].show(opts || {});
    // Keyboard and screen-reader users land at the new view's heading.
    if (changed && !initial) {
      const heading = $('#' + view + '-title');
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  // Every customer (ListCustomers page by page) into this.customers.
  async loadCustomers(client) {
    const c = client || this.client;
    const all = [];
    for (let page = 1; page <= CUSTOMER_PAGES_MAX; page++) {
      const r = await c.call('ListCustomers', { PageNumber: page, PageSize: 100 });
      const items = r.Items || [];
      all.push(...items);
      if (!items.length || all.length >= (r.TotalCount || 0)) break;
    }
    this.customers = all;
    for (const fn of this.customerListeners) fn(all);
    return all;
  }

  onCustomers(fn) {
    this.customerListeners.push(fn);
  }

  customerName(id) {
    const c = this.customers.find((x) => String(x.Id) === String(id));
    return c ? c.Name : '';
  }
}

const app = new Console();
window.addEventListener('DOMContentLoaded', () => app.start());
