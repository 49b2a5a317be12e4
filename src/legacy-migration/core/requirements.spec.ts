import { compareVersions, parseRequirements, pinnedVersion, planPins } from './requirements';

describe('requirements', () => {
  const text = '# deps\nDjango==1.11.29\n-r base.txt\nPython_JSON_Logger == 0.1.7\nraven>=5\nrequests[security]==2.0 ; python_version<"3"\nhttps://x/y.tgz\n';

  it('parses package lines and skips comments, options and URLs', () => {
    expect(parseRequirements(text).map((r) => [r.key, r.spec, r.line])).toEqual([
      ['django', '==1.11.29', 2],
      ['python-json-logger', '==0.1.7', 4],
      ['raven', '>=5', 5],
      ['requests', '==2.0', 6],
    ]);
  });

  it('adds only missing pins, notes equal ones and reports differing ones', () => {
    const plan = planPins(
      parseRequirements(text),
      [
        { name: 'gunicorn', version: '19.6.0' },
        { name: 'python-json-logger', version: '0.1.7' },
        { name: 'raven', version: '6.1.0' },
      ],
      'requirements.txt',
    );
    expect(plan.lines).toEqual(['gunicorn==19.6.0']);
    expect(plan.notes).toEqual(['requirements.txt:4 already pins Python_JSON_Logger == 0.1.7; not added again.']);
    expect(plan.conflicts).toEqual(['requirements.txt:5 has "raven>=5" but the patch would pin raven==6.1.0; kept the app\'s line, not changed.']);
  });

  it('reads exact pins and compares versions numerically', () => {
    expect(pinnedVersion(parseRequirements('blueapps==1.0.16\n'), 'blueapps')).toBe('1.0.16');
    expect(pinnedVersion(parseRequirements('blueapps>=1.0\n'), 'blueapps')).toBeUndefined();
    expect(compareVersions('1.0.16', '1.0.17')).toBeLessThan(0);
    expect(compareVersions('1.0.17', '1.0.17')).toBe(0);
    expect(compareVersions('1.1', '1.0.17')).toBeGreaterThan(0);
    expect(compareVersions('1.0.100', '1.0.17')).toBeGreaterThan(0);
  });
});
