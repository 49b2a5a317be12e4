import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763770000000 implements MigrationInterface {
  name = 'InitialSchema1763770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE attachments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      app varchar NOT NULL, module varchar NOT NULL,
      enabled boolean NOT NULL, plan varchar NOT NULL,
      developers jsonb, targets jsonb,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_attachments_app_module UNIQUE (app, module))`);
    await q.query(`CREATE TABLE instances (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      app varchar NOT NULL, module varchar NOT NULL, env varchar NOT NULL,
      plan varchar NOT NULL, upstream varchar,
      desired varchar NOT NULL, state varchar NOT NULL, error text,
      generation int NOT NULL DEFAULT 1, observed_generation int NOT NULL DEFAULT 0,
      team_slug varchar, project_slug varchar, project_id varchar, project_owned boolean NOT NULL DEFAULT false,
      dsn_sealed text, target_request jsonb, secret jsonb, developers jsonb, members_synced varchar,
      origin varchar NOT NULL, external_id varchar, parameters jsonb,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), reconciled_at timestamptz,
      CONSTRAINT uq_instances_app_module_env UNIQUE (app, module, env),
      CONSTRAINT ck_instances_state CHECK (state IN ('pending','provisioning','ready','failed','deprovisioning','disabled')),
      CONSTRAINT ck_instances_desired CHECK (desired IN ('present','absent')))`);
    await q.query(`CREATE UNIQUE INDEX uq_instances_origin_external ON instances (origin, external_id) WHERE external_id IS NOT NULL`);
    await q.query(`CREATE TABLE keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
      purpose varchar NOT NULL, binding_id varchar, name varchar NOT NULL, upstream_key_id varchar,
      desired varchar NOT NULL, state varchar NOT NULL, dsn_sealed text,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_keys_instance_name UNIQUE (instance_id, name))`);
    await q.query(`CREATE TABLE operations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind varchar NOT NULL, app varchar NOT NULL, module varchar,
      protocol varchar NOT NULL, actor varchar NOT NULL, originating_identity jsonb,
      request jsonb NOT NULL, instances jsonb NOT NULL DEFAULT '{}', state varchar NOT NULL, description text,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)`);
    await q.query(`CREATE INDEX ix_operations_app_created ON operations (app, created_at DESC)`);
    await q.query(`CREATE INDEX ix_operations_open ON operations USING gin (instances) WHERE state = 'in progress'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE operations');
    await q.query('DROP TABLE keys');
    await q.query('DROP TABLE instances');
    await q.query('DROP TABLE attachments');
  }
}
