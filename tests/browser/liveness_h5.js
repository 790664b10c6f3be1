#!/usr/bin/env node
// liveness_h5.js — walks the simulator's H5 liveness page in headless
// Chromium as an end user on a phone would: open H5Link, check the page,
// save a screenshot, press a button, and land on the callback URL.
//
//   node liveness_h5.js --h5 URL --callback URL_PREFIX --choice pass|fail
//                       [--screenshot FILE] [--chromium /usr/bin/chromium]
//
// Prints one JSON line on success: {"title", "lang", "landed", "callbackBody"}.
// Exits non-zero with a message on any failure. Debian's Chromium is used
// (executablePath): playwright-core never downloads a browser.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

function parseArgs(argv) {
  const a = { choice: 'pass', chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (argv[i + 1] === undefined) throw new Error('missing value for ' + argv[i]);
    a[k] = argv[i + 1];
  }
  if (!a.h5 || !a.callback) throw new Error('usage: --h5 URL --callback URL_PREFIX [--choice pass|fail]');
  if (a.choice !== 'pass' && a.choice !== 'fail') throw new Error('--choice must be pass or fail');
  return a;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  // A fresh profile every run: no cookies, cache or state from earlier runs.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-chromium-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: a.chromium,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      timeout: 60000,
    });
    const page = ctx.pages()[0] || await ctx.newPage();
    // The page must be self-contained: note any request that leaves its origin.
    const h5Origin = new URL(a.h5).origin;
    const foreign = [];
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(h5Origin) && !u.startsWith(a.callback) && !u.startsWith('data:')) foreign.push(u);
    });

    const resp = await page.goto(a.h5, { waitUntil: 'load', timeout: 30000 });
    if (!resp || resp.status() !== 200) throw new Error('H5Link answered ' + (resp && resp.status()));
    const title = await page.title();
    const lang = await page.getAttribute('html', 'lang');
    const button = page.locator('#' + a.choice);
    if (!(await button.isVisible())) throw new Error('no visible #' + a.choice + ' button on the page');
    if (a.screenshot) {
      fs.mkdirSync(path.dirname(a.screenshot), { recursive: true });
      await page.screenshot({ path: a.screenshot, fullPage: true });
    }

    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(a.callback), { timeout: 30000 }),
      button.tap(),
    ]);
    const landed = page.url();
    const callbackBody = await page.locator('body').innerText();
    if (foreign.length) throw new Error('the page fetched foreign URLs: ' + foreign.join(', '));
    process.stdout.write(JSON.stringify({ title, lang, landed, callbackBody }) + '\n');
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write('liveness_h5.js: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
