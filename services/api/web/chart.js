// chart.js - run durations and outcomes of one job over time, as inline
// SVG: one bar per run, oldest on the left, its height the run's
// duration, its colour its outcome.

const SVG = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 200;
const PAD = { left: 52, right: 12, top: 12, bottom: 30 };

function svg(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// niceStep picks a step of 1, 2 or 5 times a power of ten.
function niceStep(max, ticks) {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

// runDurationMs: finished - started; for a run still going, now - started.
export function runDurationMs(run, now = Date.now()) {
  if (!run.started_at) return null;
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  return Math.max(0, end - Date.parse(run.started_at));
}

// durationsChart returns an <svg> for runs (any order) and a one-line
// summary of them for screen readers. fmtDuration and fmtTime format
// the labels.
export function durationsChart(runs, fmtDuration, fmtTime, id) {
  const now = Date.now();
  const rs = runs.slice().sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': id + '-sum',
  });
  const counts = {};
  for (const r of rs) counts[r.status] = (counts[r.status] || 0) + 1;
  const durs = rs.map((r) => runDurationMs(r, now)).filter((d) => d !== null);
  const longest = durs.length ? Math.max(...durs) : 0;
  const sorted = durs.slice().sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0;
  const parts = Object.entries(counts).map(([s, n]) => `${n} ${s}`);
  const summary = rs.length === 0 ? 'No runs yet.'
    : `Last ${rs.length} run${rs.length === 1 ? '' : 's'}: ${parts.join(', ')}` +
      (durs.length ? `; median ${fmtDuration(median)}, longest ${fmtDuration(longest)}.` : '.');
  root.append(svg('title', { id: id + '-sum' }, summary));

  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = niceStep(Math.max(longest, 10), 4);
  const top = Math.max(step, Math.ceil(Math.max(longest, 10) / step) * step);
  const y = (ms) => PAD.top + plotH - (ms / top) * plotH;

  const axis = svg('g', { class: 'axis' });
  for (let v = 0; v <= top + 1e-9; v += step) {
    axis.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: v === 0 ? 'base' : 'grid' }));
    axis.append(svg('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtDuration(v)));
  }
  root.append(axis);
  if (rs.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No runs yet'));
    return { node: root, summary };
  }
  const slot = plotW / rs.length;
  const bw = Math.max(2, Math.min(28, slot * 0.7));
  const bars = svg('g', { class: 'bars' });
  rs.forEach((r, i) => {
    const d = runDurationMs(r, now);
    const x = PAD.left + i * slot + (slot - bw) / 2;
    const h = d === null ? 3 : Math.max(3, (d / top) * plotH);
    const bar = svg('rect', {
      x: x.toFixed(1), y: (PAD.top + plotH - h).toFixed(1), width: bw.toFixed(1), height: h.toFixed(1),
      rx: 2, class: `bar s-${r.status}`, 'data-run': r.run_id,
    });
    bar.append(svg('title', {}, `${fmtTime(r.created_at)}: ${r.status}` +
      (d === null ? '' : `, ${fmtDuration(d)}`)));
    bars.append(bar);
  });
  root.append(bars);
  const labels = svg('g', { class: 'axis' });
  // the oldest run's time on the left, the newest one's on the right
  labels.append(svg('text', { x: PAD.left, y: H - 8, 'text-anchor': 'start' }, fmtTime(rs[0].created_at)));
  if (rs.length > 1) {
    labels.append(svg('text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end' },
      fmtTime(rs[rs.length - 1].created_at)));
  }
  root.append(labels);
  return { node: root, summary };
}
