import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Generated PaaS 2.0 app trees for the bench: four layouts, ~40 files each (code, templates, static assets). */
type Files = Record<string, string | Buffer>;

const lorem = (n: number, seed: number) => {
  const words = ['def', 'return', 'request', 'settings', 'model', 'query', 'render', 'context', '蓝鲸', 'app'];
  let s = '';
  for (let i = 0; i < n; i++) s += words[(i * 7 + seed) % words.length] + ((i + seed) % 12 === 0 ? '\n' : ' ');
  return s + '\n';
};

function common(i: number): Files {
  const files: Files = {};
  for (let m = 0; m < 12; m++) files[`home_application/module_${m}.py`] = `# -*- coding: utf-8 -*-\n"""${lorem(120, i + m)}"""\nVALUE_${m} = ${i + m}\n`;
  for (let t = 0; t < 10; t++) files[`templates/page_${t}.html`] = `<html><body>${lorem(300, i + t)}</body></html>\n`;
  for (let s = 0; s < 8; s++) files[`static/js/part_${s}.js`] = `/* ${i} */\n${'var x = 1;\n'.repeat(200 + s * 10)}`;
  const png = Buffer.alloc(24 * 1024);
  for (let b = 0; b < png.length; b++) png[b] = (b * 31 + i) & 0xff;
  files['static/img/logo.png'] = png;
  files['home_application/__init__.py'] = '';
  return files;
}

function layout(i: number): Files {
  switch (i % 4) {
    case 0:
      return {
        'requirements.txt': 'Django==1.11.29\nMySQL-python==1.2.5\ncelery==3.1.25\n',
        'settings.py': '# -*- coding: utf-8 -*-\nfrom conf.default import *  # noqa\n',
        'conf/__init__.py': '',
        'conf/default.py': "INSTALLED_APPS = ('django.contrib.auth', 'home_application')\n",
        'manage.py': 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")\n',
      };
    case 1:
      return {
        'requirements.txt': 'blueapps==1.0.16\nDjango==1.11.29\n',
        'settings.py': 'from blueapps.conf.default_settings import *  # noqa\n',
        'config/__init__.py': '',
        'config/default.py': "from blueapps.conf.default_settings import *  # noqa\nINSTALLED_APPS += ('home_application',)\n",
      };
    case 2:
      return {
        'requirements.txt': 'Django==2.2.28\n',
        'manage.py': 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")\n',
        'site_conf/__init__.py': '',
        'site_conf/settings.py': "INSTALLED_APPS = ['django.contrib.auth']\n",
      };
    default:
      return { 'requirements.txt': 'Flask==1.1.4\n', 'app.py': 'from flask import Flask\n\napp = Flask(__name__)\n' };
  }
}

/** Write `count` app folders under `dir`; returns the total bytes written. */
export function generateApps(dir: string, count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const files = { ...common(i), ...layout(i) };
    for (const [p, data] of Object.entries(files)) {
      const abs = join(dir, `app-${String(i).padStart(4, '0')}`, p);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, data);
      bytes += Buffer.byteLength(data);
    }
  }
  return bytes;
}
