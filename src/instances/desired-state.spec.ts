import { sameDesired } from './desired-state';

describe('sameDesired (the one comparison of desired state)', () => {
  it('ignores object key order at every depth', () => {
    expect(
      sameDesired({ stag: { namespace: 'a', cluster: 'c' }, prod: { namespace: 'b' } }, { prod: { namespace: 'b' }, stag: { cluster: 'c', namespace: 'a' } }),
    ).toBe(true);
  });
  it('treats null, undefined and absent keys as not given', () => {
    expect(sameDesired(null, undefined)).toBe(true);
    expect(sameDesired({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });
  it('tells different values apart, and array order counts', () => {
    expect(sameDesired({ stag: { namespace: 'a' } }, { stag: { namespace: 'b' } })).toBe(false);
    expect(sameDesired(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameDesired({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameDesired(null, {})).toBe(false);
  });
});
