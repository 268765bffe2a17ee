/** An Explanation (framework/explain.ts) as a plain-text table, for `epp explain` and /debug/explain?format=text. */
import type { Explanation, ProfileExplanation } from '../framework/explain.ts';

export function explanationText(e: Explanation): string {
  const lines = [`request ${e.requestId}  model ${e.model || '-'}${e.targetModel && e.targetModel !== e.model ? ` -> ${e.targetModel}` : ''}`];
  lines.push(e.outcome === 'routed' ? `routed to ${e.destination} (primary profile ${e.primaryProfile})` : `not routed: ${e.outcome}: ${e.reason}`);
  for (const p of e.profiles) lines.push('', ...profileText(p, p.profile === e.primaryProfile));
  return lines.join('\n') + '\n';
}

function profileText(p: ProfileExplanation, primary: boolean): string[] {
  const lines = [`profile ${p.profile}${primary ? ' (primary)' : ''}: picker ${p.picker.name} (${p.picker.type})${p.picked.length ? `, picked ${p.picked.join(', ')}` : ''}${p.failure ? `, failed: ${p.failure}` : ''}`];
  for (const f of p.filters) lines.push(`  filter ${f.name} (${f.type}) kept ${f.kept}`);
  const head = ['endpoint', ...p.scorers.map((s) => `${s.name} x${s.weight}`), 'total', 'result'];
  const rows = p.endpoints.map((ep) => [
    ep.endpoint,
    ...p.scorers.map((_, i) => (ep.scores[i] === undefined ? '-' : ep.scores[i]!.toFixed(3))),
    ep.removedBy ? '-' : ep.total.toFixed(3),
    ep.rank === 0 ? 'PICKED' : ep.why,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  lines.push(line(head));
  for (const r of rows) lines.push(line(r));
  return lines;
}
