// usage.js — the Usage view: a customer (or all), a date range, one SVG
// chart per measure (usage-data.js, chart.js), the numbers as a table, and
// the same range as a CSV file (GetUsage Format=csv fetched with the admin
// key, handed to the browser as a blob: URL).
import { describeError } from './api.js';
import { $, h, clear, announce, busy } from './dom.js';
import { addDays, dayRange, formatBytes, formatCount, isoDay, parseDay } from './format.js';
import { barChart, seriesClass, toSvgElement } from './chart.js';
import { USAGE_CHARTS, chartSeries, tableColumns } from './usage-data.js';
import { customerIdValue, fillCustomerSelect } from './customers.js';

const DEFAULT_DAYS = 14;
const GATEWAY = '0';
const MAX_DAYS = 366;

export class UsageView {
  constructor(app) {
    this.app = app;
    this.last = null;   // {days, rows} of the last answer, redrawn on resize
    this.seq = 0;       // the last GetUsage asked: only its answer is shown
    $('#usage-form').addEventListener('submit', (ev) => { ev.preventDefault(); busy(ev.submitter, () => this.load()); });
    $('#usage-csv').addEventListener('click', (ev) => busy(ev.currentTarget, () => this.csv()));
    app.onCustomers((list) => this.fillCustomers(list));
    let t = 0;
    window.addEventListener('resize', () => { clearTimeout(t); t = setTimeout(() => this.draw(), 150); });
  }

  reset() {
    this.seq++;  // an answer still on its way is dropped
    this.last = null;
    clear($('#usage-charts'));
    clear($('#usage-table thead'));
    clear($('#usage-table tbody'));
    $('#usage-summary').textContent = '';
  }

  // Every customer, all of them together, and customer 0: the gateway's
  // own upstream calls (readiness pings, sweeps).
  fillCustomers(list) {
    const select = $('#usage-customer');
    const keep = select.value;
    fillCustomerSelect(select, list, 'All customers');
    select.append(h('option', { value: GATEWAY }, 'The gateway itself (its own upstream calls)'));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }

  show(opts) {
    this.fillCustomers(this.app.customers);
    if (opts.customerId) $('#usage-customer').value = opts.customerId;
    if (!$('#usage-to').value) $('#usage-to').value = isoDay(Date.now());
    if (!$('#usage-from').value) $('#usage-from').value = addDays($('#usage-to').value, -(DEFAULT_DAYS - 1));
    this.load();
  }

  // The form's range, checked; null (and a message) when it is not usable.
  query() {
    const from = $('#usage-from').value, to = $('#usage-to').value;
    const err = $('#usage-error');
    err.textContent = '';
    if (parseDay(from) === null || parseDay(to) === null) {
      err.textContent = 'Give both dates (From and To).';
      return null;
    }
    if (from > to) {
      err.textContent = 'From must not be after To.';
      return null;
    }
    if (dayRange(from, to, MAX_DAYS + 1).length > MAX_DAYS) {
      err.textContent = 'Choose at most ' + MAX_DAYS + ' days.';
      return null;
    }
    const q = { From: from, To: to };
    const id = $('#usage-customer').value;
    if (id === GATEWAY) q.CustomerId = 0;
    else if (id) q.CustomerId = customerIdValue(id, this.app.customers);
    return q;
  }

  async load() {
    const q = this.query();
    if (!q) return;
    const seq = ++this.seq;
    try {
      const r = await this.app.client.call('GetUsage', Object.assign({ Format: 'json' }, q));
      if (seq !== this.seq) return;  // a newer question was asked meanwhile
      this.last = { days: dayRange(q.From, q.To, MAX_DAYS), rows: r.Items || [], q };
      this.draw();
      this.table();
      const who = q.CustomerId === 0 ? 'the gateway itself'
        : q.CustomerId ? this.app.customerName(q.CustomerId) || '#' + q.CustomerId : 'all customers';
      $('#usage-summary').textContent = 'Usage of ' + who + ', ' + q.From + ' to ' + q.To + ' (UTC days).';
    } catch (e) {
      if (seq !== this.seq) return;
      $('#usage-error').textContent = 'Could not load usage: ' + describeError(e);
    }
  }

  draw() {
    const box = clear($('#usage-charts'));
    if (!this.last) return;
    const { days, rows } = this.last;
    for (const def of USAGE_CHARTS) {
      const data = chartSeries(rows, days, def);
      const fmt = def.bytes ? formatBytes : formatCount;
      const area = h('div', { class: 'chart-area' });
      const fig = h('figure', { class: 'chart-box', id: 'chart-' + def.id, dataset: { figure: data.figure } },
        h('figcaption', {}, def.title + ' ',
          h('span', { class: 'total' }, '— ' + (def.kind === 'level' ? 'latest ' : 'total ') + fmt(data.figure))),
        area,
        data.series.length ? h('ul', { class: 'legend' }, data.series.map((s) =>
          h('li', {}, h('span', { class: 'swatch ' + seriesClass(s.cls), 'aria-hidden': 'true' }), s.name)))
          : h('p', { class: 'muted' }, 'Nothing in this range.'));
      box.append(fig);
      const width = Math.max(260, Math.floor(area.clientWidth || box.clientWidth || 600));
      const spec = barChart(days, data.series, {
        width, height: width < 480 ? 170 : 210, format: fmt, binary: !!def.bytes, integer: true, title: def.title,
      });
      area.append(toSvgElement(spec, document));
    }
  }

  table() {
    const head = clear($('#usage-table thead'));
    const body = clear($('#usage-table tbody'));
    if (!this.last) return;
    const { days, rows } = this.last;
    const cols = tableColumns(rows, days);
    head.append(h('tr', {}, h('th', { scope: 'col' }, 'Day'), cols.map((c) => h('th', { scope: 'col' }, c.title))));
    // Newest day first: the one an operator looks for.
    for (let i = days.length - 1; i >= 0; i--) {
      body.append(h('tr', { dataset: { day: days[i] } }, h('th', { scope: 'row' }, days[i]),
        cols.map((c) => h('td', { dataset: { col: c.id, value: c.values[i] } },
          (c.bytes ? formatBytes : formatCount)(c.values[i])))));
    }
  }

  async csv() {
    const q = this.query();
    if (!q) return;
    try {
      const blob = await this.app.client.download('GetUsage', Object.assign({ Format: 'csv' }, q));
      const url = URL.createObjectURL(blob);
      const who = q.CustomerId === undefined ? 'all' : q.CustomerId === 0 ? 'gateway' : q.CustomerId;
      const a = h('a', { href: url, download: 'portico-usage-' + who + '-' + q.From + '-' + q.To + '.csv' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      announce('CSV file downloaded.', 'ok');
    } catch (e) {
      $('#usage-error').textContent = 'Could not download the CSV: ' + describeError(e);
    }
  }
}
