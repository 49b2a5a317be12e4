import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * An HTTP proxy (127.0.0.1) in front of the Sentry stand-in that loses answers of calls the upstream APPLIED:
 * the request is forwarded and answered upstream, then the client gets a 502 gateway page or no answer at all
 * (it hangs until the client gives up). The first attempt at each matching call (method, path, body) is lost, alternating
 * 502 and hang per rule, so every project create, key create and key delete meets exactly that failure.
 * Answers name the proxy instead of the upstream (the organization's region URL, Link headers), so a client that
 * follows them stays behind the proxy.
 */
export interface LossRule {
  name: string;
  method: string;
  path: RegExp;
}

export interface LossCounts {
  /** Answered upstream with 2xx, then replaced by a 502. */
  lost502: number;
  /** Answered upstream with 2xx, then never answered; `abortedByClient` of them were closed by the client. */
  lostHang: number;
  abortedByClient: number;
  /** Every call matching the rule that reached the proxy. */
  calls: number;
  /** Upstream statuses of the calls matching the rule (lost ones included). */
  upstreamStatus: Record<number, number>;
}

export interface LossyProxy {
  url: string;
  counts(): Record<string, LossCounts>;
  close(): Promise<void>;
}

const readAll = (s: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });

export async function startLossyProxy(target: string, rules: LossRule[]): Promise<LossyProxy> {
  const upstream = new URL(target);
  target = upstream.origin;
  let self = '';
  const seen = new Set<string>();
  const counts: Record<string, LossCounts> = Object.fromEntries(
    rules.map((r) => [r.name, { lost502: 0, lostHang: 0, abortedByClient: 0, calls: 0, upstreamStatus: {} }]),
  );
  const sockets = new Set<Socket>();

  const server = createServer(async (req, res) => {
    try {
      const body = await readAll(req);
      const path = req.url ?? '/';
      const rule = rules.find((r) => r.method === req.method && r.path.test(path.split('?')[0]));
      const c = rule ? counts[rule.name] : undefined;
      if (c) c.calls += 1;
      // The first attempt at this call: same method, path and body (one project create per slug, not per team).
      const call = `${req.method} ${path} ${body.toString('utf8')}`;
      const first = rule !== undefined && !seen.has(call);
      if (first) seen.add(call);
      const headers = { ...req.headers, host: upstream.host };
      const answer = await new Promise<IncomingMessage>((resolve, reject) => {
        const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, resolve);
        out.on('error', reject);
        out.end(body);
      });
      const data = Buffer.from((await readAll(answer)).toString('utf8').split(target).join(self));
      const status = answer.statusCode ?? 502;
      if (c) c.upstreamStatus[status] = (c.upstreamStatus[status] ?? 0) + 1;
      if (c && first && status >= 200 && status < 300) {
        // Applied upstream; now lose the answer.
        if ((c.lost502 + c.lostHang) % 2 === 0) {
          c.lost502 += 1;
          res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        } else {
          c.lostHang += 1;
          res.on('close', () => (c.abortedByClient += 1));
        }
        return;
      }
      const back: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (v !== undefined && !['connection', 'transfer-encoding', 'content-length'].includes(k)) back[k] = v;
      res.writeHead(status, back).end(data);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`lossy proxy: ${String(e)}`);
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('lossy proxy: no TCP address');
  self = `http://127.0.0.1:${addr.port}`;
  return {
    url: self,
    counts: () => structuredClone(counts),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
