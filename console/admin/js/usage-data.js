// usage-data.js — GetUsage rows (API.md §7: one per customer and UTC day)
// reshaped into what the charts and the table show. Pure: tests/browser/
// console_admin_units.js runs it under node.
//
// A figure is found by its path in a row: a number is one series; an
// object of named counts (assets by status, upstream calls by Action) is
// one stacked series per name: the known names always, in their order,
// then any other the rows hold (none when only). kind 'level' is a stock at the end of the
// day (the range's figure is the last day's), 'flow' what happened during
// the day (the range's figure is the sum). A day without a row is zero:
// GetUsage leaves out rows that say nothing.

export const USAGE_CHARTS = [
  { id: 'assets', title: 'Assets by status', path: ['Assets', 'Live'], kind: 'level',
    known: ['Processing', 'Active', 'Failed'] },
  { id: 'bytes-stored', title: 'Bytes stored', path: ['BytesStored'], kind: 'level', bytes: true },
  { id: 'upload-bytes', title: 'Upload bytes', path: ['UploadBytes'], kind: 'flow', bytes: true },
  { id: 'upstream-calls', title: 'Upstream calls', path: ['UpstreamCalls'], kind: 'flow' },
  { id: 'video-tasks', title: 'Video tasks finished', path: ['VideoTasks'], kind: 'flow',
    known: ['Succeeded', 'Failed'], only: true },
  { id: 'liveness', title: 'Liveness sessions by outcome', path: ['LivenessSessions'], kind: 'flow',
    known: ['Passed', 'Failed', 'Expired'], only: true },
];

// Figures only the table shows (and the charts' captions mention).
export const USAGE_EXTRAS = [
  { id: 'groups', title: 'Groups', path: ['Groups', 'Live'], kind: 'level' },
  { id: 'groups-created', title: 'Groups created', path: ['Groups', 'Created'], kind: 'flow' },
  { id: 'assets-created', title: 'Assets created', path: ['Assets', 'Created'], kind: 'flow' },
  { id: 'assets-deleted', title: 'Assets deleted', path: ['Assets', 'Deleted'], kind: 'flow' },
  { id: 'video-created', title: 'Video tasks created', path: ['VideoTasks', 'Created'], kind: 'flow' },
  { id: 'video-seconds', title: 'Video seconds', path: ['VideoTasks', 'Seconds'], kind: 'flow' },
  { id: 'liveness-started', title: 'Liveness sessions started', path: ['LivenessSessions', 'Started'], kind: 'flow' },
];

function num(v) {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function at(row, path) {
  let v = row;
  for (const k of path) v = v && typeof v === 'object' ? v[k] : undefined;
  return v;
}

// The named counts of one row's figure: [[name, n]]; a number is [['', n]].
function parts(value, def) {
  if (value === null || value === undefined) return [];
  if (typeof value === 'object') {
    const names = def.only ? def.known : Object.keys(value);
    return names.map((k) => [k, num(value[k])]);
  }
  return [['', num(value)]];
}

export function dayOf(row) {
  return String(row && row.Date || '').slice(0, 10);
}

// rows: GetUsage Items; days: the x axis ("YYYY-MM-DD"). Rows of every
// customer on a day add up (the "all customers" view). Returns the series
// (names that are zero over the whole range left out, each with its colour
// index kept: a status keeps its colour whichever others are shown), the
// per-day totals, and the range's figure.
export function chartSeries(rows, days, def) {
  const index = new Map(days.map((d, i) => [d, i]));
  const byName = new Map();
  const order = [];
  for (const name of def.known || []) { byName.set(name, new Array(days.length).fill(0)); order.push(name); }
  for (const row of rows) {
    const i = index.get(dayOf(row));
    if (i === undefined) continue;
    for (const [name, v] of parts(at(row, def.path), def)) {
      if (!byName.has(name)) { byName.set(name, new Array(days.length).fill(0)); order.push(name); }
      byName.get(name)[i] += v;
    }
  }
  const all = order.map((name, cls) => ({ name: name || def.title, values: byName.get(name), cls }));
  const series = all.filter((s) => s.values.some((v) => v > 0));
  const perDay = days.map((_, i) => all.reduce((s, se) => s + se.values[i], 0));
  const figure = !days.length ? 0 : def.kind === 'level' ? perDay[days.length - 1] : perDay.reduce((a, b) => a + b, 0);
  return { labels: days, series, all, perDay, figure };
}

// The table's columns: a column per series of every chart (all names, zero
// or not, so the columns do not move) and per extra figure.
export function tableColumns(rows, days) {
  const cols = [];
  for (const def of USAGE_CHARTS) {
    const data = chartSeries(rows, days, def);
    if (data.all.length <= 1) cols.push({ id: def.id, title: def.title, values: data.perDay, bytes: !!def.bytes });
    else for (const s of data.all) cols.push({ id: def.id + ':' + s.name, title: def.title + ': ' + s.name, values: s.values, bytes: !!def.bytes });
  }
  for (const def of USAGE_EXTRAS) {
    const data = chartSeries(rows, days, def);
    cols.push({ id: def.id, title: def.title, values: data.perDay, bytes: false });
  }
  return cols;
}
