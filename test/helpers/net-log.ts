import { readFileSync } from 'node:fs';

export interface LoggedRequest {
  url: string;
  /** The origin that made the request; null for the browser's own requests ("not an origin"). */
  initiator: string | null;
}

/**
 * Every URL request in a Chromium NetLog (--log-net-log), read while the browser still writes
 * it: the network stack logs requests of every context, the service worker and the offscreen
 * document included, which page-level request events do not see. The file is one JSON document
 * with an event per line; the last line may be half written.
 */
export function netLogRequests(file: string): LoggedRequest[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const constants = JSON.parse(lines[0].replace(/^\{"constants":/, '').replace(/,\s*$/, '')) as { logEventTypes: Record<string, number> };
  const startJob = constants.logEventTypes.URL_REQUEST_START_JOB;
  const out: LoggedRequest[] = [];
  for (const line of lines.slice(1)) {
    if (!line.startsWith('{"params"')) continue;
    let event: { type: number; params?: { url?: string; initiator?: string } };
    try {
      event = JSON.parse(line.replace(/,\s*$/, ''));
    } catch {
      continue; // the line being written
    }
    if (event.type !== startJob || !event.params?.url) continue;
    const initiator = event.params.initiator;
    out.push({ url: event.params.url, initiator: initiator && initiator !== 'not an origin' ? initiator : null });
  }
  return out;
}
