/**
 * Ingest endpoints: POST /api/{project_id}/store/ and /api/{project_id}/envelope/.
 * Key from X-Sentry-Auth, ?sentry_key= or the envelope header `dsn`; gzip/deflate/br bodies;
 * raven-python style zlib JSON (also without Content-Encoding, or base64 of it).
 * Never subject to faults or rate limits.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { inflateSync } from 'node:zlib';
import { decodeBody, HttpError, type Reply } from './http-util';
import type { StandinStore } from './state';
import type { ReceivedEvent } from './types';

export const INGEST_PATH = /^\/api\/(\d+)\/(store|envelope)\/?$/;

interface Auth {
  key?: string;
  secret?: string;
  client?: string;
}

function parseAuthHeader(value: string | undefined): Auth {
  if (!value) return {};
  const out: Record<string, string> = {};
  for (const part of value.replace(/^\s*Sentry\s+/i, '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0)
      out[part.slice(0, eq).trim()] = part
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '');
  }
  return { key: out.sentry_key, secret: out.sentry_secret, client: out.sentry_client };
}

function authFrom(req: IncomingMessage, url: URL): Auth {
  const header = req.headers['x-sentry-auth'];
  const authz = req.headers.authorization;
  const fromHeader = parseAuthHeader((Array.isArray(header) ? header[0] : header) ?? (authz && /^Sentry\s/i.test(authz) ? authz : undefined));
  return {
    key: fromHeader.key ?? url.searchParams.get('sentry_key') ?? undefined,
    secret: fromHeader.secret ?? url.searchParams.get('sentry_secret') ?? undefined,
    client: fromHeader.client ?? url.searchParams.get('sentry_client') ?? undefined,
  };
}

/** Store bodies: JSON, or zlib JSON (raven), or base64 zlib JSON (very old ravens). */
function parseStoreBody(buf: Buffer): any {
  const attempts: Array<() => Buffer> = [() => buf, () => inflateSync(buf), () => inflateSync(Buffer.from(buf.toString('latin1'), 'base64'))];
  for (const attempt of attempts) {
    try {
      return JSON.parse(attempt().toString('utf8'));
    } catch {
      /* next */
    }
  }
  throw new HttpError(400, { detail: 'invalid event payload' });
}

interface Envelope {
  header: any;
  items: Array<{ header: any; payload: any }>;
}

export function parseEnvelope(buf: Buffer): Envelope {
  let pos = 0;
  const readLine = (): Buffer => {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 ? buf.length : nl;
    const line = buf.subarray(pos, end);
    pos = nl < 0 ? buf.length : nl + 1;
    return line;
  };
  const json = (b: Buffer): any => JSON.parse(b.toString('utf8'));
  try {
    const header = json(readLine());
    const items: Envelope['items'] = [];
    while (pos < buf.length) {
      const line = readLine();
      if (line.toString('utf8').trim() === '') continue;
      const itemHeader = json(line);
      let payload: Buffer;
      if (typeof itemHeader.length === 'number') {
        payload = buf.subarray(pos, pos + itemHeader.length);
        if (payload.length < itemHeader.length) throw new Error('truncated item');
        pos += itemHeader.length;
        if (buf[pos] === 0x0a) pos += 1;
      } else {
        payload = readLine();
      }
      let parsed: any;
      try {
        parsed = json(payload);
      } catch {
        parsed = payload.toString('utf8');
      }
      items.push({ header: itemHeader, payload: parsed });
    }
    return { header, items };
  } catch (e) {
    throw new HttpError(400, { detail: `invalid envelope: ${(e as Error).message}` });
  }
}

function lastException(event: any): { type?: string; value?: string } {
  const exc = event?.exception ?? event?.['sentry.interfaces.Exception'];
  let values: any[] = [];
  if (Array.isArray(exc)) values = exc;
  else if (Array.isArray(exc?.values)) values = exc.values;
  else if (exc && typeof exc === 'object' && (exc.type || exc.value)) values = [exc];
  const last = values[values.length - 1];
  return last ? { type: last.type ?? undefined, value: last.value ?? undefined } : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function handleIngest(store: StandinStore, req: IncomingMessage, url: URL, body: Buffer, record: (e: ReceivedEvent) => void): Reply {
  const m = INGEST_PATH.exec(url.pathname);
  if (!m) return { status: 404, body: { detail: 'not found' } };
  if (req.method !== 'POST') return { status: 405, body: { detail: 'method not allowed' } };
  const [, projectId, via] = m as unknown as [string, string, 'store' | 'envelope'];
  const decoded = decodeBody(body, req.headers['content-encoding']);
  const auth = authFrom(req, url);

  let event: any;
  let raw: any;
  let envelope: Envelope | undefined;
  if (via === 'store') {
    event = parseStoreBody(decoded);
    raw = event;
  } else {
    envelope = parseEnvelope(decoded);
    raw = envelope;
    event = envelope.items.find((i) => i.header?.type === 'event')?.payload;
    if (!auth.key && typeof envelope.header?.dsn === 'string') {
      try {
        const dsn = new URL(envelope.header.dsn);
        auth.key = decodeURIComponent(dsn.username) || undefined;
        auth.secret = decodeURIComponent(dsn.password) || undefined;
      } catch {
        /* invalid dsn: treated as missing */
      }
    }
  }
  if (!auth.key) return { status: 401, body: { detail: 'missing authorization information' } };
  const key = store.keyByPublic(auth.key);
  const project = key ? store.projectById(String(key.projectId)) : undefined;
  if (!key || !project || project.deletedAt || String(key.projectId) !== projectId) {
    return { status: 403, body: { detail: 'event submission rejected with_reason: ProjectId' } };
  }
  if (!key.isActive) return { status: 403, body: { detail: 'event submission rejected with_reason: DisabledKey' } };

  const exc = lastException(event);
  const session = envelope?.items.find((i) => i.header?.type === 'session' || i.header?.type === 'sessions')?.payload;
  const sdkName = str(event?.sdk?.name) ?? str(envelope?.header?.sdk?.name) ?? (auth.client ? auth.client.split('/')[0] : undefined);
  const eventId = str(envelope?.header?.event_id) ?? str(event?.event_id) ?? randomBytes(16).toString('hex');
  const received: ReceivedEvent = {
    projectId,
    keyId: key.id,
    via,
    exceptionType: exc.type,
    exceptionValue: exc.value,
    environment: str(event?.environment) ?? str(session?.attrs?.environment),
    release: str(event?.release) ?? str(session?.attrs?.release),
    sdk: sdkName,
    raw,
    secretGiven: auth.secret !== undefined && auth.secret !== '',
    eventId,
    itemTypes: envelope ? envelope.items.map((i) => String(i.header?.type)) : ['event'],
    receivedAt: Date.now(),
  };
  if (received.secretGiven) received.secretValid = auth.secret === key.secret;
  record(received);
  return { status: 200, body: { id: eventId } };
}
