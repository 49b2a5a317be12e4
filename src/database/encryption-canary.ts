import { Client } from 'pg';
import { SecretBox } from '../common/crypto';

const CANARY = 'encryption-canary';
const PLAIN = 'svc-sentry encryption canary v1';

/** This replica's SVC_SENTRY_ENCRYPTION_KEY cannot open what the database holds. Says so without any key material. */
export class EncryptionKeyMismatch extends Error {
  constructor() {
    super(
      'SVC_SENTRY_ENCRYPTION_KEY does not match the key this database was first used with, so this replica could not read the ' +
        'credentials stored by the others. Give every replica the same SVC_SENTRY_ENCRYPTION_KEY (the one the database was set up ' +
        'with; without the variable, the key generated into the data directory is used).',
    );
    this.name = 'EncryptionKeyMismatch';
  }
}

/**
 * The encryption-key canary: the first replica on a database seals a known text with its key and
 * stores it; every replica opens it at start and refuses to start when it cannot.
 */
export async function checkEncryptionKey(url: string, key: string): Promise<'created' | 'matches'> {
  const box = new SecretBox(key);
  const client = new Client({ connectionString: url, application_name: 'svc-sentry-start' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const inserted = await client.query(`INSERT INTO svc_sentry_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      CANARY,
      box.seal(PLAIN),
    ]);
    if (inserted.rowCount === 1) return 'created';
    const { rows } = await client.query(`SELECT value FROM svc_sentry_settings WHERE name = $1`, [CANARY]);
    let plain: string | undefined;
    try {
      plain = box.open(rows[0].value);
    } catch {
      plain = undefined;
    }
    if (plain !== PLAIN) throw new EncryptionKeyMismatch();
    return 'matches';
  } finally {
    await client.end().catch(() => undefined);
  }
}
