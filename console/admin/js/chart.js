// chart.js — the usage charts: stacked bars per day, drawn as SVG.
// barChart() is pure: it returns a tree of {tag, attrs, children, text}
// nodes (tests/browser/console_admin_units.js checks the geometry under
// node); toSvgElement() turns the tree into DOM nodes, toSvgString() into
// markup. Colours come from the stylesheet by class (s0..s7), so no style
// attribute is ever written (the CSP blocks them).

const PALETTE_SIZE = 8;

// A scale from 0 with 2-6 round ticks covering max. Integer counts never
// get a fractional step; binary sizes step in round KiB/MiB/GiB.
export function niceScale(max, target, integer, binary) {
  const want = target || 4;
  let m = Number(max);
  if (!Number.isFinite(m) || m <= 0) m = 1;
  if (binary && m >= 1024) {
    const unit = Math.pow(1024, Math.floor(Math.log(m) / Math.log(1024)));
    const s = niceScale(m / unit, want, false, false);
    return { max: s.max * unit, step: s.step * unit, ticks: s.ticks.map((t) => t * unit) };
  }
  const rough = m / want;
  const mag = Math.pow(10, Math.floor(Math.log10(rough)));
  const norm = rough / mag;
  let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  if (integer && step < 1) step = 1;
  const top = Math.ceil(m / step - 1e-9) * step;
  const ticks = [];
  for (let i = 0; i * step <= top + step * 1e-9; i++) ticks.push(+(i * step).toPrecision(12));
  return { max: top, step, ticks };
}

function node(tag, attrs, children, text) {
  return { tag, attrs: attrs || {}, children: children || [], text };
}

function round(v) {
  return Math.round(v * 10) / 10;
}

// labels: the days (x axis); series: [{name, values: [number per label],
// cls (optional): colour index, else its position}].
// opts: width, height, format (tick and title text), integer, binary
// (sizes in bytes), title.
export function barChart(labels, series, opts) {
  const o = Object.assign({ width: 640, height: 220, format: String, integer: true, binary: false, title: '' }, opts);
  const margin = { top: 10, right: 8, bottom: 26, left: 58 };
  const plotW = Math.max(10, o.width - margin.left - margin.right);
  const plotH = Math.max(10, o.height - margin.top - margin.bottom);
  const n = labels.length;
  const totals = labels.map((_, i) => series.reduce((s, se) => s + Math.max(0, Number(se.values[i]) || 0), 0));
  const scale = niceScale(Math.max(0, ...totals), plotH < 120 ? 3 : 4, o.integer, o.binary);
  const y = (v) => margin.top + plotH - (v / scale.max) * plotH;

  const grid = [];
  for (const t of scale.ticks) {
    const ty = round(y(t));
    grid.push(node('line', { class: 'grid', x1: margin.left, x2: margin.left + plotW, y1: ty, y2: ty }));
    grid.push(node('text', { class: 'tick', x: margin.left - 6, y: ty + 4, 'text-anchor': 'end' }, [], o.format(t)));
  }

  const band = n ? plotW / n : plotW;
  const barW = Math.max(1, round(band * 0.72));
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 46))));
  const bars = [];
  const xlabels = [];
  labels.forEach((label, i) => {
    const x = round(margin.left + i * band + (band - barW) / 2);
    let acc = 0;
    const parts = [];
    series.forEach((se, si) => {
      const v = Math.max(0, Number(se.values[i]) || 0);
      if (!v) return;
      const top = y(acc + v), bottom = y(acc);
      acc += v;
      parts.push(node('rect', {
        class: 'bar ' + seriesClass(se.cls === undefined ? si : se.cls), x, y: round(top), width: barW,
        height: round(bottom - top), 'data-series': se.name, 'data-value': v,
      }, [node('title', {}, [], label + ' · ' + se.name + ': ' + o.format(v))]));
    });
    bars.push(node('g', { class: 'day', 'data-day': label, 'data-total': totals[i] }, parts));
    if (i % labelEvery === 0) {
      xlabels.push(node('text', { class: 'tick', x: round(margin.left + i * band + band / 2), y: o.height - 8,
        'text-anchor': 'middle' }, [], String(label).slice(5)));
    }
  });

  const axis = node('line', { class: 'axis', x1: margin.left, x2: margin.left + plotW,
    y1: margin.top + plotH, y2: margin.top + plotH });
  const peak = Math.max(0, ...totals);
  const summary = (o.title ? o.title + ': ' : '') + n + ' days' +
    (n ? ', from ' + labels[0] + ' to ' + labels[n - 1] + ', peak ' + o.format(peak) : '');
  return node('svg', {
    class: 'chart', xmlns: 'http://www.w3.org/2000/svg', viewBox: '0 0 ' + o.width + ' ' + o.height,
    width: o.width, height: o.height, role: 'img', 'aria-label': summary, focusable: 'false',
  }, [node('g', { class: 'grid' }, grid), node('g', { class: 'bars' }, bars), axis,
    node('g', { class: 'labels' }, xlabels)]);
}

export function seriesClass(i) {
  return 's' + (i % PALETTE_SIZE);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function toSvgElement(spec, doc) {
  const el = doc.createElementNS(SVG_NS, spec.tag);
  for (const [k, v] of Object.entries(spec.attrs)) if (k !== 'xmlns') el.setAttribute(k, String(v));
  if (spec.text !== undefined) el.textContent = spec.text;
  for (const c of spec.children) el.appendChild(toSvgElement(c, doc));
  return el;
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function toSvgString(spec) {
  const attrs = Object.entries(spec.attrs).map(([k, v]) => ' ' + k + '="' + esc(v) + '"').join('');
  const inner = (spec.text !== undefined ? esc(spec.text) : '') + spec.children.map(toSvgString).join('');
  return '<' + spec.tag + attrs + '>' + inner + '</' + spec.tag + '>';
}
