import { Agent, request } from 'node:http';
import { startTestApp, TestApp } from '../support/app';

/**
 * A client (an ingress, a load balancer, a developer center's HTTP pool) keeps idle connections open for up to a
 * minute (ingress-nginx: 60 s) and sends on one whenever it likes. Node's server closes an idle connection after 5 s
 * by default, so a request sent as it closed failed with ECONNRESET (bench:api saw one in 6,000). svc-sentry keeps
 * idle connections for 65 s, longer than such clients.
 */
describe('HTTP keep-alive', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({});
  });
  afterAll(async () => t?.close());

  it('an idle keep-alive connection still serves a request after 6 s', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const r = request(`${t.url}/healthz`, { agent }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        r.on('error', reject);
        r.end();
      });
    try {
      expect(await get()).toBe(200);
      const [socket] = [...sockets] as Array<{ destroyed: boolean }>;
      await new Promise((r) => setTimeout(r, 6000));
      // The server has not closed it: the same socket is still open and carries the next request.
      expect(socket.destroyed).toBe(false);
      expect(await get()).toBe(200);
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
