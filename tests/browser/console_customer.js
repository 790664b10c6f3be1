#!/usr/bin/env node
// console_customer.js — walks the customers' console (console/customer/,
// served at /console/ on the public listener) in headless Chromium as a
// customer would, and checks what a person would see:
//   log in with the keyboard only (Tab to the key field, type, Enter);
//   create a group; upload by a real drop (a DataTransfer built in the page
//   from the file's bytes) and see the progress bar fill; watch the badge go
//   Processing -> Active without the page reloading; the thumbnail shown
//   through a blob: URL; rename with the dialog; start a face scan, see its
//   QR code, complete the scan on the simulator's H5 page in a second page
//   and see the result; create a video and play it; then, with the event
//   stream blocked, upload with the file picker and see the badge turn
//   Active by WaitAsset; the phone-width layout has no sideways scroll.
// No Content-Security-Policy violation and no uncaught error may happen.
//
//   node console_customer.js --url http://127.0.0.1:P/console/ --key KEY
//        --image A.png --image2 B.png --artifacts DIR [--chromium PATH]
//
// Prints one JSON line on success; exits non-zero with a message on failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

function parseArgs(argv) {
  const a = { chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i + 1] === undefined) throw new Error('missing value for ' + argv[i]);
    a[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  for (const k of ['url', 'key', 'image', 'image2', 'artifacts'])
    if (!a[k]) throw new Error('missing --' + k);
  return a;
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// Every page: CSP violations and uncaught errors are recorded; requests
// leaving the gateway's and the simulator's origins are recorded too.
function watch(page, seen, allowedOrigins, label) {
  page.on('pageerror', (e) => seen.errors.push(label + ': ' + (e && e.message)));
  page.on('console', (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to/i.test(t)) seen.csp.push(label + ': ' + t);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!allowedOrigins.some((o) => u.startsWith(o)) && !/^(blob|data):/.test(u)) seen.foreign.push(u);
  });
}

async function cspEvents(page) {
  return page.evaluate(() => window.__cspViolations || []);
}

const INIT = () => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
  });
};

async function loginWithKeyboard(page, key) {
  let focused = '';
  // a wrong key first: refused, said so, the focus back in the field
  await page.focus('#login-key');
  await page.keyboard.type('pk-not-a-real-key');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  check((await page.evaluate(() => document.activeElement.id)) === 'login-key', 'focus left the key field');
  check(await page.isHidden('#nav'), 'a wrong key was let in');
  // then the keyboard alone, from the top of the page
  await page.evaluate(() => { document.getElementById('login-key').value = ''; document.activeElement.blur(); });
  for (let i = 0; i < 12 && focused !== 'login-key'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  }
  check(focused === 'login-key', 'Tab never reached the API key field (focus on ' + focused + ')');
  // the focus is visible: an outline is drawn around the field
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline && outline !== 'none', 'the focused key field has no visible outline');
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#nav:not([hidden])', { timeout: 15000 });
}

async function dropFile(page, file, type) {
  const b64 = fs.readFileSync(file).toString('base64');
  await page.evaluate(({ b64, name, type }) => {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type }));
    const zone = document.getElementById('dropzone');
    for (const t of ['dragenter', 'dragover', 'drop'])
      zone.dispatchEvent(new DragEvent(t, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, { b64, name: path.basename(file), type });
}

// The card of the newest asset named name: its id once it shows.
async function cardId(page, name, timeout) {
  const card = page.locator('#asset-grid li.asset', { has: page.locator('.asset-name', { hasText: name }) }).first();
  await card.waitFor({ timeout });
  return card.getAttribute('data-id');
}

async function waitStatus(page, id, status, timeout) {
  await page.waitForSelector('#asset-grid li[data-id="' + id + '"][data-status="' + status + '"]', { timeout });
}

async function thumbShown(page, id) {
  const sel = '#asset-grid li[data-id="' + id + '"] img.thumb';
  await page.waitForFunction((s) => {
    const img = document.querySelector(s);
    return img && img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0;
  }, sel, { timeout: 15000 });
  return page.evaluate((s) => {
    const img = document.querySelector(s);
    return { w: img.naturalWidth, h: img.naturalHeight };
  }, sel);
}

async function shot(page, dir, name) {
  const file = path.join(dir, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function noSidewaysScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const origin = new URL(a.url).origin;
  fs.mkdirSync(a.artifacts, { recursive: true });
  const seen = { csp: [], errors: [], foreign: [] };
  const out = { shots: [] };
  const browser = await chromium.launch({
    executablePath: a.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--autoplay-policy=no-user-gesture-required'],
    timeout: 60000,
  });
  try {
    // ---------------------------------------------------------------- desktop
    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await desk.newPage();
    await page.addInitScript(INIT);
    let simOrigin = null;
    const origins = () => [origin].concat(simOrigin ? [simOrigin] : []);
    watch(page, seen, [origin], 'desktop');
    let navigations = 0, videoReads = 0;
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
    page.on('request', (r) => { if (r.method() === 'GET' && r.url().includes('/v1/videos/generations/')) videoReads++; });

    const resp = await page.goto(a.url, { waitUntil: 'load', timeout: 30000 });
    check(resp && resp.status() === 200, 'the console answered ' + (resp && resp.status()));
    check((resp.headers()['content-security-policy'] || '').includes("script-src 'self'"), 'no strict CSP header');
    await shot(page, a.artifacts, 'console-customer-login-desktop.png').then((f) => out.shots.push(f));
    await loginWithKeyboard(page, a.key);
    out.keyboardLogin = true;

    // a group
    await page.fill('#group-name', 'Walk-through');
    await page.click('#group-form button[type=submit]');
    await page.waitForSelector('#group-list button[aria-current="true"] >> text=Walk-through', { timeout: 15000 });
    check((await page.textContent('#group-title')) === 'Walk-through', 'the new group is not the chosen one');
    out.groupCreated = true;

    // drag-and-drop upload; the page must not reload from here on
    await page.evaluate(() => { window.__stillHere = 'yes'; });
    const navBefore = navigations;
    await dropFile(page, a.image, 'image/png');
    const name1 = path.basename(a.image).replace(/\.[^.]*$/, '');
    const id1 = await cardId(page, name1, 20000);
    out.firstStatus = await page.getAttribute('#asset-grid li[data-id="' + id1 + '"]', 'data-status');
    await page.waitForSelector('#uploads li.done', { timeout: 20000 });
    out.progress = await page.evaluate(() => {
      const li = document.querySelector('#uploads li.done');
      return { value: li.querySelector('progress').value, max: li.querySelector('progress').max,
               reported: li.getAttribute('data-progress') };
    });
    check(out.progress.value === 100 && out.progress.reported === '100', 'the progress bar did not fill: ' +
          JSON.stringify(out.progress));
    out.thumb = await thumbShown(page, id1);
    if (out.firstStatus === 'Processing') {
      await shot(page, a.artifacts, 'console-customer-processing-desktop.png').then((f) => out.shots.push(f));
    }
    await waitStatus(page, id1, 'Active', 30000);
    out.liveState = await page.textContent('#live');
    check(await page.evaluate(() => window.__stillHere === 'yes'), 'the page reloaded while waiting');
    check(navigations === navBefore, 'the page navigated while waiting');
    out.badge = await page.textContent('#asset-grid li[data-id="' + id1 + '"] .badge');
    out.assetId = id1;

    // rename through the dialog
    await page.click('#asset-grid li[data-id="' + id1 + '"] button[data-act=rename]');
    await page.waitForSelector('#dialog[open]');
    await page.fill('#dialog-input', 'Ada portrait');
    await page.click('#dialog-ok');
    await page.waitForSelector('#asset-grid li[data-id="' + id1 + '"] .asset-name >> text=Ada portrait',
                               { timeout: 15000 });
    await shot(page, a.artifacts, 'console-customer-library-desktop.png').then((f) => out.shots.push(f));

    // the face scan: QR code, completed on the simulator's H5 page
    await page.click('#nav button[data-view=scan]');
    await page.click('#scan-start');
    await page.waitForFunction(() => {
      const img = document.getElementById('scan-qr');
      return img && img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 15000 });
    const h5 = await page.getAttribute('#scan-link', 'href');
    simOrigin = new URL(h5).origin;
    out.qr = await page.evaluate(() => document.getElementById('scan-qr').naturalWidth);
    await shot(page, a.artifacts, 'console-customer-scan-desktop.png').then((f) => out.shots.push(f));
    const phoneScan = await desk.newPage();
    watch(phoneScan, seen, origins(), 'h5');
    const r2 = await phoneScan.goto(h5, { waitUntil: 'load', timeout: 30000 });
    check(r2 && r2.status() === 200, 'the H5 page answered ' + (r2 && r2.status()));
    await Promise.all([
      phoneScan.waitForURL((u) => u.href.startsWith(origin + '/console/'), { timeout: 30000 }),
      phoneScan.click('#pass'),
    ]);
    out.callbackLanded = phoneScan.url();
    await phoneScan.waitForSelector('#scan-return:not([hidden])', { timeout: 10000 });
    out.callbackNotice = await phoneScan.textContent('#scan-return');
    await phoneScan.close();
    await page.waitForSelector('#scan-state.good', { timeout: 20000 });
    out.scanResult = await page.textContent('#scan-state');
    await shot(page, a.artifacts, 'console-customer-scan-passed-desktop.png').then((f) => out.shots.push(f));

    // a video of the Active asset, played inline
    await page.click('#nav button[data-view=videos]');
    await page.waitForSelector('#ref-' + id1, { timeout: 15000 });
    await page.check('#ref-' + id1);
    await page.fill('#video-prompt', 'Ada walks through a sunlit garden');
    await page.click('#video-form button[type=submit]');
    await page.waitForSelector('#video-list li.video[data-status="succeeded"] video', { timeout: 60000 });
    out.video = await page.evaluate(async () => {
      const v = document.querySelector('#video-list li.video[data-status="succeeded"] video');
      v.muted = true;
      await v.play();
      const t0 = v.currentTime;
      await new Promise((r) => setTimeout(r, 1200));
      return { readyState: v.readyState, t0, t1: v.currentTime, src: v.currentSrc, paused: v.paused,
               width: v.videoWidth };
    });
    check(out.video.readyState >= 2 && out.video.t1 > out.video.t0 && out.video.width > 0,
          'the video does not play: ' + JSON.stringify(out.video));
    check(out.video.src.startsWith(origin + '/'), 'the video is not served by the gateway: ' + out.video.src);
    await shot(page, a.artifacts, 'console-customer-videos-desktop.png').then((f) => out.shots.push(f));
    // a finished task is not read again; an open one every few seconds, not in a loop
    const readsThen = videoReads;
    await page.waitForTimeout(3500);
    out.videoReads = { during: readsThen, after: videoReads - readsThen };
    check(readsThen <= 12 && videoReads === readsThen, 'the page polls video tasks too often: ' +
          JSON.stringify(out.videoReads));
    out.csp = await cspEvents(page);

    // ---------------------------------------------------------------- without the stream
    // The event stream is refused: the page says so and waits with WaitAsset.
    const fallback = await desk.newPage();
    await fallback.addInitScript(INIT);
    watch(fallback, seen, [origin], 'fallback');
    let waits = 0, streams = 0;
    fallback.on('request', (r) => {
      if (r.url().includes('Action=WaitAsset')) waits++;
      if (r.url().endsWith('/v1/portrait/events')) streams++;
    });
    await fallback.route('**/v1/portrait/events', (route) => route.fulfill({ status: 503, body: 'no stream here' }));
    await fallback.goto(a.url, { waitUntil: 'load' });
    await fallback.fill('#login-key', a.key);
    await fallback.click('#login-form button[type=submit]');
    await fallback.waitForSelector('#live.off', { timeout: 15000 });
    await fallback.setInputFiles('#file', a.image2); // the keyboard's way in: the file picker
    const name2 = path.basename(a.image2).replace(/\.[^.]*$/, '');
    const id2 = await cardId(fallback, name2, 20000);
    await waitStatus(fallback, id2, 'Active', 40000);
    out.fallback = { waits, streams, live: await fallback.textContent('#live') };
    check(waits > 0 && streams > 0, 'no WaitAsset fallback: ' + JSON.stringify(out.fallback));
    // delete with confirmation: Cancel keeps it, Delete removes it
    await fallback.click('#asset-grid li[data-id="' + id2 + '"] button[data-act=delete]');
    await fallback.click('#dialog button[value=cancel]');
    check(await fallback.isVisible('#asset-grid li[data-id="' + id2 + '"]'), 'Cancel deleted the asset');
    await fallback.click('#asset-grid li[data-id="' + id2 + '"] button[data-act=delete]');
    await fallback.click('#dialog-ok');
    await fallback.waitForSelector('#asset-grid li[data-id="' + id2 + '"]', { state: 'detached', timeout: 15000 });
    out.deleted = id2;
    out.cspFallback = await cspEvents(fallback);
    await fallback.close();

    // ---------------------------------------------------------------- phone width
    // the same browser profile's local storage (the console remembers its video tasks there)
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
                                             isMobile: true, hasTouch: true, storageState: await desk.storageState() });
    const p = await phone.newPage();
    await p.addInitScript(INIT);
    watch(p, seen, [origin], 'phone');
    await p.goto(a.url, { waitUntil: 'load' });
    await shot(p, a.artifacts, 'console-customer-login-phone.png').then((f) => out.shots.push(f));
    await p.fill('#login-key', a.key);
    await p.tap('#login-form button[type=submit]');
    await p.waitForSelector('#nav:not([hidden])', { timeout: 15000 });
    await p.tap('#group-list button >> text=Walk-through');
    await p.waitForSelector('#asset-grid li[data-id="' + id1 + '"][data-status="Active"]', { timeout: 15000 });
    await thumbShown(p, id1);
    out.phone = { library: await noSidewaysScroll(p) };
    await shot(p, a.artifacts, 'console-customer-library-phone.png').then((f) => out.shots.push(f));
    await p.tap('#nav button[data-view=scan]');
    await p.tap('#scan-start');
    await p.waitForFunction(() => {
      const img = document.getElementById('scan-qr');
      return img && img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 15000 });
    out.phone.scan = await noSidewaysScroll(p);
    await shot(p, a.artifacts, 'console-customer-scan-phone.png').then((f) => out.shots.push(f));
    await p.tap('#nav button[data-view=videos]');
    await p.waitForSelector('#video-list li.video[data-status="succeeded"] video', { timeout: 15000 });
    out.phone.videos = await noSidewaysScroll(p);
    await shot(p, a.artifacts, 'console-customer-videos-phone.png').then((f) => out.shots.push(f));
    check(out.phone.library && out.phone.scan && out.phone.videos, 'sideways scroll at phone width: ' +
          JSON.stringify(out.phone));
    out.cspPhone = await cspEvents(p);
    // log out: back to the key field, the key forgotten
    await p.tap('#logout');
    await p.waitForSelector('#view-login:not([hidden])');
    out.loggedOut = (await p.evaluate(() => sessionStorage.getItem('portico.key'))) === null;

    const violations = out.csp.concat(out.cspFallback, out.cspPhone, seen.csp);
    check(violations.length === 0, 'CSP violations: ' + violations.join(' | '));
    check(seen.errors.length === 0, 'uncaught errors: ' + seen.errors.join(' | '));
    check(seen.foreign.length === 0, 'requests to other origins: ' + seen.foreign.join(', '));
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await browser.close().catch(() => {});
  }
}

main().catch((e) => {
  process.stderr.write('console_customer.js: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
