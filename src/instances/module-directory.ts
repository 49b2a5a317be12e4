import { InstanceState } from './model';

/** One app module as the list shows it: the toggle and each environment's state. */
export interface ModuleSummary {
  app: string;
  module: string;
  enabled: boolean;
  plan: string;
  environments: Record<string, InstanceState>;
  updatedAt: Date;
}

export interface ModuleFilter {
  /** Substring of the app code (already validated: lowercase letters, digits, '-'). */
  app?: string;
  /** Exact module name. */
  module?: string;
  /** Only app modules with at least one environment in this state. */
  state?: InstanceState;
}

/**
 * Read model of every app module svc-sentry knows (toggled over REST, or created over BlueKing or OSB),
 * for the paginated list of the REST API and the web panel. A port: the real adapter reads PostgreSQL.
 */
export abstract class ModuleDirectory {
  abstract list(filter: ModuleFilter, offset: number, limit: number): Promise<{ items: ModuleSummary[]; total: number }>;
}
