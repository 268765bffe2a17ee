/**
 * A dependency-free SVG line chart: one panel per metric, the QPS ladder on x (ordinal: evenly spaced, so a
 * fine grid around the knee stays readable next to 1000 QPS), latency on y (log scale, since tail latency
 * spans decades past the knee), one line per policy; dash patterns keep overlapping lines visible.
 */

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
}

const COLORS = ['#d62728', '#ff7f0e', '#7f7f7f', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const DASHES = ['', '7 3', '2 3', '', '10 7', '4 2 1 2', '1 3', '6 2 2 2'];
const W = 480;
const H = 340;
const M = { left: 62, right: 14, top: 34, bottom: 46 };

export function renderChart(title: string, panels: Panel[], xLabel: string): string {
  const width = W * panels.length;
  const legendNames = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))];
  const legendH = 22;
  const height = H + legendH + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((p, i) => parts.push(panel(p, i * W, 20, xLabel, legendNames)));
  legendNames.forEach((name, i) => {
    const x = 20 + i * Math.min(150, (width - 40) / legendNames.length);
    const y = H + 30;
    const c = COLORS[i % COLORS.length];
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${c}" stroke-width="2.5"${dash(i)}/>`);
    parts.push(`<circle cx="${x + 11}" cy="${y}" r="3" fill="${c}"/>`);
    parts.push(`<text x="${x + 28}" y="${y + 4}">${esc(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function panel(p: Panel, ox: number, oy: number, xLabel: string, names: string[]): string {
  const pts = p.series.flatMap((s) => s.points).filter((q) => Number.isFinite(q.y) && q.y > 0);
  const out: string[] = [];
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x0 = ox + M.left;
  const y0 = oy + M.top;
  out.push(`<text x="${ox + W / 2}" y="${oy + 20}" text-anchor="middle" font-size="12" font-weight="bold">${esc(p.title)}</text>`);
  if (pts.length === 0) return out.join('\n');
  const ticks = [...new Set(p.series.flatMap((s) => s.points.map((q) => q.x)))].sort((a, b) => a - b);
  const slot = new Map(ticks.map((t, k) => [t, k]));
  const lmin = Math.floor(Math.log10(Math.min(...pts.map((q) => q.y))));
  let lmax = Math.ceil(Math.log10(Math.max(...pts.map((q) => q.y))));
  if (lmax === lmin) lmax++;
  const sx = (x: number): number => x0 + (ticks.length === 1 ? 0.5 : (slot.get(x) as number) / (ticks.length - 1)) * pw;
  const sy = (y: number): number => y0 + ph - ((Math.log10(y) - lmin) / (lmax - lmin)) * ph;

  out.push(`<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let d = lmin; d <= lmax; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (Math.log10(v) > lmax + 1e-9) continue;
      const y = sy(v);
      out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + pw}" y2="${y}" stroke="${m === 1 ? '#ddd' : '#f1f1f1'}"/>`);
      if (m === 1 || lmax - lmin <= 2) out.push(`<text x="${x0 - 5}" y="${y + 4}" text-anchor="end">${fmt(v)}</text>`);
    }
  }
  let lastLabel = -Infinity;
  for (const t of ticks) {
    const x = sx(t);
    out.push(`<line x1="${x}" y1="${y0 + ph}" x2="${x}" y2="${y0 + ph + 4}" stroke="#999"/>`);
    if (x - lastLabel < 26) continue; // labels closer than this would overlap
    out.push(`<text x="${x}" y="${y0 + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
    lastLabel = x;
  }
  out.push(`<text x="${x0 + pw / 2}" y="${y0 + ph + 34}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 14},${y0 + ph / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  for (const s of p.series) {
    const c = COLORS[names.indexOf(s.name) % COLORS.length];
    const valid = s.points.filter((q) => Number.isFinite(q.y) && q.y > 0).sort((a, b) => a.x - b.x);
    if (valid.length === 0) continue;
    const d = valid.map((q, k) => `${k === 0 ? 'M' : 'L'}${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${dash(names.indexOf(s.name))}/>`);
    for (const q of valid) out.push(`<circle cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="2.8" fill="${c}"><title>${esc(s.name)} @ ${q.x}: ${fmt(q.y)}</title></circle>`);
  }
  return out.join('\n');
}

function dash(i: number): string {
  const d = DASHES[i % DASHES.length];
  return d ? ` stroke-dasharray="${d}"` : '';
}

function fmt(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 10000) return `${Math.round(v / 1000)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`;
  if (v >= 1) return String(Math.round(v * 10) / 10);
  return String(Number(v.toPrecision(2)));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
