// usage-data.js — GetUsage rows (per customer and day) reshaped into the
// series the charts draw. Pure: tests/browser/console_admin_units.js runs it
// under node. A chart's field is either a number (one series) or an object
// of named counts (one stacked series per name, e.g. assets by status).

// kind: 'level' is a state at the end of the day (the range's figure is the
// last day's); 'flow' counts what happened that day (the range's figure is
// the sum).
export const USAGE_CHARTS = [
  { id: 'assets', title: 'Assets by status', field: 'Assets', kind: 'level' },
  { id: 'bytes-stored', title: 'Bytes stored', field: 'BytesStored', kind: 'level', bytes: true },
  { id: 'upload-bytes', title: 'Upload bytes', field: 'UploadBytes', kind: 'flow', bytes: true },
  { id: 'upstream-calls', title: 'Upstream calls', field: 'UpstreamCalls', kind: 'flow' },
  { id: 'video-tasks', title: 'Video tasks', field: 'VideoTasks', kind: 'flow' },
  { id: 'liveness', title: 'Liveness sessions', field: 'LivenessSessions', kind: 'flow' },
];

function num(v) {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

// The named counts of one row's field: {name: n}; a plain number is {Total: n}.
function parts(value) {
  if (value === null || value === undefined) return {};
  if (typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) if (typeof v === 'number' || typeof v === 'string') out[k] = num(v);
    return out;
  }
  return { Total: num(value) };
}

// rows: GetUsage Items; days: the x axis ("YYYY-MM-DD"). Rows of every
// customer on a day add up (the "all customers" view).
export function chartSeries(rows, days, def) {
  const index = new Map(days.map((d, i) => [d, i]));
  const byName = new Map();
  for (const row of rows) {
    const i = index.get(String(row.Date || row.Day || '').slice(0, 10));
    if (i === undefined) continue;
    for (const [name, v] of Object.entries(parts(row[def.field]))) {
      if (!byName.has(name)) byName.set(name, new Array(days.length).fill(0));
      byName.get(name)[i] += v;
    }
  }
  const series = [...byName.entries()].map(([name, values]) => ({ name, values }));
  const perDay = days.map((_, i) => series.reduce((s, se) => s + se.values[i], 0));
  let figure = 0;
  if (def.kind === 'level') {
    for (let i = perDay.length - 1; i >= 0; i--) if (perDay[i] || rowsOn(rows, days[i])) { figure = perDay[i]; break; }
  } else {
    figure = perDay.reduce((a, b) => a + b, 0);
  }
  return { labels: days, series, perDay, figure };
}

function rowsOn(rows, day) {
  return rows.some((r) => String(r.Date || r.Day || '').slice(0, 10) === day);
}
