import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-environment conditions and the member-sync backoff on each instance, and the team members svc-sentry added
 * itself (per upstream and team), so that it removes only those.
 */
export class ConditionsOwnedMembers1764650000000 implements MigrationInterface {
  name = 'ConditionsOwnedMembers1764650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE instances ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`ALTER TABLE instances ADD COLUMN members_backoff jsonb`);
    await q.query(`CREATE TABLE team_members_added (
      upstream varchar NOT NULL, team varchar NOT NULL, email varchar NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (upstream, team, email))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE team_members_added');
    await q.query('ALTER TABLE instances DROP COLUMN members_backoff');
    await q.query('ALTER TABLE instances DROP COLUMN conditions');
  }
}
