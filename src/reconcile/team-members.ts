import { createHash } from 'node:crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ConditionSet } from '../instances/conditions';
import { InstanceStore } from '../instances/instance-store';
import { Instance, MembersBackoff } from '../instances/model';
import { ErrorTracker } from '../upstreams/error-tracker.port';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { CatalogService } from '../catalog/catalog.service';
import { Plan } from '../catalog/plan';

/**
 * A member sync that failed is tried again after 10 s, doubling with each failure of the same generation up to 1 h (a
 * 403 does not heal by itself quickly); the DSN and Secret are delivered meanwhile. Success or a new generation resets it.
 */
export const MEMBERS_RETRY_SECONDS = 10;
export const MEMBERS_RETRY_MAX_SECONDS = 3600;

/** The delay after the n-th consecutive failure (n ≥ 1). */
export function membersRetryDelay(failures: number): number {
  return Math.min(MEMBERS_RETRY_SECONDS * 2 ** Math.max(0, Math.min(failures - 1, 30)), MEMBERS_RETRY_MAX_SECONDS);
}

/** What the team-members step found: synced (or nothing to do), or not synced with when to try again. */
export type MembersOutcome = { ok: true } | { ok: false; error: string; retryInSeconds: number };

/** The team-members step of a reconcile pass (see `sync`). */
export class TeamMemberSync {
  constructor(
    private readonly store: InstanceStore,
    private readonly upstreams: UpstreamRegistry,
    private readonly catalog: CatalogService,
    private readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
    private readonly now: () => Date,
  ) {}

  /**
   * Team members, after the DSN is delivered. The team is per app, shared by its module-environments: svc-sentry adds
   * this environment's developers, and removes only members it added itself (recorded per upstream team) that no present
   * environment of the team wants any more. A member added by hand is never removed; an empty or unresolvable developer
   * list changes nothing. A failure is returned (never thrown) and retried with a per-instance backoff (10 s doubling to
   * 1 h, reset by success or a new generation) recorded in the store, so it survives restarts.
   */
  async sync(inst: Instance, tracker: ErrorTracker, plan: Plan, team: string, teamReady: boolean, conds: ConditionSet): Promise<MembersOutcome> {
    if (!tracker.capabilities.members) {
      conds.set('MembersSynced', 'True', 'NotSupported', `${tracker.name} has no team-member API: developers are not synced`);
      return { ok: true };
    }
    if (!inst.developers?.length) {
      conds.set('MembersSynced', 'True', 'NoDevelopers', "no developer list: the team's members are left as they are");
      return { ok: true };
    }
    const own = [...new Set(inst.developers.map((e) => e.toLowerCase()))].sort();
    const siblings = (await this.store.findAppInstances(inst.app)).filter((i) => i.desired === 'present' && this.upstreamNameOf(i, plan) === tracker.name);
    const wanted = new Set(own);
    for (const i of siblings) for (const e of i.developers ?? []) wanted.add(e.toLowerCase());
    const hash = createHash('sha256')
      .update(`${own.join('\n')}|${[...wanted].sort().join('\n')}`)
      .digest('hex')
      .slice(0, 16);
    const now = this.now();
    if (inst.membersSynced === hash && !inst.membersBackoff) {
      const c = conds.get('MembersSynced');
      conds.set('MembersSynced', 'True', 'Synced', c.status === 'True' && c.reason === 'Synced' ? c.message : membersMessage(own.length));
      return { ok: true };
    }
    const backoff = inst.membersBackoff?.generation === inst.generation ? inst.membersBackoff : null;
    if (backoff && Date.parse(backoff.retryAt) > now.getTime()) {
      // Not due yet (a resync or another wish came first): the condition keeps the failure and the next try.
      const wait = Math.ceil((Date.parse(backoff.retryAt) - now.getTime()) / 1000);
      const c = conds.get('MembersSynced');
      return { ok: false, error: c.status === 'False' ? c.message : (inst.error ?? 'team members not synced yet'), retryInSeconds: wait };
    }
    try {
      if (!teamReady) await tracker.ensureTeam(team);
      const owned = await this.store.teamMembersAdded(tracker.name, team);
      const remove = owned.filter((e) => !wanted.has(e));
      const result = await tracker.syncTeamMembers(team, { add: own, remove });
      await this.store.recordTeamMembers(tracker.name, team, result.added, remove);
      if (result.added.length || result.removed.length)
        this.log.info({ instance: inst.id, team, added: result.added.length, removed: result.removed.length }, 'team members synced');
      const missing = result.notInOrganization.length ? `; not in the organization (not invited): ${result.notInOrganization.join(', ')}` : '';
      conds.set('MembersSynced', 'True', 'Synced', `${membersMessage(own.length)}${missing}`);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const failures = (backoff?.failures ?? 0) + 1;
      const delay = membersRetryDelay(failures);
      const retryAt = new Date(now.getTime() + delay * 1000).toISOString();
      const record: MembersBackoff = { generation: inst.generation, failures, retryAt };
      const text =
        `team members not synced (the DSN is delivered): ${e.message}; ` +
        `next try at ${retryAt} (in ${delay} s, failure ${failures}; the wait doubles up to ${MEMBERS_RETRY_MAX_SECONDS / 3600} h)`;
      this.log.warn({ instance: inst.id, code: e.code, failures, retryAt }, `team members not synced: ${e.message}`);
      conds.set('MembersSynced', 'False', membersReason(e), text);
      await this.store.updateInstance(inst.id, { membersBackoff: record });
      return { ok: false, error: text, retryInSeconds: delay };
    }
    await this.store.updateInstance(inst.id, { membersSynced: hash, membersBackoff: null });
    return { ok: true };
  }

  /** The name of the upstream an instance lives on (its own, else its plan's, else the default). */
  private upstreamNameOf(inst: Instance, fallback: Plan): string | null {
    try {
      return this.upstreams.get(inst.upstream ?? this.catalog.find(inst.plan)?.upstream ?? fallback.upstream).name;
    } catch {
      return null;
    }
  }
}

/** Why a member sync failed, for its condition: a 401/403 is PermissionDenied (it will not heal by itself). */
function membersReason(e: DomainError): string {
  if (e.code === ErrorCode.UpstreamRejected && /answered (401|403)\b/.test(e.message)) return 'PermissionDenied';
  return e.code;
}

function membersMessage(n: number): string {
  return `${n} developer${n === 1 ? '' : 's'} of this environment are team members (as far as they are organization members); members added by hand are left alone`;
}
