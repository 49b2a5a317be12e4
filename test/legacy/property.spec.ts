import fc from 'fast-check';
import { applyEdits, migrate, treeFrom } from '../../src/legacy-migration/core/migrate';
import { compareVersions, normaliseName, parseRequirements } from '../../src/legacy-migration/core/requirements';
import { decodeText, encodeText } from '../../src/legacy-migration/core/text-codec';
import { pinsFor } from '../../src/legacy-migration/core/templates';
import { SdkMode, TextEncoding } from '../../src/legacy-migration/core/types';

/**
 * Generated BlueKing 2.0 apps: requirements and settings vary in packages (incl. the ones the patch pins, spelled
 * differently, with other specs), comments (Chinese too), options, blank lines, encodings, line endings and final
 * newlines. For every one: patch is append-only and keeps encoding and line endings, adds no second line for a
 * package, reports exactly the differing pins, is idempotent, and revert restores every byte.
 */
const pinned = ['raven', 'Raven', 'gunicorn', 'PyMySQL', 'pymysql', 'python_json_logger', 'python-json-logger', 'sentry-sdk', 'sentry_sdk'];
const others = ['Django', 'celery', 'requests', 'six', 'MySQL-python', 'django-celery', 'blueking-component'];
const spec = fc.constantFrom('', '==6.1.0', '==19.6.0', '==0.6.7', '==0.1.7', '==5.32.0', '>=1.0', '==1.45.1', '>=1.45,<3', '~=2.0');
const reqLine = fc.oneof(
  fc.tuple(fc.constantFrom(...pinned, ...others), spec).map(([n, s]) => `${n}${s}`),
  fc.constantFrom('# 依赖列表', '# comment', '', '-r base.txt', '--index-url https://mirrors.example/simple', 'requests[security]>=2.0  # http'),
);
const settingsLine = fc.constantFrom('DEBUG = False', "SECRET_KEY = 'x'", '# 运行环境配置', '', 'import os', "APP_NAME = u'作业平台'", 'if True:\n    X = 1');
const encoding = fc.constantFrom<TextEncoding>('utf8', 'utf8-bom', 'gb18030');
const eol = fc.constantFrom('\n', '\r\n');

const file = (lines: string[], nl: string, finalNewline: boolean, enc: TextEncoding) => {
  const text = lines.join('\n').replace(/\n/g, nl) + (finalNewline && lines.length ? nl : '');
  return encodeText(text, enc);
};

const app = fc.record({
  sdk: fc.constantFrom<SdkMode>('raven', 'sentry-sdk'),
  reqs: fc.array(reqLine, { maxLength: 12 }),
  settings: fc.array(settingsLine, { maxLength: 8 }),
  wired: fc.boolean(),
  reqEnc: encoding,
  setEnc: encoding,
  reqEol: eol,
  setEol: eol,
  reqFinal: fc.boolean(),
  setFinal: fc.boolean(),
});

it('patch/revert properties hold for generated BlueKing apps', () => {
  fc.assert(
    fc.property(app, (a) => {
      const settingsLines = [
        'from conf.default import *  # noqa',
        ...a.settings,
        ...(a.wired && a.sdk === 'raven' ? ['from conf.settings_patch import *'] : []),
      ];
      const tree = treeFrom({
        'requirements.txt': file(a.reqs, a.reqEol, a.reqFinal, a.reqEnc),
        'settings.py': file(settingsLines, a.setEol, a.setFinal, a.setEnc),
        'conf/__init__.py': '',
        'conf/default.py': "INSTALLED_APPS = ('django.contrib.auth',)\n",
      });
      // raven on Django >= 4.1 sends nothing: refused, naming --sdk sentry-sdk (issue 12 item 3); nothing else is refused.
      const django = parseRequirements(a.reqs.join('\n')).find((r) => r.key === 'django' && /^(==|>=|~=)\d/.test(r.spec));
      const modernDjango = !!django && compareVersions(/\d[\d.]*/.exec(django.spec)![0], '4.1') >= 0;
      if (a.sdk === 'raven' && modernDjango) {
        expect(() => migrate(tree, { sdk: a.sdk })).toThrow(/Django 4\.1 removed[\s\S]*--sdk sentry-sdk/);
        return;
      }
      const report = migrate(tree, { sdk: a.sdk });
      const patched = applyEdits(tree, report.edits);

      for (const path of ['requirements.txt', 'settings.py']) {
        const before = decodeText(tree.get(path)!.data);
        const after = decodeText(patched.get(path)!.data);
        if (before.kind !== 'text' || after.kind !== 'text') throw new Error(`${path} no longer decodes`);
        // Append-only, same encoding; the added part uses the file's dominant line ending.
        // eslint-disable-next-line no-control-regex -- the ASCII range on purpose: a text with only ASCII may change its encoding label
        expect(after.encoding).toBe(before.encoding === 'gb18030' && !/[^\x00-\x7f]/.test(before.text) ? after.encoding : before.encoding);
        const beforeText = before.text.replace(/\r?\n?$/, '');
        expect(after.text.startsWith(beforeText)).toBe(true);
        const added = after.text.slice(before.text.length);
        if (added) expect(/(^|[^\r])\n/.test(added)).toBe(before.eol === 'lf' && added.includes('\n'));
      }

      // No package listed twice; conflicts are exactly the differing existing pins.
      const reqText = (decodeText(patched.get('requirements.txt')!.data) as { text: string }).text;
      const keys = parseRequirements(reqText).map((r) => r.key);
      const wanted = pinsFor(report.layout, a.sdk).map((p) => normaliseName(p.name));
      for (const w of wanted)
        expect(keys.filter((k) => k === w).length).toBeLessThanOrEqual(
          Math.max(1, parseRequirements((decodeText(tree.get('requirements.txt')!.data) as { text: string }).text).filter((r) => r.key === w).length),
        );
      const original = parseRequirements((decodeText(tree.get('requirements.txt')!.data) as { text: string }).text);
      const expectedConflicts = pinsFor(report.layout, a.sdk).flatMap((p) => {
        const have = original.find((r) => r.key === normaliseName(p.name));
        const ours = /^[<>=!~]/.test(p.version) ? p.version : `==${p.version}`;
        return have && have.spec !== ours ? [normaliseName(p.name)] : [];
      });
      expect(report.conflicts.length).toBe(expectedConflicts.length);

      // Idempotent and reversible.
      expect(migrate(patched, { sdk: a.sdk }).edits).toEqual([]);
      const restored = applyEdits(patched, migrate(patched, { sdk: a.sdk, revert: true }).edits);
      expect([...restored.keys()].sort()).toEqual([...tree.keys()].sort());
      for (const [p, f] of tree) expect(restored.get(p)!.data.equals(f.data)).toBe(true);
    }),
    { numRuns: 300 },
  );
});
