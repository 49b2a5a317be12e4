import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { DNS_LABEL } from '../common/names';
import { EnvironmentStatusDto } from './dto';

const PROBLEM = 'application/problem+json';

/** The OpenAPI document of the REST API for developer centers (served at /docs, checked in as openapi.json). */
export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('svc-sentry REST API')
    .setDescription(
      'Turn Sentry monitoring on or off for an app module and read its state per environment. ' + 'Errors are application/problem+json with a stable `code`.',
    )
    .setVersion('1')
    // Opaque tokens from SVC_SENTRY_API_TOKENS (not JWTs): no bearerFormat.
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: undefined, description: 'One of the opaque tokens in SVC_SENTRY_API_TOKENS.' })
    .build();
  return complete(SwaggerModule.createDocument(app, config, { extraModels: [EnvironmentStatusDto] }));
}

/**
 * What the decorators cannot say: error answers are `application/problem+json`, and the app and module
 * path parameters are DNS-1123 labels.
 */
function complete(doc: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(doc.paths)) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- swagger's OpenAPI objects, edited in place
    for (const op of Object.values(item) as Array<Record<string, any>>) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      for (const p of op.parameters ?? []) {
        if (p.in === 'path' && (p.name === 'app' || p.name === 'module')) p.schema = { type: 'string', pattern: DNS_LABEL.source, maxLength: 63 };
      }
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- swagger's OpenAPI objects, edited in place
      for (const [status, res] of Object.entries(op.responses as Record<string, any>)) {
        if (Number(status) >= 400 && res.content?.['application/json']) {
          res.content = { [PROBLEM]: res.content['application/json'] };
        }
      }
    }
  }
  return doc;
}
