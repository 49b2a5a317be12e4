import { developersOf, parseBkParams, parseEngineAppName, toLabel } from './bkpaas-params';

const ENVS = ['stag', 'prod'];

describe('BlueKing provision params', () => {
  it('reads engine app names as the apiserver makes them (default module left out; other modules after -m-)', () => {
    expect(parseEngineAppName('bkapp-shop-stag', ENVS)).toEqual({ code: 'shop', module: 'default', env: 'stag' });
    expect(parseEngineAppName('bkapp-bk_sops-prod', ENVS)).toEqual({ code: 'bk_sops', module: 'default', env: 'prod' });
    // "-m-" could be a module separator or part of a code: only a given code tells them apart.
    expect(parseEngineAppName('bkapp-shop-m-api-stag', ENVS)).toBeNull();
    expect(parseEngineAppName('bkapp-shop-m-api-stag', ENVS, 'shop')).toEqual({ code: 'shop', module: 'api', env: 'stag' });
    expect(parseEngineAppName('bkapp-shop-m-api-stag', ENVS, 'shop-m-api')).toEqual({ code: 'shop-m-api', module: 'default', env: 'stag' });
    expect(parseEngineAppName('bkapp-shop-qa', ENVS)).toBeNull();
    expect(parseEngineAppName('{engine_app.name}', ENVS)).toBeNull();
  });

  it('{engine_app_name, operator} alone is enough for the default module; otherwise the 400 names the template', () => {
    expect(parseBkParams({ engine_app_name: 'bkapp-shop-prod', operator: 'admin' }, ENVS, undefined)).toMatchObject({
      app: 'shop',
      module: 'default',
      env: 'prod',
    });
    expect(() => parseBkParams({ engine_app_name: 'bkapp-shop-m-api-prod', operator: 'admin' }, ENVS, undefined)).toThrow(
      /"application_code": "\{application.code\}", "module_name": "\{module.name\}", "env_name": "\{env.environment\}"/,
    );
  });

  it('keeps DNS-label codes as they are; a code that normalising changes gets a short hash (bk_demo ≠ bk-demo)', () => {
    expect(toLabel('bk-demo')).toBe('bk-demo');
    expect(toLabel('bk_demo')).toMatch(/^bk-demo-[0-9a-f]{6}$/);
    expect(toLabel('bk_demo')).toBe(toLabel('bk_demo'));
    expect(toLabel('bk_demo')).not.toBe(toLabel('bk-demo'));
  });

  it('app_developers: usernames without an e-mail domain, or an empty list, say nothing (null), never "remove everyone"', () => {
    expect(developersOf('["alice", "bob"]', undefined)).toBeNull();
    expect(developersOf('[]', 'example.com')).toBeNull();
    expect(developersOf('["alice", "bob"]', 'example.com')).toEqual(['alice@example.com', 'bob@example.com']);
    expect(developersOf(['a@x.io'], undefined)).toEqual(['a@x.io']);
  });
});
