import { scrub } from './redact';

describe('scrub', () => {
  it('removes DSN secrets, bearer tokens and known secret values', () => {
    const line = 'dsn=https://abc123:s3cr3tvalue@o1.ingest.sentry.io/42 auth=Bearer sntryi_xyz token=supersecret-token';
    const out = scrub(line, ['supersecret-token']);
    expect(out).not.toContain('s3cr3tvalue');
    expect(out).not.toContain('sntryi_xyz');
    expect(out).not.toContain('supersecret-token');
    expect(out).toContain('https://abc123:[REDACTED]@o1.ingest.sentry.io/42');
  });

  it('leaves public DSNs readable', () => {
    expect(scrub('https://abc123@o1.ingest.sentry.io/42')).toBe('https://abc123@o1.ingest.sentry.io/42');
  });
});
