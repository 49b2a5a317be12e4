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
});
