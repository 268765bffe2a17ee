/**
 * The operator pages on the metrics port, beside /metrics and behind its auth: the live pool page (/, /ui,
 * /ui/events) and POST /debug/explain. Either can be off (--live-page=false, --debug-explain=false).
 */
import type http from 'node:http';
import { DEBUG_EXPLAIN_PATH, serveDebugExplain, type DryRun } from './debug-explain.ts';
import type { LiveHub } from './live-page/hub.ts';
import { liveFiles } from './live-page/static-files.ts';

export const LIVE_EVENTS_PATH = '/ui/events';

export interface OperatorRoutesOptions {
  /** The live page's event hub; absent = no page. */
  hub?: LiveHub | undefined;
  /** Director.explain; absent = no /debug/explain. */
  dryRun?: DryRun | undefined;
}

export function operatorRoutes(o: OperatorRoutesOptions): (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean {
  const files = o.hub ? liveFiles() : new Map();
  return (req, res, url) => {
    const path = url.pathname;
    if (o.dryRun && path === DEBUG_EXPLAIN_PATH) {
      serveDebugExplain(o.dryRun, req, res, url);
      return true;
    }
    if (!o.hub || req.method !== 'GET') return false;
    if (path === LIVE_EVENTS_PATH) {
      o.hub.attach(req, res);
      return true;
    }
    const file = files.get(path);
    if (!file) return false;
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(file.body);
    return true;
  };
}
