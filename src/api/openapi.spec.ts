import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiJson } from './openapi-document';

describe('openapi.json', () => {
  it('is in sync with the code (run `npm run openapi` after changing the REST API)', async () => {
    const checkedIn = readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8');
    expect(checkedIn).toBe(await openApiJson());
  });

  it('documents the monitoring, operations and audit endpoints with bearer auth', async () => {
    const doc = JSON.parse(await openApiJson());
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/apps/{app}/modules/{module}/monitoring', '/api/v1/operations/{id}', '/api/v1/apps/{app}/audit']),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('is complete: every $ref defined, error answers as problem+json, DNS-label path params, opaque bearer tokens, plan not nullable', async () => {
    const doc = JSON.parse(await openApiJson());
    const text = JSON.stringify(doc);
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([A-Za-z0-9_]+)"/g)) expect(Object.keys(doc.components.schemas)).toContain(name);
    expect(doc.components.schemas.EnvironmentStatusDto).toBeDefined();
    expect(doc.components.securitySchemes.bearer.bearerFormat).toBeUndefined();
    expect(doc.components.schemas.ToggleMonitoringDto.properties.plan.nullable).not.toBe(true);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        for (const [status, res] of Object.entries<any>(op.responses ?? {})) {
          if (Number(status) >= 400 && res.content)
            expect({ path, method, status, types: Object.keys(res.content) }).toEqual({ path, method, status, types: ['application/problem+json'] });
        }
        for (const p of op.parameters ?? [])
          if (p.in === 'path' && ['app', 'module'].includes(p.name)) expect(p.schema.pattern).toBe('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$');
      }
    }
    const put = doc.paths['/api/v1/apps/{app}/modules/{module}/monitoring'].put.responses;
    expect(Object.keys(put)).toEqual(expect.arrayContaining(['200', '202', '400', '401', '404', '413']));
    expect(Object.keys(doc.paths['/api/v1/apps/{app}/audit'].get.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
  });
});
