// format.js — numbers, sizes, days and times as the console shows them.
// Pure functions (no DOM): tests/browser/console_admin_units.js runs them
// under node. Days are UTC calendar days, "YYYY-MM-DD", as GetUsage keys them.

const DAY_MS = 86400000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function formatCount(n) {
  const v = Number(n) || 0;
  return Math.round(v) === v ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

// 1536 -> "1.5 KiB"; binary units, as `ls -h` and the gateway's limits (10 MiB).
export function formatBytes(n) {
  let v = Number(n) || 0;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  if (i === 0) return v + ' B';
  const text = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text) + ' ' + units[i];
}

export function parseDay(s) {
  const m = DAY_RE.exec(String(s || ''));
  if (!m) return null;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  return isoDay(new Date(t)) === s ? t : null;  // rejects 2024-02-30
}

export function isoDay(d) {
  return new Date(d).toISOString().slice(0, 10);
}

export function addDays(day, n) {
  const t = parseDay(day);
  if (t === null) throw new Error('not a day: ' + day);
  return isoDay(t + n * DAY_MS);
}

// Every day from..to inclusive; at most `limit` days (the newest kept).
export function dayRange(from, to, limit) {
  const a = parseDay(from), b = parseDay(to);
  if (a === null || b === null || a > b) return [];
  const max = limit || 366;
  const first = Math.max(a, b - (max - 1) * DAY_MS);
  const out = [];
  for (let t = first; t <= b; t += DAY_MS) out.push(isoDay(t));
  return out;
}

// RFC 3339 -> "2024-05-01 12:34:56 UTC" (operators compare logs across
// nodes and time zones; UTC is what the gateway writes).
export function formatTime(s) {
  const t = Date.parse(s);
  if (!Number.isFinite(t)) return String(s || '');
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC';
}

// A <input type="datetime-local"> value, read as UTC, -> RFC 3339.
export function localInputToRfc3339(v) {
  if (!v) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(v);
  return m ? m[1] + 'T' + m[2] + (m[3] || ':00') + 'Z' : '';
}
