import { nextLink } from './http-client';

describe('nextLink', () => {
  const sentry =
    '<https://s.io/api/0/x/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://s.io/api/0/x/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"';

  it('follows Sentry\'s next while results="true", and stops at results="false"', () => {
    expect(nextLink(sentry)).toBe('https://s.io/api/0/x/?&cursor=0:100:0');
    expect(nextLink(sentry.replace('results="true"', 'results="false"'))).toBeNull();
    expect(nextLink(null)).toBeNull();
  });

  it("parses GlitchTip's Python set syntax and prefers the explicit cursor on the current URL", () => {
    const glitchtip = `{'${sentry.replace(/https:\/\/s\.io/g, 'http://internal:8000')}'}`;
    expect(nextLink(glitchtip, 'https://gt.example/api/0/x/?per_page=2')).toBe('https://gt.example/api/0/x/?per_page=2&cursor=0%3A100%3A0');
    expect(nextLink(glitchtip)).toBe('http://internal:8000/api/0/x/?&cursor=0:100:0');
    expect(nextLink(glitchtip.replace('results="true"', 'results="false"'), 'https://gt.example/x/')).toBeNull();
  });
});
