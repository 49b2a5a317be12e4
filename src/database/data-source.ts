import { DataSource } from 'typeorm';
import { dataSourceOptions } from './database';

/** For the TypeORM CLI (migration:generate / run / revert): `DATABASE_URL=… npx typeorm -d dist/src/database/data-source.js …`. */
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL ?? 'postgres://localhost/svc_sentry'));
