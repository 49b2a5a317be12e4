import { MigrationInterface, QueryRunner } from 'typeorm';

/** Settings svc-sentry keeps in its database; the first is the encryption-key canary. */
export class EncryptionCanary1764000000000 implements MigrationInterface {
  name = 'EncryptionCanary1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE svc_sentry_settings (
      name varchar PRIMARY KEY, value text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE svc_sentry_settings');
  }
}
