#!/usr/bin/env node
// console_admin_units.js — the operators' console's pure functions under
// node (no browser): chart geometry and scales, number/size/day formatting,
// KeyRate parsing, and the usage rows -> chart series reshaping. Run by
// tests/blackbox/test_console_admin_browser.py. Prints "ok NAME" per check
// and exits non-zero on the first failure.
'use strict';
const assert = require('assert');
const path = require('path');
const { pathToFileURL } = require('url');

const ROOT = path.resolve(__dirname, '..', '..');
const load = (f) => import(pathToFileURL(path.join(ROOT, 'console', 'admin', 'js', f)).href);

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

async function main() {
  const chart = await load('chart.js');
  const fmt = await load('format.js');
  const customers = await load('customers.js');

  check('nice_scale_round_steps', () => {
    assert.deepStrictEqual(chart.niceScale(7, 4, true), { max: 8, step: 2, ticks: [0, 2, 4, 6, 8] });
    assert.deepStrictEqual(chart.niceScale(100, 4, true).ticks, [0, 50, 100]);
    assert.deepStrictEqual(chart.niceScale(101, 4, true).ticks, [0, 50, 100, 150]);
    const s = chart.niceScale(1234567, 4, false);
    assert.ok(s.max >= 1234567 && s.max < 2 * 1234567, JSON.stringify(s));
    assert.strictEqual(s.ticks[0], 0);
    assert.strictEqual(s.ticks[s.ticks.length - 1], s.max);
  });
  check('nice_scale_zero_and_garbage_give_0_to_1', () => {
    for (const v of [0, -5, NaN, undefined, 'x']) assert.deepStrictEqual(chart.niceScale(v, 4, true).ticks, [0, 1]);
  });
  check('nice_scale_integer_never_fractional', () => {
    for (let m = 1; m < 40; m++) {
      const s = chart.niceScale(m, 4, true);
      assert.ok(s.ticks.every(Number.isInteger), m + ': ' + s.ticks);
      assert.ok(s.max >= m && s.ticks.length >= 2 && s.ticks.length <= 9, m + ': ' + s.ticks);
    }
  });
  check('nice_scale_binary_steps_in_round_units', () => {
    assert.deepStrictEqual(chart.niceScale(3000, 4, true, true).ticks, [0, 1024, 2048, 3072]);
    const s = chart.niceScale(5 * 1048576 + 1, 4, true, true);
    assert.ok(s.ticks.every((t) => t % 1048576 === 0), String(s.ticks));
    assert.ok(s.max > 5 * 1048576);
  });

  const days = ['2024-03-01', '2024-03-02', '2024-03-03'];
  const series = [{ name: 'Active', values: [2, 0, 6] }, { name: 'Failed', values: [1, 0, 2] }];
  const spec = chart.barChart(days, series, { width: 300, height: 200, title: 'Assets' });
  const find = (n, pred, out = []) => { if (pred(n)) out.push(n); n.children.forEach((c) => find(c, pred, out)); return out; };

  check('bar_chart_one_group_per_day_with_totals', () => {
    const groups = find(spec, (n) => n.tag === 'g' && n.attrs.class === 'day');
    assert.deepStrictEqual(groups.map((g) => g.attrs['data-day']), days);
    assert.deepStrictEqual(groups.map((g) => g.attrs['data-total']), [3, 0, 8]);
    assert.strictEqual(groups[1].children.length, 0, 'a zero day draws no rect');
  });
  check('bar_chart_heights_proportional_and_stacked', () => {
    const rects = find(spec, (n) => n.tag === 'rect');
    assert.strictEqual(rects.length, 4);
    const byDay = (i) => find(find(spec, (n) => n.attrs['data-day'] === days[i])[0], (n) => n.tag === 'rect');
    const [a, f] = byDay(2);
    assert.ok(Math.abs(a.attrs.height / f.attrs.height - 3) < 0.05, a.attrs.height + ' vs ' + f.attrs.height);
    // Failed sits on top of Active: its bottom is Active's top.
    assert.ok(Math.abs(f.attrs.y + f.attrs.height - a.attrs.y) < 0.15);
    // the tallest bar (8 of a scale to 8) reaches the plot's top
    assert.ok(Math.abs(f.attrs.y - 10) < 0.15, 'top at ' + f.attrs.y);
    const [a0] = byDay(0);
    assert.ok(Math.abs(a0.attrs.height / a.attrs.height - 2 / 6) < 0.05);
    assert.strictEqual(a.attrs.class, 'bar s0');
    assert.strictEqual(f.attrs.class, 'bar s1');
  });
  check('bar_chart_fits_its_width_and_labels_do_not_crowd', () => {
    const many = fmt.dayRange('2024-01-01', '2024-03-31');
    const s = chart.barChart(many, [{ name: 'x', values: many.map((_, i) => i) }], { width: 360, height: 180 });
    const rects = find(s, (n) => n.tag === 'rect');
    assert.ok(rects.every((r) => r.attrs.x >= 58 && r.attrs.x + r.attrs.width <= 360 - 8 + 0.2));
    const labels = find(s, (n) => n.tag === 'text' && n.attrs['text-anchor'] === 'middle');
    assert.ok(labels.length >= 3 && labels.length <= Math.floor((360 - 66) / 46) + 1, 'labels: ' + labels.length);
    for (let i = 1; i < labels.length; i++) assert.ok(labels[i].attrs.x - labels[i - 1].attrs.x >= 40);
  });
  check('bar_chart_accessible_summary_and_no_style_attributes', () => {
    assert.strictEqual(spec.attrs.role, 'img');
    assert.match(spec.attrs['aria-label'], /^Assets: 3 days, from 2024-03-01 to 2024-03-03, peak 8$/);
    const svg = chart.toSvgString(spec);
    assert.ok(!/style=/.test(svg), 'no style attribute (CSP)');
    assert.ok(svg.startsWith('<svg ') && svg.endsWith('</svg>'));
    assert.match(svg, /<title>2024-03-03 · Failed: 2<\/title>/);
  });
  check('bar_chart_escapes_names', () => {
    const s = chart.toSvgString(chart.barChart(['2024-01-01'], [{ name: '<b>&"', values: [1] }], {}));
    assert.ok(s.includes('&lt;b&gt;&amp;&quot;') && !s.includes('<b>'));
  });
  check('bar_chart_empty', () => {
    const s = chart.barChart([], [], { width: 300, height: 200 });
    assert.strictEqual(find(s, (n) => n.tag === 'rect').length, 0);
    assert.match(s.attrs['aria-label'], /^0 days$/);
  });

  check('format_bytes', () => {
    assert.strictEqual(fmt.formatBytes(0), '0 B');
    assert.strictEqual(fmt.formatBytes(1023), '1023 B');
    assert.strictEqual(fmt.formatBytes(1536), '1.5 KiB');
    assert.strictEqual(fmt.formatBytes(10 * 1048576), '10 MiB');
    assert.strictEqual(fmt.formatBytes(123.4 * 1073741824), '123 GiB');
  });
  check('format_count', () => {
    assert.strictEqual(fmt.formatCount(1234567), '1,234,567');
    assert.strictEqual(fmt.formatCount('x'), '0');
  });
  check('days', () => {
    assert.deepStrictEqual(fmt.dayRange('2024-02-27', '2024-03-02'),
      ['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02']);
    assert.deepStrictEqual(fmt.dayRange('2024-03-02', '2024-03-01'), []);
    assert.deepStrictEqual(fmt.dayRange('2024-02-30', '2024-03-01'), []);
    assert.strictEqual(fmt.dayRange('2020-01-01', '2024-12-31').length, 366);
    assert.strictEqual(fmt.dayRange('2020-01-01', '2024-12-31').pop(), '2024-12-31');
    assert.strictEqual(fmt.addDays('2024-12-31', 1), '2025-01-01');
    assert.strictEqual(fmt.parseDay('2024-1-1'), null);
  });
  check('times', () => {
    assert.strictEqual(fmt.formatTime('2024-05-01T12:34:56Z'), '2024-05-01 12:34:56 UTC');
    assert.strictEqual(fmt.formatTime('2024-05-01T12:34:56.789Z'), '2024-05-01 12:34:56 UTC');
    assert.strictEqual(fmt.localInputToRfc3339('2024-05-01T12:34'), '2024-05-01T12:34:00Z');
    assert.strictEqual(fmt.localInputToRfc3339('junk'), '');
  });

  check('key_rate_parsing', () => {
    assert.deepStrictEqual(customers.parseRate(''), { ok: true, rate: undefined });
    assert.deepStrictEqual(customers.parseRate(' 50 '), { ok: true, rate: 50 });
    assert.deepStrictEqual(customers.parseRate('0'), { ok: true, rate: 0 });
    assert.deepStrictEqual(customers.parseRate('1000000'), { ok: true, rate: 1000000 });
    for (const bad of ['1000001', '-1', '1.5', '1e3', 'x', '12345678']) assert.strictEqual(customers.parseRate(bad).ok, false, bad);
    assert.strictEqual(customers.rateText(0), 'default');
    assert.strictEqual(customers.rateText(50), '50/s');
  });
  check('customer_ids_go_back_as_integers', () => {
    const list = [{ Id: 7, Name: 'a' }, { Id: 12, Name: 'b' }];
    assert.strictEqual(customers.customerIdValue('12', list), 12);
    assert.strictEqual(customers.customerIdValue('99', list), 99);
    assert.strictEqual(customers.customerIdValue('x', list), 'x');
  });

  let failed = 0;
  for (const [name, fn] of checks) {
    try {
      await fn();
      process.stdout.write('ok ' + name + '\n');
    } catch (e) {
      failed++;
      process.stdout.write('FAIL ' + name + ': ' + (e && e.stack || e) + '\n');
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(2); });
