/**
 * node bench/autoscaling/run.ts: the autoscaling scenario (scenario.ts); prints the lead of the desired-replica
 * hint over the latency knee and the autoscaled runs, writes bench/autoscaling/results.json and signal-vs-knee.svg.
 */
import { writeFileSync } from 'node:fs';
import { runScenario, type ScenarioOptions } from './scenario.ts';

const base: ScenarioOptions = { startReplicas: 4, fromRps: 10, toRps: 120, seconds: 300, promptTokens: 512, outputTokens: 256, scaler: 'none', seed: 1 };
const fixed = runScenario({ ...base, stopAfterKneeMs: 30_000 });
const threshold = 4 * fixed.baselineP90;
const hint = runScenario({ ...base, scaler: 'hint' }, threshold);
const latency = runScenario({ ...base, scaler: 'latency' }, threshold);
const hintEarly = runScenario({ ...base, scaler: 'hint', targets: { queueSize: 5, saturation: 0.5, inflightPerReplica: 32 } }, threshold);
const lead = fixed.signalAt !== null && fixed.kneeAt !== null ? (fixed.kneeAt - fixed.signalAt) / 1000 : null;
const row = (name: string, r: typeof fixed) => `| ${name} | ${r.samples.at(-1)!.replicas} | ${r.p90.toFixed(0)} | ${(100 * r.overKnee).toFixed(1)}% |`;
console.log(`baseline p90 TTFT ${fixed.baselineP90.toFixed(1)} ms; knee threshold ${threshold.toFixed(1)} ms`);
console.log(`fixed fleet of ${base.startReplicas}: hint > replicas at ${fixed.signalAt! / 1000} s (${fixed.samples.find((s) => s.t * 1000 === fixed.signalAt)?.rps.toFixed(1)} req/s); knee at ${fixed.kneeAt! / 1000} s (${fixed.samples.find((s) => s.t * 1000 === fixed.kneeAt)?.rps.toFixed(1)} req/s); lead ${lead} s`);
// The lead for other targets (the knee does not move; the signal does).
for (const saturation of [0.8, 0.6, 0.5]) {
  const r = runScenario({ ...base, stopAfterKneeMs: 0, targets: { queueSize: 5, saturation, inflightPerReplica: 32 } }, threshold);
  console.log(`target saturation ${saturation}: signal at ${r.signalAt! / 1000} s, knee at ${r.kneeAt! / 1000} s, lead ${(r.kneeAt! - r.signalAt!) / 1000} s`);
}
console.log('| autoscaler (full run unless noted) | final replicas | p90 TTFT ms | requests over knee |');
console.log('|---|---:|---:|---:|');
console.log(row('none (fixed 4; stopped 30 s after the knee)', fixed));
console.log(row('on the hint (target saturation 0.8, default)', hint));
console.log(row('on the hint (target saturation 0.5)', hintEarly));
console.log(row('on p90 latency', latency));
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify({ options: base, threshold, leadSeconds: lead, signalAt: fixed.signalAt, kneeAt: fixed.kneeAt, runs: { fixed: { p90: fixed.p90, overKnee: fixed.overKnee }, hint: { p90: hint.p90, overKnee: hint.overKnee, replicas: hint.samples.at(-1)!.replicas }, hintSaturation05: { p90: hintEarly.p90, overKnee: hintEarly.overKnee, replicas: hintEarly.samples.at(-1)!.replicas }, latency: { p90: latency.p90, overKnee: latency.overKnee, replicas: latency.samples.at(-1)!.replicas } } }, null, 2) + '\n');

// A two-panel SVG: the hint vs replicas, and p90 TTFT, over time (fixed fleet), with the signal and knee marked.
const W = 720;
const H = 220;
const pad = 50;
const tMax = base.seconds;
const xs = (t: number) => pad + ((W - 2 * pad) * t) / tMax;
const line = (pts: [number, number][], y: (v: number) => number, color: string) =>
  `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map(([t, v]) => `${xs(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;
const maxDesired = Math.max(...fixed.samples.map((s) => s.desired));
const yD = (v: number) => 20 + H - 20 - ((H - 40) * v) / maxDesired;
const maxT = Math.log10(Math.max(...fixed.samples.map((s) => s.ttftP90), 1));
const yT = (v: number) => H + 40 + H - 20 - ((H - 40) * Math.log10(Math.max(1, v))) / maxT;
const mark = (t: number | null, label: string, color: string) =>
  t === null ? '' : `<line x1="${xs(t / 1000)}" x2="${xs(t / 1000)}" y1="20" y2="${2 * H + 40}" stroke="${color}" stroke-dasharray="4 3"/><text x="${xs(t / 1000) + 4}" y="34" fill="${color}">${label} ${t / 1000}s</text>`;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 80}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="14" text-anchor="middle" font-weight="bold">Fixed fleet of ${base.startReplicas}, load ${base.fromRps}->${base.toRps} req/s over ${base.seconds}s: the hint leads the knee by ${lead}s</text>
<text x="${pad}" y="${H + 10}">desired replicas (hint, blue) vs replicas (grey)</text>
${line(fixed.samples.map((s) => [s.t, s.desired]), yD, '#1f77b4')}
${line(fixed.samples.map((s) => [s.t, s.replicas]), yD, '#7f7f7f')}
<text x="${pad}" y="${2 * H + 60}">p90 TTFT, 5 s window (log, ms; red line = knee threshold ${threshold.toFixed(0)} ms); x = seconds</text>
${line(fixed.samples.map((s) => [s.t, s.ttftP90]), yT, '#d62728')}
<line x1="${pad}" x2="${W - pad}" y1="${yT(threshold)}" y2="${yT(threshold)}" stroke="#d62728" stroke-width="0.5"/>
${mark(fixed.signalAt, 'signal', '#1f77b4')}
${mark(fixed.kneeAt, 'knee', '#d62728')}
</svg>
`;
writeFileSync(new URL('./signal-vs-knee.svg', import.meta.url), svg);
