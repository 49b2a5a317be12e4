import { negotiateVersion, since } from './version';

describe('OSB X-Broker-API-Version negotiation', () => {
  it.each([
    ['2.13', 13],
    ['2.14', 14],
    ['2.15', 15],
    ['2.16', 16],
    ['2.17', 17],
    [' 2.17 ', 17],
    ['2.18', 17],
    ['2.99', 17],
  ])('accepts %p as 2.%p', (h, minor) => {
    expect(negotiateVersion(h)).toBe(minor);
  });

  it.each([[undefined], [''], ['   '], ['2'], ['2.'], ['2.12'], ['2.0'], ['1.17'], ['3.0'], ['v2.17'], ['2.17.1'], ['abc']])('refuses %p (412)', (h) => {
    expect(negotiateVersion(h as string | undefined)).toBeNull();
  });

  it('takes the first value when the header repeats', () => {
    expect(negotiateVersion(['2.14', '2.17'])).toBe(14);
  });

  it('gates fields by the version they appeared in', () => {
    expect(since(13, 'maintenanceInfo')).toBe(false);
    expect(since(13, 'retrievable')).toBe(false);
    expect(since(14, 'retrievable')).toBe(true);
    expect(since(15, 'maintenanceInfo')).toBe(true);
    expect(since(16, 'bindingRotatable')).toBe(false);
    expect(since(17, 'bindingRotatable')).toBe(true);
    expect(since(15, 'metadata')).toBe(false);
    expect(since(16, 'metadata')).toBe(true);
    // from the spec's release notes: endpoints and the no-op 200 in 2.15, instance_usable/update_repeatable in 2.16
    expect(since(14, 'endpoints')).toBe(false);
    expect(since(15, 'endpoints')).toBe(true);
    expect(since(15, 'usableRepeatable')).toBe(false);
    expect(since(16, 'usableRepeatable')).toBe(true);
    expect(since(13, 'asyncBindings')).toBe(false);
    expect(since(14, 'maintenanceInfoRequest')).toBe(false);
  });
});
