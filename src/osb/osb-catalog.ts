import { stableUuid } from '../common/stable-uuid';
import { since } from './version';

export const OSB_SERVICE_NAME = 'svc-sentry';
export const OSB_SERVICE_ID = stableUuid('osb:service:svc-sentry');
export const MAINTENANCE_VERSION = '1.0.0';

export interface OsbPlan {
  id: string;
  name: string;
  /** catalog plan of the domain */
  domainPlan: string;
  async: boolean;
  description: string;
}

export const OSB_PLANS: OsbPlan[] = [
  {
    id: stableUuid('osb:plan:default'),
    name: 'default',
    domainPlan: 'default',
    async: false,
    description: 'A Sentry project for one app module environment; operations complete synchronously.',
  },
  {
    id: stableUuid('osb:plan:default-async'),
    name: 'default-async',
    domainPlan: 'default',
    async: true,
    description: 'The default plan, asynchronous only: requests need accepts_incomplete=true and are polled.',
  },
];

export const osbPlan = (id: unknown): OsbPlan | undefined => OSB_PLANS.find((p) => p.id === id);

const LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const INSTANCE_PARAMS = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    app: { type: 'string', pattern: LABEL, maxLength: 63, description: 'App code; default osb-<first 12 characters of the instance id>' },
    module: { type: 'string', pattern: LABEL, maxLength: 63, description: 'Module; default "default"' },
    environment: { type: 'string', pattern: LABEL, maxLength: 63, description: 'Environment (stag, prod…); default "prod"' },
  },
};
const BINDING_PARAMS = { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', additionalProperties: false, properties: {} };

/** GET /v2/catalog, shaped for the negotiated version. */
export function osbCatalog(minor: number, environments: string[]): Record<string, unknown> {
  const instanceParams = {
    ...INSTANCE_PARAMS,
    properties: { ...INSTANCE_PARAMS.properties, environment: { ...INSTANCE_PARAMS.properties.environment, enum: environments } },
  };
  return {
    services: [
      {
        id: OSB_SERVICE_ID,
        name: OSB_SERVICE_NAME,
        description: 'Sentry error monitoring: a project per app module environment, a client key (DSN) per binding.',
        bindable: true,
        plan_updateable: true,
        ...(since(minor, 'retrievable') ? { instances_retrievable: true, bindings_retrievable: true } : {}),
        tags: ['sentry', 'monitoring', 'errors'],
        metadata: { displayName: 'Sentry', documentationUrl: 'https://docs.sentry.io/' },
        plans: OSB_PLANS.map((p) => ({
          id: p.id,
          name: p.name,
          description: p.description,
          free: true,
          bindable: true,
          ...(since(minor, 'planUpdateable') ? { plan_updateable: true } : {}),
          ...(since(minor, 'bindingRotatable') ? { binding_rotatable: true } : {}),
          ...(since(minor, 'maximumPollingDuration') && p.async ? { maximum_polling_duration: 3600 } : {}),
          ...(since(minor, 'maintenanceInfo') ? { maintenance_info: { version: MAINTENANCE_VERSION, description: 'svc-sentry broker 1.0' } } : {}),
          schemas: {
            service_instance: { create: { parameters: instanceParams }, update: { parameters: instanceParams } },
            service_binding: { create: { parameters: BINDING_PARAMS } },
          },
        })),
      },
    ],
  };
}
