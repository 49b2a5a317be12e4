import { Pin } from './requirements';
import { GENERATED_HEADER, Layout, SdkMode } from './types';

/** What each SDK mode writes. Every line here is ASCII, so it encodes the same in UTF-8 and GBK. */

/** BlueKing's PaaS 3.0 adaptation pins (bkpaas legacy_migration: the marked requirements.txt block). */
export const BK_LEGACY_PINS: Pin[] = [
  { name: 'gunicorn', version: '19.6.0' },
  { name: 'pymysql', version: '0.6.7' },
  { name: 'python-json-logger', version: '0.1.7' },
  { name: 'raven', version: '6.1.0' },
];
/** blueapps <= 1.0.16: only raven (BlueKing's blueapps note). */
export const BLUEAPPS_PINS: Pin[] = [{ name: 'raven', version: '6.1.0' }];
/** Non-BlueKing apps in raven mode: raven's last release (accepts both DSN forms). */
export const RAVEN_PINS: Pin[] = [{ name: 'raven', version: '6.10.0' }];
export const sentrySdkPins = (extras: 'django' | 'flask'): Pin[] => [{ name: 'sentry-sdk', extras, version: '>=1.45,<3' }];

export function pinsFor(layout: Layout, sdk: SdkMode): Pin[] {
  if (sdk === 'sentry-sdk') return sentrySdkPins(layout.kind === 'flask' ? 'flask' : 'django');
  if (layout.kind === 'bk-legacy-django') return BK_LEGACY_PINS;
  if (layout.kind === 'blueapps' || layout.kind === 'blueapps-vendored') return BLUEAPPS_PINS;
  return RAVEN_PINS;
}

export const CODING_LINE = '# -*- coding: utf-8 -*-';
export const createdFileHeader = [CODING_LINE, GENERATED_HEADER];
export const requirementsHeader = [GENERATED_HEADER];

/**
 * Body of the Django settings patch module (conf/settings_patch.py and its equivalents). BlueKing's documented raven text
 * (SENTRY_DSN from the environment; raven_compat into INSTALLED_APPS_PATCH; RAVEN_CONFIG) plus a guard: a DSN the
 * installed raven cannot use (raven < 6.7 needs `public:secret@`; a garbage DSN fails every raven), or raven missing,
 * turns Sentry off with a warning instead of stopping django.setup(). The warning never shows the DSN.
 */
export function djangoPatchModuleBody(sdk: SdkMode): string[] {
  if (sdk === 'raven') {
    return [
      'import os',
      '',
      'INSTALLED_APPS_PATCH = []',
      '',
      'SENTRY_DSN = os.environ.get("SENTRY_DSN")',
      'if SENTRY_DSN:',
      '    try:',
      '        from raven.conf.remote import RemoteConfig as _PaasRavenRemoteConfig',
      '',
      '        _PaasRavenRemoteConfig.from_string(SENTRY_DSN)',
      '    except Exception as _paas_error:  # ImportError (raven missing) or InvalidDsn',
      '        import logging as _paas_logging',
      '        import sys as _paas_sys',
      '',
      '        _paas_message = (',
      '            "SENTRY_DSN is set but the installed raven cannot use it (%s); Sentry reporting is off. "',
      '            "raven < 6.7 needs a public:secret DSN: enable monitoring with the legacy plan, or migrate to sentry-sdk."',
      '            % type(_paas_error).__name__',
      '        )',
      '        if _paas_logging.getLogger().handlers:',
      '            _paas_logging.getLogger("paas.sentry").warning(_paas_message)',
      '        else:',
      '            _paas_sys.stderr.write("WARNING " + _paas_message + "\\n")',
      '        SENTRY_DSN = None',
      'if SENTRY_DSN:',
      "    INSTALLED_APPS_PATCH.append('raven.contrib.django.raven_compat')",
      "    RAVEN_CONFIG = {'dsn': SENTRY_DSN}",
      '',
    ];
  }
  return [
    'import os',
    '',
    'SENTRY_DSN = os.environ.get("SENTRY_DSN")',
    'if SENTRY_DSN:',
    '    try:',
    '        import sentry_sdk',
    '        from sentry_sdk.integrations.django import DjangoIntegration',
    '',
    '        sentry_sdk.init(',
    '            dsn=SENTRY_DSN,',
    '            environment=os.environ.get("SENTRY_ENVIRONMENT") or None,',
    '            traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),',
    '            integrations=[DjangoIntegration()],',
    '        )',
    '    except Exception as _paas_error:  # ImportError (sentry-sdk missing) or BadDsn',
    '        import logging as _paas_logging',
    '        import sys as _paas_sys',
    '',
    '        _paas_message = "SENTRY_DSN is set but sentry-sdk cannot use it (%s); Sentry reporting is off." % type(_paas_error).__name__',
    '        if _paas_logging.getLogger().handlers:',
    '            _paas_logging.getLogger("paas.sentry").warning(_paas_message)',
    '        else:',
    '            _paas_sys.stderr.write("WARNING " + _paas_message + "\\n")',
    '        SENTRY_DSN = None',
  ];
}

/** The lines wired into the settings module so the patch module takes effect. */
export function djangoWiringBody(sdk: SdkMode, moduleName: string): string[] {
  if (sdk === 'raven') {
    return [
      `from ${moduleName} import *  # noqa: E402,F401,F403`,
      'INSTALLED_APPS = type(INSTALLED_APPS)(list(INSTALLED_APPS) + [_app for _app in INSTALLED_APPS_PATCH if _app not in INSTALLED_APPS])  # noqa: F405',
    ];
  }
  return [`from ${moduleName} import SENTRY_DSN  # noqa: E402,F401`];
}

/** Flask, sentry-sdk: initialise before the app is created (FlaskIntegration hooks the Flask class). */
export const flaskSentrySdkBody = [
  'import os as _paas_os',
  'if _paas_os.environ.get("SENTRY_DSN"):',
  '    import sentry_sdk as _paas_sentry_sdk',
  '    from sentry_sdk.integrations.flask import FlaskIntegration as _PaasFlaskIntegration',
  '',
  '    _paas_sentry_sdk.init(',
  '        dsn=_paas_os.environ["SENTRY_DSN"],',
  '        environment=_paas_os.environ.get("SENTRY_ENVIRONMENT") or None,',
  '        traces_sample_rate=float(_paas_os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),',
  '        integrations=[_PaasFlaskIntegration()],',
  '    )',
];

/** Flask, raven: wrap the app object right after it is created. */
export const flaskRavenBody = (appVar: string) => [
  'import os as _paas_os',
  'if _paas_os.environ.get("SENTRY_DSN"):',
  '    from raven.contrib.flask import Sentry as _PaasRavenSentry',
  '',
  `    _paas_raven_sentry = _PaasRavenSentry(${appVar}, dsn=_paas_os.environ["SENTRY_DSN"])`,
];

/** Signs that the app already reports to Sentry by itself (outside our blocks). */
export const ALREADY_CONFIGURED: Record<SdkMode, RegExp> = {
  raven: /raven\.contrib\.(django\.raven_compat|flask)/,
  'sentry-sdk': /sentry_sdk\.init\s*\(/,
};

/** Which SDK a block we wrote earlier belongs to. */
export const blockSdk = (blockText: string): SdkMode | undefined =>
  /\braven\b/i.test(blockText) ? 'raven' : /sentry_sdk|sentry-sdk/.test(blockText) ? 'sentry-sdk' : undefined;
