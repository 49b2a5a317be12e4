import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiJson } from './openapi-document';

/** `npm run openapi`: writes the checked-in openapi.json from the running code's decorators. */
async function main(): Promise<void> {
  const file = join(__dirname, '..', '..', '..', 'openapi.json');
  writeFileSync(file, await openApiJson());
  console.log(`wrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
