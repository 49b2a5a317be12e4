import { isDnsLabel, projectSlug, teamSlug, upstreamSlug } from './names';

describe('upstream slugs', () => {
  it('joins app, module and env', () => {
    expect(projectSlug('tnfood', 'default', 'stag')).toBe('tnfood-default-stag');
    expect(teamSlug('tnfood')).toBe('tnfood');
  });

  it('cuts long names to 50 chars with a stable hash of the full name', () => {
    const app = 'a'.repeat(40);
    const a = projectSlug(app, 'module-one', 'prod');
    const b = projectSlug(app, 'module-two', 'prod');
    expect(a).toHaveLength(50);
    expect(a).toMatch(/^[a-z0-9_-]+-[0-9a-f]{6}$/);
    expect(a).not.toBe(b);
    expect(projectSlug(app, 'module-one', 'prod')).toBe(a);
  });

  it('never yields an all-digit slug', () => {
    expect(upstreamSlug('123')).toBe('x123');
  });

  it('validates DNS-1123 labels', () => {
    expect(isDnsLabel('tnfood')).toBe(true);
    expect(isDnsLabel('a'.repeat(63))).toBe(true);
    expect(isDnsLabel('a'.repeat(64))).toBe(false);
    for (const bad of ['Tnfood', '-a', 'a-', 'a_b', '', 'a.b', 'ü']) expect(isDnsLabel(bad)).toBe(false);
  });
});
