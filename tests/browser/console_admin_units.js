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
  const usage = await load('usage-data.js');
  const audit = await load('audit.js');

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
    assert.strictEqual(fmt.formatBytes(100 * 1024), '100 KiB');
    assert.strictEqual(fmt.formatBytes(150 * 1024), '150 KiB');
    assert.strictEqual(fmt.formatBytes(20.5 * 1024), '20.5 KiB');
    assert.strictEqual(fmt.formatBytes(1024), '1 KiB');
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

  // GetUsage rows as admin_usage.c renders them (API.md §7).
  const row = (cid, date, o) => Object.assign({
    CustomerId: cid, CustomerName: 'c' + cid, Date: date,
    Groups: { Created: 0, Deleted: 0, Live: 0 },
    Assets: { Created: 0, Deleted: 0, Live: { Processing: 0, Active: 0, Failed: 0 } },
    BytesStored: 0, UploadBytes: 0, UpstreamCalls: { CreateAsset: 0, GetAsset: 0 },
    VideoTasks: { Created: 0, Succeeded: 0, Failed: 0, Seconds: 0 },
    LivenessSessions: { Started: 0, Passed: 0, Failed: 0, Expired: 0 },
  }, o);
  const udays = ['2024-03-01', '2024-03-02', '2024-03-03'];
  const rows = [
    row(1, '2024-03-01', { Assets: { Created: 2, Deleted: 0, Live: { Processing: 1, Active: 1, Failed: 0 } },
      BytesStored: 100, UploadBytes: 100, UpstreamCalls: { CreateAsset: 2, GetAsset: 3 } }),
    row(2, '2024-03-01', { Assets: { Created: 1, Deleted: 0, Live: { Processing: 0, Active: 1, Failed: 0, Weird: 2 } },
      BytesStored: 50, UploadBytes: 50 }),
    // 2024-03-02: no rows (nothing moved, every stock zero)
    row(1, '2024-03-03', { Assets: { Created: 0, Deleted: 1, Live: { Processing: 0, Active: 1, Failed: 0 } },
      BytesStored: 60, UploadBytes: 10, VideoTasks: { Created: 3, Succeeded: 1, Failed: 1, Seconds: 5 } }),
    row(1, '2024-02-28', { UploadBytes: 999 }),  // outside the range: ignored
  ];
  const def = (id) => usage.USAGE_CHARTS.find((d) => d.id === id);

  check('usage_levels_take_the_last_day_flows_the_sum', () => {
    const stored = usage.chartSeries(rows, udays, def('bytes-stored'));
    assert.deepStrictEqual(stored.perDay, [150, 0, 60]);
    assert.strictEqual(stored.figure, 60);
    const up = usage.chartSeries(rows, udays, def('upload-bytes'));
    assert.deepStrictEqual(up.perDay, [150, 0, 10]);
    assert.strictEqual(up.figure, 160);
    assert.deepStrictEqual(up.series.map((s) => s.name), ['Upload bytes']);
  });
  check('usage_assets_by_status_stack_across_customers_and_keep_colours', () => {
    const a = usage.chartSeries(rows, udays, def('assets'));
    assert.deepStrictEqual(a.all.map((s) => s.name), ['Processing', 'Active', 'Failed', 'Weird']);
    // Failed is zero throughout: not drawn, and Weird keeps its own colour
    assert.deepStrictEqual(a.series.map((s) => [s.name, s.cls]), [['Processing', 0], ['Active', 1], ['Weird', 3]]);
    assert.deepStrictEqual(a.series[1].values, [2, 0, 1]);
    assert.deepStrictEqual(a.perDay, [5, 0, 1]);
    assert.strictEqual(a.figure, 1);
  });
  check('usage_picked_parts_only', () => {
    const v = usage.chartSeries(rows, udays, def('video-tasks'));
    assert.deepStrictEqual(v.all.map((s) => s.name), ['Succeeded', 'Failed']);
    assert.strictEqual(v.figure, 2, 'Created and Seconds are not stacked with the outcomes');
    const l = usage.chartSeries(rows, udays, def('liveness'));
    assert.strictEqual(l.series.length, 0);
    assert.strictEqual(l.figure, 0);
  });
  check('usage_upstream_calls_by_action', () => {
    const c = usage.chartSeries(rows, udays, def('upstream-calls'));
    assert.deepStrictEqual(c.series.map((s) => [s.name, s.values]), [['CreateAsset', [2, 0, 0]], ['GetAsset', [3, 0, 0]]]);
    assert.strictEqual(c.figure, 5);
  });
  check('usage_table_columns_stay_put', () => {
    const cols = usage.tableColumns(rows, udays);
    const ids = cols.map((c) => c.id);
    assert.ok(ids.includes('assets:Failed') && ids.includes('liveness:Expired') && ids.includes('video-seconds'), ids);
    assert.deepStrictEqual(cols.find((c) => c.id === 'video-seconds').values, [0, 0, 5]);
    assert.deepStrictEqual(cols.find((c) => c.id === 'assets-deleted').values, [0, 0, 1]);
    assert.strictEqual(cols.find((c) => c.id === 'bytes-stored').bytes, true);
    assert.deepStrictEqual(usage.tableColumns([], udays).map((c) => c.id).filter((i) => i.startsWith('assets:')),
      ['assets:Processing', 'assets:Active', 'assets:Failed']);
  });
  check('usage_chart_draws_the_reshaped_rows', () => {
    const a = usage.chartSeries(rows, udays, def('assets'));
    const svg = chart.toSvgString(chart.barChart(udays, a.series, { width: 400, height: 200 }));
    assert.ok(svg.includes('class="bar s3"') && !svg.includes('class="bar s2"'), svg);
  });
  check('audit_type_labels', () => {
    assert.strictEqual(audit.typeLabel('ApiKeyCreated'), 'API key created');
    assert.strictEqual(audit.typeLabel('LivenessSessionPassed'), 'Liveness session passed');
    assert.strictEqual(audit.typeLabel('AssetGroupDeleted'), 'Asset group deleted');
    assert.strictEqual(new Set(audit.AUDIT_TYPES).size, audit.AUDIT_TYPES.length);
    assert.strictEqual(audit.actorText('cli'), 'command line');
    assert.strictEqual(audit.actorText(''), 'Portico');
    assert.strictEqual(audit.actorText('ptca_abcdefgh'), 'ptca_abcdefgh');
    assert.strictEqual(audit.typeLabel('CustomerDisabled'), 'Customer disabled');
  });
  check('audit_types_are_the_specs', () => {
    // the Type filter offers exactly AuditType of docs/openapi.yaml, in its order
    const spec = require('fs').readFileSync(path.join(ROOT, 'docs', 'openapi.yaml'), 'utf8');
    const m = /^ {4}AuditType: \{type: string, enum: \[([^\]]*)\]\}$/m.exec(spec);
    assert.ok(m, 'no AuditType enum in docs/openapi.yaml');
    assert.deepStrictEqual(audit.AUDIT_TYPES, m[1].split(',').map((t) => t.trim()));
  });
  check('audit_detail_text', () => {
    assert.strictEqual(audit.detailText({ From: 'acme', To: 'acme inc' }), 'acme → acme inc');
    assert.strictEqual(audit.detailText({ From: false, To: true }), 'false → true');
    assert.strictEqual(audit.detailText({ From: 50, To: 0 }), '50 → 0');
    assert.strictEqual(audit.detailText('10000'), '10000');
    assert.strictEqual(audit.detailText(4096), '4096');
    assert.strictEqual(audit.detailText({ From: 1, To: 2, By: 3 }), '{"From":1,"To":2,"By":3}');
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
