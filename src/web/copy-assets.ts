import { cpSync } from 'node:fs';
import { join } from 'node:path';

/** Part of `npm run build`: the panel's static files go beside the compiled web module (dist/src/web/public). */
const root = join(__dirname, '..', '..', '..');
cpSync(join(root, 'src', 'web', 'public'), join(__dirname, 'public'), { recursive: true });
