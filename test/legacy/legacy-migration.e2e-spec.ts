import { join } from 'node:path';
import request from 'supertest';
import { treeFrom } from '../../src/legacy-migration/core/migrate';
import { readArchive, writeArchive } from '../../src/legacy-migration/io/archive';
import { DEFAULT_LIMITS } from '../../src/legacy-migration/io/limits';
import { readDirTree } from '../../src/legacy-migration/io/read-dir';
import { API_TOKEN, startTestApp, TestApp } from '../support/app';
import { rawZip } from './hostile/raw-archives';

/**
 * The legacy-migration endpoint in the application exactly as `main.ts` builds it (createApp through the shared
 * test factory): the real problem+json filter maps each refusal to the status openapi.json documents.
 */
const TOKEN = API_TOKEN;
const fixture = (name: string) => readDirTree(join(__dirname, 'fixtures', name));
const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('POST /api/v1/legacy-migrations', () => {
  let t: TestApp;
  // No upstream is needed: the endpoint patches archives and talks to nothing else.
  beforeAll(async () => {
    t = await startTestApp({ SVC_SENTRY_API_TOKENS: API_TOKEN, SVC_SENTRY_LOG_LEVEL: process.env.SVC_SENTRY_TEST_LOG_LEVEL ?? 'error' });
  });
  afterAll(() => t?.close());

  const post = (query = '') => request(t.url).post(`/api/v1/legacy-migrations${query}`).set('Authorization', `Bearer ${TOKEN}`);

  it('refuses a request without the bearer token', async () => {
    const res = await request(t.url).post('/api/v1/legacy-migrations').set('Content-Type', 'application/gzip').send(Buffer.from('x'));
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('Unauthorized');
  });

  it('patches a .tar.gz: JSON report with layout, diff and the patched archive; a second pass changes nothing', async () => {
    const input = writeArchive(fixture('bk-legacy-django'), 'tar.gz');
    const res = await post('?sdk=raven').set('Content-Type', 'application/gzip').send(input);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ action: 'patch', sdk: 'raven', status: 'patched', layout: { kind: 'bk-legacy-django' } });
    expect(res.body.edits.map((e: { path: string }) => e.path).sort()).toEqual(['conf/settings_patch.py', 'requirements.txt', 'settings.py']);
    expect(res.body.diff).toContain('+raven==6.1.0');
    expect(res.body.summary).toMatchObject({
      settingsWired: [{ module: 'settings', via: 'settings.py' }],
      sdk: { chosen: 'raven', why: expect.stringContaining("BlueKing's documented PaaS 3.0 patch") },
      pins: { added: ['gunicorn==19.6.0', 'pymysql==0.6.7', 'python-json-logger==0.1.7', 'raven==6.1.0'] },
      todo: expect.arrayContaining([expect.stringContaining('enable monitoring with the legacy plan')]),
    });
    const patched = readArchive(Buffer.from(res.body.archive.base64, 'base64'), DEFAULT_LIMITS);
    expect(res.body.archive.contentType).toBe('application/gzip');
    expect(patched.get('conf/settings_patch.py')!.data.toString()).toContain("RAVEN_CONFIG = {'dsn': SENTRY_DSN}");
    expect(patched.get('manage.py')!.mode).toBe(0o755);

    const again = await post('?sdk=raven').set('Content-Type', 'application/gzip').send(Buffer.from(res.body.archive.base64, 'base64'));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'already-patched', edits: [], diff: '', archive: null });
  });

  it('returns the patched .zip itself when asked with Accept: application/zip', async () => {
    const input = writeArchive(fixture('flask-app'), 'zip');
    const res = await post('?sdk=sentry-sdk').set('Content-Type', 'application/zip').set('Accept', 'application/zip').buffer(true).parse(binary).send(input);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/zip/);
    expect(res.headers).toMatchObject({ 'x-legacy-layout': 'flask', 'x-legacy-status': 'patched', 'x-legacy-edits': '2' });
    const tree = readArchive(res.body as Buffer, DEFAULT_LIMITS);
    expect(tree.get('app.py')!.data.toString()).toContain('_paas_sentry_sdk.init(');
  });

  it('dryRun=true reports the diff without an archive', async () => {
    const res = await post('?sdk=sentry-sdk&dryRun=true')
      .set('Content-Type', 'application/gzip')
      .send(writeArchive(fixture('django-app'), 'tar.gz'));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('patched');
    expect(res.body.edits.length).toBeGreaterThan(0);
    expect(res.body.archive).toBeNull();
  });

  it('revert=true removes what the patch added', async () => {
    const patched = await post('?sdk=raven')
      .set('Content-Type', 'application/gzip')
      .send(writeArchive(fixture('blueapps-1.0.16'), 'tar.gz'));
    const res = await post('?revert=true').set('Content-Type', 'application/gzip').send(Buffer.from(patched.body.archive.base64, 'base64'));
    expect(res.body.status).toBe('reverted');
    const tree = readArchive(Buffer.from(res.body.archive.base64, 'base64'), DEFAULT_LIMITS);
    const original = fixture('blueapps-1.0.16');
    expect([...tree.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [p, f] of original) expect(tree.get(p)!.data.equals(f.data)).toBe(true);
  });

  it.each([
    ['an unknown layout', () => writeArchive(fixture('unknown-node-app'), 'tar.gz'), 'application/gzip', '', 415, 'Unsupported', /Unknown app layout/],
    [
      'a ../ entry',
      () => writeArchive(treeFrom({ '../evil.py': 'x', 'app.py': 'app = Flask(__name__)\n' }), 'tar.gz'),
      'application/gzip',
      '',
      400,
      'InvalidInput',
      /"\.\.\/evil\.py" has a "\.\." segment/,
    ],
    [
      'an absolute zip entry',
      () =>
        rawZip([
          { name: 'app.py', data: 'x' },
          { name: '/etc/cron.d/x', data: 'x' },
        ]),
      'application/zip',
      '',
      400,
      'InvalidInput',
      /is an absolute path/,
    ],
    ['a wrong content type', () => Buffer.from('hello'), 'text/plain', '', 415, 'Unsupported', /Content-Type must be/],
    ['bytes that are no archive', () => Buffer.from('hello'), 'application/gzip', '', 415, 'Unsupported', /neither a \.tar\.gz nor a \.zip/],
    ['an empty body', () => Buffer.alloc(0), 'application/gzip', '', 400, 'InvalidInput', /body is empty/],
    ['an unknown sdk', () => writeArchive(fixture('flask-app'), 'tar.gz'), 'application/gzip', '?sdk=bugsnag', 400, 'InvalidInput', /sdk must be one of/],
  ])('refuses %s with a clear error', async (_what, body, type, query, status, code, message) => {
    const res = await post(query).set('Content-Type', type).send(body());
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, type: `urn:svc-sentry:problem:${code}` });
    expect(res.body.detail).toMatch(message);
  });
});
