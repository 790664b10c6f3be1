#!/usr/bin/env node
// console_admin.js — an operator walks the operators' console (/console/ on
// the admin listener) in headless Chromium: a wrong key is refused, log in
// by keyboard, create a customer, change its key rate, create an API key
// (read the key shown once, copy it), hand it to the Python driver, which
// uses it on the public API; then see usage change in the charts and table,
// download the CSV, find the audit entries (filters, paging), create and
// revoke a second key by keyboard only, look at every view at phone width
// (where the admin key is revoked while in use), and log out. No CSP violation, no console error, no request to another
// origin, no horizontal scrolling on the phone.
//
//   node console_admin.js --url http://127.0.0.1:PORT/console/ --admin-key KEY
//        --admin-key2 KEY --artifacts DIR [--chromium /usr/bin/chromium]
//
// (the phone logs in with the second admin key, which the driver revokes
// while it is in use). Talks to tests/blackbox/test_console_admin_browser.py
// by JSON lines: stdout {"event": "key", ...}, then a line on stdin
// ({"go": {...}}); {"event": "revoke-admin-key2"}, then a line on stdin;
// the last stdout line is {"event": "done", ...}.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const T = 20000;  // ms for any one wait

function parseArgs(argv) {
  const a = { chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i + 1] === undefined) throw new Error('missing value for ' + argv[i]);
    a[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  if (!a.url || !a['admin-key'] || !a['admin-key2'] || !a.artifacts) {
    throw new Error('usage: --url URL --admin-key KEY --admin-key2 KEY --artifacts DIR');
  }
  return a;
}

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const stdinLines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function hear() {
  const { value, done } = await stdinLines.next();
  if (done) throw new Error('the Python driver closed stdin');
  return JSON.parse(value);
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Everything a page must not do, collected over the whole run.
const sent = { revokes: [] };  // the RevokeApiKey requests the pages sent

function watch(page, origin, problems, phase) {
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const text = m.text();
    // A refused login is answered 401, which Chromium logs as a failed load.
    if ((phase.name === 'wrong-key' || phase.name === 'revoked') && /status of 401/.test(text)) return;
    if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(text)) problems.push('console ' + m.type() + ': ' + text);
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('response', (r) => {
    if (r.status() >= 400 && !((phase.name === 'wrong-key' || phase.name === 'revoked') && r.status() === 401)) {
      const what = 'HTTP ' + r.status() + ' for ' + r.request().method() + ' ' + r.url() + ' ' +
        (r.request().postData() || '').slice(0, 200);
      problems.push(what);
      r.text().then((t) => problems.push('  answered: ' + t.slice(0, 400)), () => {});
    }
  });
  page.on('request', (r) => {
    const u = r.url();
    if (/[?&]Action=RevokeApiKey&/.test(u)) sent.revokes.push(r.postData());
    if (!u.startsWith(origin + '/') && !u.startsWith('blob:' + origin + '/')) problems.push('foreign request: ' + u);
  });
  page.on('download', () => {});
}

async function newPage(ctx, origin, problems, phase) {
  const page = await ctx.newPage();
  // Init scripts run outside the page's CSP; the listener records what it blocks.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
    });
  });
  watch(page, origin, problems, phase);
  return page;
}

async function cspViolations(page) {
  return page.evaluate(() => window.__csp || ['(no listener)']);
}

async function shot(page, dir, name) {
  const file = path.join(dir, 'console-admin-' + name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return path.basename(file);
}

// Presses Tab (at most max times) until the focused element matches the
// selector; returns how many presses it took.
async function tabTo(page, selector, max) {
  for (let i = 1; i <= (max || 60); i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector)) return i;
  }
  const at = await page.evaluate(() => document.activeElement && document.activeElement.outerHTML.slice(0, 120));
  throw new Error('Tab never reached ' + selector + ' (focus on ' + at + ')');
}

// The focused element shows a visible focus ring (outline or box-shadow).
async function focusVisible(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const cs = getComputedStyle(el);
    return (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== 'none';
  });
}

async function login(page, url, key) {
  await page.goto(url, { waitUntil: 'load', timeout: T });
  await page.waitForSelector('#view-login:not([hidden])', { timeout: T });
  await page.fill('#login-key', key);
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector('#view-customers:not([hidden])', { timeout: T });
}

async function figures(page) {
  return page.$$eval('#usage-charts figure', (fs) => Object.fromEntries(fs.map((f) => [f.id.replace(/^chart-/, ''), Number(f.dataset.figure)])));
}

async function showUsage(page, customerId) {
  await page.selectOption('#usage-customer', String(customerId));
  // Today only: the traffic of this run is all today (UTC).
  const today = new Date().toISOString().slice(0, 10);
  await page.fill('#usage-to', today);
  await page.fill('#usage-from', new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10));
  await page.evaluate(() => { document.getElementById('usage-summary').textContent = ''; });
  await page.click('#usage-form button[type="submit"]');
  await page.waitForFunction(() => document.getElementById('usage-summary').textContent !== '' ||
    document.getElementById('usage-error').textContent !== '', null, { timeout: T });
  check(await page.textContent('#usage-error') === '', 'usage error: ' + await page.textContent('#usage-error'));
  return figures(page);
}

async function auditRows(page) {
  return page.$$eval('#audit-table tbody tr[data-type]', (rows) => rows.map((r) => ({
    type: r.dataset.type || '', text: r.innerText.replace(/\s+/g, ' '),
  })));
}

async function applyAudit(page) {
  await page.evaluate(() => { document.getElementById('audit-summary').textContent = ''; });
  await page.click('#audit-form button[type="submit"]');
  await page.waitForFunction(() => document.getElementById('audit-summary').textContent !== '' ||
    document.getElementById('audit-error').textContent !== '', null, { timeout: T });
  check(await page.textContent('#audit-error') === '', 'audit error: ' + await page.textContent('#audit-error'));
  return auditRows(page);
}

let failurePage = null;  // the page to show in console-admin-failure.png when a step fails
let failureDir = null;

async function main() {
  const a = parseArgs(process.argv.slice(2));
  failureDir = a.artifacts;
  const origin = new URL(a.url).origin;
  fs.mkdirSync(a.artifacts, { recursive: true });
  const problems = [];
  const phase = { name: 'start' };
  const shots = [];
  const out = {};
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: a.chromium, headless: true, timeout: 60000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync'],
    });
    const ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = await newPage(ctx, origin, problems, phase);
    failurePage = page;

    // ---- the page and its policy
    const resp = await page.goto(a.url, { waitUntil: 'load', timeout: T });
    check(resp && resp.status() === 200, '/console/ answered ' + (resp && resp.status()));
    const csp = resp.headers()['content-security-policy'] || '';
    check(/script-src 'self'/.test(csp) && /style-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), 'CSP: ' + csp);
    await page.waitForSelector('#view-login:not([hidden])', { timeout: T });
    check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'login-key',
      'the key field has the focus on arrival');
    shots.push(await shot(page, a.artifacts, 'login-desktop'));

    // ---- a wrong key is refused
    phase.name = 'wrong-key';
    await page.keyboard.type('ptca_' + 'x'.repeat(40));
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('login-error').textContent !== '', null, { timeout: T });
    const refused = await page.textContent('#login-error');
    check(/refused/i.test(refused), 'wrong key: ' + refused);
    check(await page.isHidden('#nav'), 'the sections stay hidden after a refused key');
    check(await page.evaluate(() => sessionStorage.length) === 0, 'a refused key is not kept');
    phase.name = 'walk';

    // ---- keyboard-only login: the field has the focus; type, Enter
    check(await page.evaluate(() => document.activeElement.id) === 'login-key', 'focus back on the key field');
    await page.keyboard.type(a['admin-key']);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#view-customers:not([hidden])', { timeout: T });
    check(await page.evaluate((k) => Object.values(sessionStorage).includes(k), a['admin-key']), 'key in sessionStorage');
    check(await page.evaluate(() => Object.keys(localStorage).length) === 0, 'nothing in localStorage');

    // ---- create a customer
    const name = 'acme-' + Date.now().toString(36);
    await page.fill('#cc-name', name);
    await page.fill('#cc-rate', '20');
    await page.uncheck('#cc-aigc');
    await page.click('#customer-create button[type="submit"]');
    const row = page.locator('#customers-table tbody tr', { hasText: name });
    await row.waitFor({ timeout: T });
    const customerId = await row.getAttribute('data-customer-id');
    check(customerId, 'the new row carries the customer id');
    check(/created/i.test(await page.textContent('#status')), 'status announces the creation');
    out.customer = { name, id: customerId };

    // ---- edit it: key rate 50, AIGC on (it was made without)
    await row.getByRole('button', { name: 'Edit ' + name }).click();
    await page.waitForSelector('#edit-dialog[open]', { timeout: T });
    check(!(await page.isChecked('#edit-aigc')), 'the dialog shows AIGC off, as created');
    await page.fill('#edit-rate', '50');
    await page.check('#edit-aigc');
    await page.click('#edit-save');
    await page.waitForSelector('#edit-dialog[open]', { state: 'detached', timeout: T });
    await page.waitForFunction((n) => document.activeElement.getAttribute('aria-label') === 'Edit ' + n, name,
      { timeout: T });
    await page.waitForFunction((n) => [...document.querySelectorAll('#customers-table tbody tr')]
      .some((r) => r.innerText.includes(n) && r.innerText.includes('50/s')), name, { timeout: T });
    await page.fill('#customers-filter', 'no-such-name');
    check(/No customer name contains/.test(await page.textContent('#customers-table tbody')), 'the filter hides every row');
    await page.fill('#customers-filter', name.slice(2).toUpperCase());
    check(await page.locator('#customers-table tbody tr').count() === 1 &&
      /^1 of 1 customer/.test(await page.textContent('#customers-count')), 'the filter finds the customer');
    await page.fill('#customers-filter', '');
    await page.evaluate(() => document.activeElement.blur());
    shots.push(await shot(page, a.artifacts, 'customers-desktop'));

    // ---- its first API key, shown once
    await row.getByRole('button', { name: 'API keys of ' + name }).click();
    await page.waitForSelector('#view-keys:not([hidden])', { timeout: T });
    check(await page.inputValue('#keys-customer') === customerId, 'Keys opens on the chosen customer');
    await page.click('#keys-create');
    await page.waitForSelector('#new-key:not([hidden])', { timeout: T });
    const key = await page.inputValue('#new-key-value');
    check(/^\S{20,}$/.test(key), 'a key is shown: ' + key);
    check(/shown once/i.test(await page.textContent('#new-key-warning')), 'the warning says the key is shown once');
    await page.click('#new-key-copy');
    await page.waitForFunction(() => document.getElementById('new-key-copied').textContent !== '', null, { timeout: T });
    check(/copied/i.test(await page.textContent('#new-key-copied')), 'copy reported');
    check(await page.evaluate(() => navigator.clipboard.readText()) === key, 'the clipboard holds the key');
    const prefixes = await page.$$eval('#keys-table tbody tr', (rs) => rs.map((r) => r.dataset.prefix));
    check(prefixes.length === 1 && key.startsWith(prefixes[0]), 'the list shows the key by its prefix: ' + prefixes);
    out.prefix = prefixes[0];
    shots.push(await shot(page, a.artifacts, 'keys-desktop'));
    await page.click('#new-key-done');
    check(await page.inputValue('#new-key-value') === '', 'the key leaves the page once hidden');

    // ---- usage before any traffic
    await page.click('#nav button[data-view="customers"]');
    await row.getByRole('button', { name: 'Usage of ' + name }).click();
    await page.waitForSelector('#view-usage:not([hidden])', { timeout: T });
    check(await page.inputValue('#usage-customer') === customerId, 'Usage opens on the chosen customer');
    out.usageBefore = await showUsage(page, customerId);

    // ---- the Python driver uses the key on the public API
    say({ event: 'key', key, customerId, prefix: out.prefix });
    const go = (await hear()).go;
    check(go, 'the driver said go');

    // ---- usage after: the charts and the table changed
    out.usageAfter = await showUsage(page, customerId);
    const today = new Date().toISOString().slice(0, 10);
    out.usageToday = await page.$$eval('#usage-table tbody tr[data-day="' + today + '"] td',
      (tds) => Object.fromEntries(tds.map((td) => [td.dataset.col, Number(td.dataset.value)])));
    const svgRects = await page.$$eval('#usage-charts svg rect.bar', (rs) => rs.length);
    check(svgRects > 0, 'the charts draw bars after the traffic');
    shots.push(await shot(page, a.artifacts, 'usage-desktop'));
    await page.selectOption('#usage-customer', '');
    await page.evaluate(() => { document.getElementById('usage-summary').textContent = ''; });
    await page.click('#usage-form button[type="submit"]');
    await page.waitForFunction(() => /all customers/.test(document.getElementById('usage-summary').textContent),
      null, { timeout: T });
    out.usageAll = await figures(page);
    await page.selectOption('#usage-customer', customerId);

    // ---- the CSV of the same range
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: T }), page.click('#usage-csv')]);
    const csvPath = await download.path();
    out.csv = fs.readFileSync(csvPath, 'utf8');
    out.csvName = download.suggestedFilename();
    out.usageFrom = await page.inputValue('#usage-from');

    // ---- the audit log: this customer's entries, then one type, then paging
    await page.click('#nav button[data-view="customers"]');
    await row.getByRole('button', { name: 'Audit log of ' + name }).click();
    await page.waitForSelector('#view-audit:not([hidden])', { timeout: T });
    check(await page.inputValue('#audit-customer') === customerId, 'Audit opens on the chosen customer');
    out.auditAll = await applyAudit(page);
    out.auditSummary = await page.textContent('#audit-summary');
    out.auditPage1 = await page.textContent('#audit-page');
    if (go.auditType) {
      await page.selectOption('#audit-type', go.auditType);
      out.auditTyped = await applyAudit(page);
      await page.selectOption('#audit-type', '');
      await applyAudit(page);
    }
    if (!(await page.isDisabled('#audit-next'))) {
      await page.click('#audit-next');
      await page.waitForFunction((p) => document.getElementById('audit-page').textContent !== p, out.auditPage1, { timeout: T });
      out.auditPage2 = await auditRows(page);
      out.auditPage2Label = await page.textContent('#audit-page');
      await page.click('#audit-prev');
      await page.waitForFunction((p) => document.getElementById('audit-page').textContent === p, out.auditPage1, { timeout: T });
    }
    shots.push(await shot(page, a.artifacts, 'audit-desktop'));
    await page.fill('#audit-to', '2001-01-01T00:00');
    out.auditBefore2001 = await applyAudit(page);
    await page.fill('#audit-to', '');
    await page.fill('#audit-from', new Date(Date.now() - 3600000).toISOString().slice(0, 16));
    out.auditLastHour = (await applyAudit(page)).length;
    await page.fill('#audit-from', '');
    await page.selectOption('#audit-customer', '0');
    out.auditOperators = await applyAudit(page);
    // A group id in the details filters the log by that group.
    await page.selectOption('#audit-customer', customerId);
    await applyAudit(page);
    await page.evaluate(() => { document.getElementById('audit-summary').textContent = ''; });
    await page.locator('#audit-table tbody tr').first().locator('button.link').click();
    await page.waitForFunction(() => document.getElementById('audit-summary').textContent !== '', null, { timeout: T });
    out.auditGroupFilter = await page.inputValue('#audit-group');
    out.auditByGroup = await auditRows(page);

    // ---- keyboard only: to API keys, create a second key, revoke it
    // From the top of a freshly loaded page (the session survives a reload).
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#view-audit:not([hidden])', { timeout: T });
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.classList.contains('skip') &&
      document.activeElement.getBoundingClientRect().left >= 0), 'the first Tab shows the skip link');
    await tabTo(page, '#nav button[data-view="keys"]', 4);
    check(await focusVisible(page), 'the focused nav button shows a focus ring');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#view-keys:not([hidden])', { timeout: T });
    check(await page.evaluate(() => document.activeElement.id) === 'keys-title', 'focus moves to the view heading');
    check(await page.inputValue('#keys-customer') === customerId, 'the keys view kept the customer');
    await tabTo(page, '#keys-create', 6);
    check(await focusVisible(page), 'Create API key shows a focus ring');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#new-key:not([hidden])', { timeout: T });
    check(await page.evaluate(() => document.activeElement.id) === 'new-key', 'focus moves to the new key');
    const key2 = await page.inputValue('#new-key-value');
    check(key2 && key2 !== key, 'a second, different key');
    await tabTo(page, '#new-key-done', 6);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#new-key[hidden]', { state: 'attached', timeout: T });
    const prefix2 = await page.evaluate((k) => [...document.querySelectorAll('#keys-table tbody tr')]
      .map((r) => r.dataset.prefix).find((p) => k.startsWith(p)), key2);
    check(prefix2, 'the second key is listed');
    await tabTo(page, 'button[aria-label="Revoke key ' + prefix2 + '"]', 30);
    check(await focusVisible(page), 'the Revoke button shows a focus ring');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm-dialog[open]', { timeout: T });
    check(await page.evaluate(() => document.activeElement.id) === 'confirm-cancel', 'Cancel has the focus first');
    await page.keyboard.press('Escape');  // Escape cancels: nothing revoked
    await page.waitForSelector('#confirm-dialog[open]', { state: 'detached', timeout: T });
    check(await page.evaluate((p) => document.activeElement.getAttribute('aria-label') === 'Revoke key ' + p, prefix2),
      'focus returns to the Revoke button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm-dialog[open]', { timeout: T });
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.id) === 'confirm-ok', 'Tab reaches Revoke key');
    await page.keyboard.press('Enter');
    await page.waitForFunction((p) => {
      const r = document.querySelector('#keys-table tbody tr[data-prefix="' + p + '"]');
      return r && /revoked/i.test(r.innerText);
    }, prefix2, { timeout: T });
    check(/revoked/i.test(await page.textContent('#status')), 'the revocation is announced');
    check(await page.evaluate((p) => document.activeElement.dataset.prefix === p, prefix2),
      'the keyboard stays at the revoked key');
    out.key2 = key2;
    out.prefix2 = prefix2;

    out.csp = await cspViolations(page);

    // ---- phone width: every view, no sideways scrolling
    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const pp = await newPage(phone, origin, problems, phase);
    failurePage = pp;
    await pp.goto(a.url, { waitUntil: 'load', timeout: T });
    await pp.waitForSelector('#view-login:not([hidden])', { timeout: T });
    shots.push(await shot(pp, a.artifacts, 'login-phone'));
    out.phoneOverflow = {};
    out.phoneOverflow.login = await pp.evaluate((w) => document.documentElement.scrollWidth - w, PHONE.width);
    await login(pp, a.url, a['admin-key2']);
    await pp.reload({ waitUntil: 'load' });
    await pp.waitForSelector('#view-customers:not([hidden])', { timeout: T });
    check(await pp.isHidden('#view-login'), 'a reload keeps the session (sessionStorage)');
    for (const view of ['customers', 'keys', 'usage', 'audit']) {
      await pp.tap('#nav button[data-view="' + view + '"]');
      await pp.waitForSelector('#view-' + view + ':not([hidden])', { timeout: T });
      if (view === 'keys') await pp.selectOption('#keys-customer', customerId);
      if (view === 'usage') await showUsage(pp, customerId);
      if (view === 'audit') { await pp.selectOption('#audit-customer', customerId); await applyAudit(pp); }
      await pp.waitForLoadState('networkidle', { timeout: T }).catch(() => {});
      // A phone browser zooms out to fit a page wider than the screen
      // (innerWidth grows with it): measure against the screen's width.
      out.phoneOverflow[view] = await pp.evaluate((w) => Math.max(document.documentElement.scrollWidth,
        document.body.scrollWidth) - w, PHONE.width);
      shots.push(await shot(pp, a.artifacts, view + '-phone'));
    }
    out.csp = out.csp.concat(await cspViolations(pp));

    // ---- the phone's admin key is revoked meanwhile: its next request
    // ends the session, with a message
    say({ event: 'revoke-admin-key2' });
    await hear();
    phase.name = 'revoked';
    await pp.tap('#nav button[data-view="customers"]');
    await pp.waitForSelector('#view-login:not([hidden])', { timeout: T });
    out.revokedMessage = await pp.textContent('#login-error');
    check(await pp.evaluate(() => sessionStorage.length) === 0, 'a refused key is forgotten');
    phase.name = 'walk';
    await phone.close();

    // ---- log out: the key is gone, a reload stays logged out
    failurePage = page;
    await page.click('#logout');
    await page.waitForSelector('#view-login:not([hidden])', { timeout: T });
    check(await page.evaluate(() => sessionStorage.length) === 0, 'log out forgets the key');
    check(await page.isHidden('#nav'), 'log out hides the sections');
    check(await page.inputValue('#new-key-value') === '', 'no key left in the page');
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#view-login:not([hidden])', { timeout: T });
    out.csp = out.csp.concat(await cspViolations(page));

    out.problems = problems;
    out.revokes = sent.revokes;
    out.screenshots = shots;
    failurePage = null;
    say(Object.assign({ event: 'done' }, out));
  } catch (e) {
    if (failurePage) {
      const status = await failurePage.evaluate(() => [...document.querySelectorAll('.status, .error')]
        .map((el) => el.id + ': ' + el.textContent).filter((t) => !/: $/.test(t)).join('\n')).catch(() => '');
      await failurePage.screenshot({ path: path.join(failureDir, 'console-admin-failure.png'), fullPage: true })
        .catch(() => {});
      const more = '\n(messages on the page: ' + (status || 'none') + '; problems: ' + (problems.join('; ') || 'none') +
        '; screenshot: console-admin-failure.png)';
      e.message += more + '\n(RevokeApiKey sent: ' + sent.revokes.join(' ') + ')';
      if (e.stack) e.stack += more;
    }
    throw e;
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write('console_admin.js: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
