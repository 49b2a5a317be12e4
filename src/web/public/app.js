/*
 * svc-sentry developer-center panel. Plain JavaScript, no framework: it only calls the public REST API with the
 * token the user signed in with (kept in sessionStorage). Every URL is relative to <base href> (/ui/ wherever
 * svc-sentry is mounted), so the page works behind a path prefix. It never renders a token or a DSN secret.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'svc-sentry.token';
  var POLL_MS = 1000;
  var TRANSITIONAL = { pending: 1, provisioning: 1, deprovisioning: 1 };

  var MESSAGES = {
    en: {
      skip: 'Skip to content',
      brand: 'svc-sentry',
      navModules: 'App modules',
      signOut: 'Sign out',
      language: 'Language',
      signInTitle: 'Sign in to svc-sentry',
      signInIntro: 'Use an API token of svc-sentry (one of SVC_SENTRY_API_TOKENS). It is kept for this browser tab only.',
      token: 'API token',
      signIn: 'Sign in',
      signingIn: 'Signing in…',
      tokenRejected: 'Sign-in failed: this API token is not accepted by svc-sentry. Check the token and try again.',
      tokenEmpty: 'Enter an API token.',
      sessionEnded: 'Your token is no longer accepted. Sign in again.',
      networkError: 'svc-sentry could not be reached: {0}',
      modulesTitle: 'App modules',
      filterApp: 'App',
      filterState: 'State',
      anyState: 'Any state',
      filter: 'Filter',
      listCaption: 'App modules and the monitoring state of each environment',
      colModule: 'App module',
      colMonitoring: 'Monitoring',
      colPlan: 'Plan',
      colEnvs: 'Environments',
      on: 'On',
      off: 'Off',
      noModules: 'No app module matches.',
      showing: '{0}–{1} of {2}',
      previous: 'Previous page',
      next: 'Next page',
      openTitle: 'Open an app module',
      openIntro: 'Monitoring can be turned on for any app module, also one svc-sentry has not seen yet.',
      app: 'App code',
      module: 'Module',
      open: 'Open',
      badName: '{0} must be lowercase letters, digits and "-" (at most 63), starting and ending with a letter or digit.',
      monitoring: 'Monitoring',
      plan: 'Plan',
      neverSeen: 'Monitoring was never turned on for this app module.',
      turnOn: 'Turning monitoring on…',
      turnOff: 'Turning monitoring off…',
      toggled: 'Monitoring is {0}.',
      environments: 'Environments',
      state: 'State',
      inProgress: 'Working on it… this page updates by itself.',
      progress: 'Progress of {0}',
      conditions: 'Conditions',
      lastError: 'Last error',
      whatToDo: 'What to do',
      project: 'Upstream project',
      openProject: 'Open {0} in Sentry',
      dsn: 'Public DSN',
      copy: 'Copy DSN',
      copied: 'DSN copied to the clipboard.',
      copyFailed: 'Copy failed: select the DSN and copy it by hand.',
      secret: 'Kubernetes Secret',
      secretNone: 'No Secret is written (no Kubernetes cluster is configured for this environment).',
      secretWhere: '{2} in namespace {1} (cluster {0})',
      notYet: 'not yet',
      snippets: 'Reading SENTRY_DSN in your app',
      snippetsIntro: 'The Secret is wired into the Pods of this module as environment variables SENTRY_DSN, SENTRY_ENVIRONMENT and SENTRY_TRACES_SAMPLE_RATE.',
      python: 'Python (sentry-sdk)',
      node: 'Node.js (@sentry/node)',
      audit: 'Audit trail of app {0}',
      auditCaption: 'Operations on this app, newest first',
      colWhen: 'When',
      colKind: 'Operation',
      colProtocol: 'Via',
      colActor: 'Who',
      colState: 'State',
      colDetail: 'Detail',
      noAudit: 'No operation yet.',
      moreAudit: 'Older operations',
      backToList: 'All app modules',
      'st.pending': 'pending',
      'st.provisioning': 'provisioning',
      'st.ready': 'ready',
      'st.failed': 'failed',
      'st.deprovisioning': 'deprovisioning',
      'st.disabled': 'disabled',
      'op.in progress': 'in progress',
      'op.succeeded': 'succeeded',
      'op.failed': 'failed',
      'kind.enable': 'turn on',
      'kind.disable': 'turn off',
      'cond.True': 'yes',
      'cond.False': 'no',
      'cond.Unknown': 'unknown',
      'todo.auth': 'svc-sentry’s upstream token was refused. Ask the platform team to check SVC_SENTRY_UPSTREAM_TOKEN and its scopes.',
      'todo.rate': 'The Sentry organization is rate-limiting svc-sentry. It retries by itself; wait a minute.',
      'todo.upstream':
        'Sentry did not answer properly (server error or timeout). svc-sentry retries with back-off; if the state is failed, turn monitoring off and on again once Sentry is healthy.',
      'todo.kube':
        'Writing the Kubernetes Secret failed. Check that the namespace exists and svc-sentry may manage Secrets there, then turn monitoring off and on again.',
      'todo.plan': 'The plan is not known. Pick another plan.',
      'todo.failed':
        'svc-sentry gave up after its retries. Turn monitoring off and on again to retry; if it fails again, send this reason to the platform team.',
      'todo.retrying': 'svc-sentry retries by itself; nothing to do yet.',
      requestFailed: 'The request failed: {0}',
    },
    'zh-CN': {
      skip: '跳到主要内容',
      brand: 'svc-sentry',
      navModules: '应用模块',
      signOut: '退出登录',
      language: '语言',
      signInTitle: '登录 svc-sentry',
      signInIntro: '请使用 svc-sentry 的 API 令牌（SVC_SENTRY_API_TOKENS 之一）。令牌只保存在当前浏览器标签页中。',
      token: 'API 令牌',
      signIn: '登录',
      signingIn: '正在登录…',
      tokenRejected: '登录失败：svc-sentry 不接受此 API 令牌。请检查令牌后重试。',
      tokenEmpty: '请输入 API 令牌。',
      sessionEnded: '令牌已不再被接受，请重新登录。',
      networkError: '无法连接 svc-sentry：{0}',
      modulesTitle: '应用模块',
      filterApp: '应用',
      filterState: '状态',
      anyState: '全部状态',
      filter: '筛选',
      listCaption: '应用模块及各环境的监控状态',
      colModule: '应用模块',
      colMonitoring: '监控',
      colPlan: '方案',
      colEnvs: '环境',
      on: '已开启',
      off: '已关闭',
      noModules: '没有匹配的应用模块。',
      showing: '第 {0}–{1} 条，共 {2} 条',
      previous: '上一页',
      next: '下一页',
      openTitle: '打开应用模块',
      openIntro: '可以为任何应用模块开启监控，包括 svc-sentry 尚未记录的模块。',
      app: '应用 ID',
      module: '模块',
      open: '打开',
      badName: '{0} 只能包含小写字母、数字和“-”（最多 63 个字符），且以字母或数字开头和结尾。',
      monitoring: '监控',
      plan: '方案',
      neverSeen: '此应用模块从未开启过监控。',
      turnOn: '正在开启监控…',
      turnOff: '正在关闭监控…',
      toggled: '监控{0}。',
      environments: '环境',
      state: '状态',
      inProgress: '处理中…页面会自动刷新。',
      progress: '{0} 的进度',
      conditions: '状况',
      lastError: '最近错误',
      whatToDo: '处理建议',
      project: '上游项目',
      openProject: '在 Sentry 中打开 {0}',
      dsn: '公开 DSN',
      copy: '复制 DSN',
      copied: 'DSN 已复制到剪贴板。',
      copyFailed: '复制失败：请选中 DSN 手动复制。',
      secret: 'Kubernetes Secret',
      secretNone: '未写入 Secret（此环境未配置 Kubernetes 集群）。',
      secretWhere: '集群 {0} 的命名空间 {1} 中的 {2}',
      notYet: '尚未',
      snippets: '在应用中读取 SENTRY_DSN',
      snippetsIntro: 'Secret 会以环境变量 SENTRY_DSN、SENTRY_ENVIRONMENT 和 SENTRY_TRACES_SAMPLE_RATE 注入此模块的 Pod。',
      python: 'Python（sentry-sdk）',
      node: 'Node.js（@sentry/node）',
      audit: '应用 {0} 的操作记录',
      auditCaption: '此应用的操作，最新的在前',
      colWhen: '时间',
      colKind: '操作',
      colProtocol: '来源',
      colActor: '操作者',
      colState: '状态',
      colDetail: '详情',
      noAudit: '暂无操作。',
      moreAudit: '更早的操作',
      backToList: '全部应用模块',
      'st.pending': '等待中',
      'st.provisioning': '创建中',
      'st.ready': '就绪',
      'st.failed': '失败',
      'st.deprovisioning': '回收中',
      'st.disabled': '已停用',
      'op.in progress': '进行中',
      'op.succeeded': '成功',
      'op.failed': '失败',
      'kind.enable': '开启',
      'kind.disable': '关闭',
      'cond.True': '是',
      'cond.False': '否',
      'cond.Unknown': '未知',
      'todo.auth': 'Sentry 拒绝了 svc-sentry 的上游令牌。请联系平台团队检查 SVC_SENTRY_UPSTREAM_TOKEN 及其权限范围。',
      'todo.rate': 'Sentry 组织正在限制 svc-sentry 的请求频率。svc-sentry 会自动重试，请稍候。',
      'todo.upstream': 'Sentry 未正常响应（服务器错误或超时）。svc-sentry 会退避重试；若状态为失败，请在 Sentry 恢复后关闭再开启监控。',
      'todo.kube': '写入 Kubernetes Secret 失败。请确认命名空间存在且 svc-sentry 有权管理其中的 Secret，然后关闭再开启监控。',
      'todo.plan': '方案不存在，请选择其他方案。',
      'todo.failed': 'svc-sentry 重试后已放弃。请关闭再开启监控以重试；若仍失败，请将此原因发给平台团队。',
      'todo.retrying': 'svc-sentry 会自动重试，暂时无需处理。',
      requestFailed: '请求失败：{0}',
    },
  };

  // ---- locale, embed, routing -------------------------------------------------------------------------------------

  var params = new URLSearchParams(location.search);
  var lang = pickLang(params.get('lang'));
  var embed = params.get('embed') === '1';
  var dict = MESSAGES[lang];

  function pickLang(asked) {
    if (asked && MESSAGES[asked]) return asked;
    if (asked && /^zh/i.test(asked)) return 'zh-CN';
    if (asked && /^en/i.test(asked)) return 'en';
    var prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
    for (var i = 0; i < prefs.length; i++) {
      if (/^zh/i.test(prefs[i])) return 'zh-CN';
      if (/^en/i.test(prefs[i])) return 'en';
    }
    return 'en';
  }

  function t(key) {
    var s = dict[key] !== undefined ? dict[key] : MESSAGES.en[key] !== undefined ? MESSAGES.en[key] : key;
    for (var i = 1; i < arguments.length; i++) s = s.split('{' + (i - 1) + '}').join(String(arguments[i]));
    return s;
  }

  /** A link inside the panel, relative to <base href>, keeping lang and embed. */
  function href(path, extra) {
    var q = new URLSearchParams(extra || {});
    if (params.get('lang')) q.set('lang', lang);
    if (embed) q.set('embed', '1');
    var s = q.toString();
    return path + (s ? '?' + s : '');
  }

  function route() {
    var base = new URL(document.baseURI).pathname;
    var below = location.pathname.indexOf(base) === 0 ? location.pathname.slice(base.length) : '';
    var m = /^apps\/([^/]+)\/modules\/([^/]+)\/?$/.exec(below);
    if (m) return { name: 'module', app: decodeURIComponent(m[1]), module: decodeURIComponent(m[2]) };
    return { name: 'list' };
  }

  var DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  var validName = function (s) {
    return s.length <= 63 && DNS_LABEL.test(s);
  };

  // ---- DOM helpers ------------------------------------------------------------------------------------------------

  /** h('tag.class', {attr: v, onclick: fn}, children…): builds elements without innerHTML, so API text is never markup. */
  function h(spec, attrs) {
    var parts = spec.split('.');
    var el = document.createElement(parts[0]);
    if (parts.length > 1) el.className = parts.slice(1).join(' ');
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) c.forEach(append.bind(null, el));
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  /** Replaces an element's children; like h(), null and false children are left out (replaceChildren would print "null"). */
  function fill(el) {
    el.replaceChildren();
    for (var i = 1; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function mount(el) {
    var main = document.getElementById('main');
    fill(main, el);
    main.setAttribute('aria-busy', 'false');
  }
  /** A label and its control side by side in the markup (a control nested in its label would add its value to the name). */
  function field(id, text, control) {
    return h('div.field', {}, h('label', { for: id }, text), control);
  }
  function announce(msg) {
    var a = document.getElementById('announce');
    a.textContent = '';
    setTimeout(function () {
      a.textContent = msg;
    }, 30);
  }
  function badge(state) {
    return h('span.badge.state-' + state, { 'data-state': state }, t('st.' + state));
  }
  /** Drops the secret of a legacy `public:secret@` DSN, should one ever arrive: the panel shows public DSNs only. */
  function publicDsn(dsn) {
    return String(dsn).replace(/\/\/([^:@/]+):[^@/]*@/, '//$1@');
  }

  // ---- API --------------------------------------------------------------------------------------------------------

  function token() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null;
    }
  }

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
    this.message = (problem && (problem.detail || problem.title)) || 'HTTP ' + status;
  }

  /** Calls the REST API (relative: ../api/v1/… from /ui/). A 401 signs the user out. */
  function api(method, path, body, tok) {
    var headers = { Accept: 'application/json', Authorization: 'Bearer ' + (tok || token() || '') };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch('../api/v1/' + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = null;
        }
        if (res.ok) return { status: res.status, body: data };
        throw new ApiError(res.status, data);
      });
    });
  }

  function failed(e) {
    if (e instanceof ApiError && e.status === 401 && token()) {
      signOut(t('sessionEnded'));
      return;
    }
    var msg = e instanceof ApiError ? t('requestFailed', e.message) : t('networkError', e && e.message ? e.message : String(e));
    var main = document.getElementById('main');
    var box = main.querySelector('.alert[data-role="request-error"]') || h('div.alert', { role: 'alert', 'data-role': 'request-error' });
    box.textContent = msg;
    if (!box.parentNode) main.prepend(box);
  }

  function signOut(reason) {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* storage disabled */
    }
    stopPolling();
    renderSignIn(reason);
  }

  // ---- chrome -----------------------------------------------------------------------------------------------------

  function renderChrome() {
    var header = document.getElementById('chrome');
    var skip = document.querySelector('.skip');
    if (embed) {
      // Embed mode (an iframe in a developer center): no header, navigation or skip link.
      document.body.classList.add('embed');
      if (header) header.remove();
      if (skip) skip.remove();
      return;
    }
    skip.textContent = t('skip');
    var langs = [
      ['en', 'English'],
      ['zh-CN', '中文'],
    ];
    var langLinks = langs.map(function (l) {
      var q = new URLSearchParams(location.search);
      q.set('lang', l[0]);
      return h(
        'li',
        {},
        h('a', { href: location.pathname + '?' + q.toString(), lang: l[0], hreflang: l[0], 'aria-current': l[0] === lang ? 'true' : null }, l[1]),
      );
    });
    fill(
      header,
      h('a.brand', { href: href('./') }, t('brand')),
      h('nav', { 'aria-label': t('brand') }, h('ul', {}, h('li', {}, h('a', { href: href('./') }, t('navModules'))))),
      h('span.spacer'),
      h('nav', { 'aria-label': t('language') }, h('ul', {}, langLinks)),
      token() ? h('button.link', { type: 'button', onclick: signOut.bind(null, '') }, t('signOut')) : null,
    );
    header.hidden = false;
  }

  // ---- sign-in ----------------------------------------------------------------------------------------------------

  function renderSignIn(reason) {
    renderChrome();
    document.title = t('signInTitle');
    var error = h('div.alert', { id: 'signin-error', role: 'alert', hidden: !reason }, reason || '');
    var input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'signin-error' });
    var submit = h('button', { type: 'submit' }, t('signIn'));
    var form = h(
      'form',
      {
        'aria-labelledby': 'signin-title',
        onsubmit: function (ev) {
          ev.preventDefault();
          var tok = input.value.trim();
          if (!tok) {
            error.textContent = t('tokenEmpty');
            error.hidden = false;
            input.focus();
            return;
          }
          submit.disabled = true;
          submit.textContent = t('signingIn');
          api('GET', 'plans', undefined, tok)
            .then(function () {
              sessionStorage.setItem(TOKEN_KEY, tok);
              input.value = '';
              start();
            })
            .catch(function (e) {
              submit.disabled = false;
              submit.textContent = t('signIn');
              error.textContent = e instanceof ApiError && e.status === 401 ? t('tokenRejected') : t('networkError', e.message || e);
              error.hidden = false;
              input.setAttribute('aria-invalid', 'true');
              input.select();
              input.focus();
            });
        },
      },
      h('label', { for: 'token' }, t('token')),
      input,
      error,
      submit,
    );
    mount(h('section.card.signin', {}, h('h1', { id: 'signin-title' }, t('signInTitle')), h('p.muted', {}, t('signInIntro')), form));
    input.focus();
  }

  // ---- list -------------------------------------------------------------------------------------------------------

  var STATES = ['pending', 'provisioning', 'ready', 'failed', 'deprovisioning', 'disabled'];
  var PAGE = 20;

  function renderList() {
    document.title = t('modulesTitle') + ' · svc-sentry';
    var appInput = h('input', { id: 'filter-app', name: 'app', type: 'search', value: params.get('app') || '', maxlength: '63', autocomplete: 'off' });
    var stateSelect = h(
      'select',
      { id: 'filter-state', name: 'state' },
      h('option', { value: '' }, t('anyState')),
      STATES.map(function (s) {
        return h('option', { value: s, selected: params.get('state') === s }, t('st.' + s));
      }),
    );
    var results = h('div', { id: 'results', 'aria-live': 'polite' });
    var offset = Math.max(0, parseInt(params.get('offset') || '0', 10) || 0);

    function load(newOffset) {
      offset = newOffset;
      var q = new URLSearchParams();
      var app = appInput.value.trim().toLowerCase();
      if (app) q.set('app', app);
      if (stateSelect.value) q.set('state', stateSelect.value);
      if (offset) q.set('offset', String(offset));
      var shown = new URLSearchParams(q);
      if (params.get('lang')) shown.set('lang', lang);
      if (embed) shown.set('embed', '1');
      history.replaceState(null, '', location.pathname + (shown.toString() ? '?' + shown.toString() : ''));
      q.set('limit', String(PAGE));
      results.setAttribute('aria-busy', 'true');
      return api('GET', 'monitoring?' + q.toString())
        .then(function (r) {
          results.setAttribute('aria-busy', 'false');
          fill(results, listTable(r.body, load));
          if (!r.body.items.length && app && validName(app)) openApp.value = app;
        })
        .catch(failed);
    }

    var openApp = h('input', { id: 'open-app', name: 'app', required: true, maxlength: '63', autocomplete: 'off' });
    var openModule = h('input', { id: 'open-module', name: 'module', required: true, maxlength: '63', value: 'default', autocomplete: 'off' });
    var openError = h('div.alert', { id: 'open-error', role: 'alert', hidden: true });
    var openForm = h(
      'form.inline',
      {
        'aria-labelledby': 'open-title',
        onsubmit: function (ev) {
          ev.preventDefault();
          var a = openApp.value.trim().toLowerCase();
          var m = openModule.value.trim().toLowerCase();
          var bad = !validName(a) ? t('app') : !validName(m) ? t('module') : null;
          if (bad) {
            openError.textContent = t('badName', bad);
            openError.hidden = false;
            (!validName(a) ? openApp : openModule).focus();
            return;
          }
          location.assign(href('apps/' + encodeURIComponent(a) + '/modules/' + encodeURIComponent(m)));
        },
      },
      field('open-app', t('app'), openApp),
      field('open-module', t('module'), openModule),
      h('button', { type: 'submit' }, t('open')),
    );

    mount(
      h(
        'div',
        {},
        h('h1', {}, t('modulesTitle')),
        h(
          'form.inline',
          {
            role: 'search',
            onsubmit: function (ev) {
              ev.preventDefault();
              load(0);
            },
          },
          field('filter-app', t('filterApp'), appInput),
          field('filter-state', t('filterState'), stateSelect),
          h('button', { type: 'submit' }, t('filter')),
        ),
        results,
        h('section.card', {}, h('h2', { id: 'open-title' }, t('openTitle')), h('p.muted', {}, t('openIntro')), openForm, openError),
      ),
    );
    load(offset);
  }

  function listTable(page, load) {
    if (!page.items.length) return h('p', { 'data-role': 'empty' }, t('noModules'));
    var rows = page.items.map(function (m) {
      var envs = envOrder(m.environments);
      return h(
        'tr',
        { 'data-module': m.app + '/' + m.module },
        h('td', {}, h('a', { href: href('apps/' + encodeURIComponent(m.app) + '/modules/' + encodeURIComponent(m.module)) }, m.app + '/' + m.module)),
        h('td', {}, h('span.badge.state-' + (m.enabled ? 'ready' : 'off'), {}, m.enabled ? t('on') : t('off'))),
        h('td', {}, m.plan),
        h(
          'td',
          {},
          envs.map(function (env) {
            return h('span', { 'data-env': env }, env + ' ', badge(m.environments[env]));
          }),
        ),
      );
    });
    var from = page.offset + 1;
    var to = page.offset + page.items.length;
    return h(
      'div',
      {},
      h(
        'table',
        {},
        h('caption', {}, t('listCaption')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, t('colModule')),
            h('th', { scope: 'col' }, t('colMonitoring')),
            h('th', { scope: 'col' }, t('colPlan')),
            h('th', { scope: 'col' }, t('colEnvs')),
          ),
        ),
        h('tbody', {}, rows),
      ),
      h(
        'nav.pager',
        { 'aria-label': t('showing', from, to, page.total) },
        h('button.secondary', { type: 'button', disabled: page.offset === 0, onclick: load.bind(null, Math.max(0, page.offset - page.limit)) }, t('previous')),
        h('span', { 'data-role': 'range' }, t('showing', from, to, page.total)),
        h('button.secondary', { type: 'button', disabled: to >= page.total, onclick: load.bind(null, page.offset + page.limit) }, t('next')),
      ),
    );
  }

  // ---- one app module ---------------------------------------------------------------------------------------------

  var pollTimer = null;
  function stopPolling() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  function renderModule(app, module) {
    document.title = app + '/' + module + ' · svc-sentry';
    var state = { status: null, plans: [], busy: false, auditOffset: 0 };
    var header = h('div');
    var envsBox = h('section', { 'aria-labelledby': 'envs-title' });
    var auditBox = h('section', { 'aria-labelledby': 'audit-title' });
    var root = h(
      'div',
      { 'data-app': app, 'data-module': module },
      embed ? null : h('p', {}, h('a', { href: href('./') }, '← ' + t('backToList'))),
      h('h1', {}, app + '/' + module),
      header,
      envsBox,
      snippets(),
      auditBox,
    );
    mount(root);

    var switchBtn = h(
      'button.switch',
      { type: 'button', role: 'switch', id: 'monitoring-switch', 'aria-checked': 'false', 'aria-labelledby': 'switch-label', onclick: onToggle },
      h('span.track', { 'aria-hidden': 'true' }),
      h('span', { id: 'switch-label' }, t('monitoring')),
    );
    var planSelect = h('select', { id: 'plan', name: 'plan', onchange: onPlan });
    var notice = h('p', { id: 'module-notice', role: 'status' });
    fill(header, h('div.card.toggle-row', {}, switchBtn, field('plan', t('plan'), planSelect), notice));

    function put(enabled) {
      state.busy = true;
      switchBtn.disabled = true;
      notice.textContent = enabled ? t('turnOn') : t('turnOff');
      return api('PUT', 'apps/' + encodeURIComponent(app) + '/modules/' + encodeURIComponent(module) + '/monitoring', {
        enabled: enabled,
        plan: planSelect.value || undefined,
      })
        .then(function (r) {
          state.busy = false;
          show(r.body);
          announce(t('toggled', enabled ? t('on') : t('off')));
          loadAudit(0);
          poll();
        })
        .catch(function (e) {
          state.busy = false;
          switchBtn.disabled = false;
          notice.textContent = '';
          failed(e);
        });
    }
    function onToggle() {
      put(!(state.status && state.status.enabled));
    }
    function onPlan() {
      if (state.status && state.status.enabled) put(true);
    }

    function show(status) {
      state.status = status;
      var enabled = !!(status && status.enabled);
      switchBtn.setAttribute('aria-checked', String(enabled));
      switchBtn.disabled = state.busy;
      if (status && status.plan) planSelect.value = status.plan;
      notice.textContent = status ? '' : t('neverSeen');
      fill(envsBox, h('h2', { id: 'envs-title' }, t('environments')), status ? environments(status) : null);
    }

    function environments(status) {
      var names = envOrder(status.environments);
      return h(
        'div.envs',
        {},
        names.map(function (env) {
          return envCard(env, status.environments[env]);
        }),
      );
    }

    /** The module's state, or null if svc-sentry never saw it (asked through the list first, so no 404 is logged). */
    function load() {
      var get = function () {
        return api('GET', 'apps/' + encodeURIComponent(app) + '/modules/' + encodeURIComponent(module) + '/monitoring').then(function (r) {
          return r.body;
        });
      };
      if (state.status) return get();
      var q = new URLSearchParams({ app: app, module: module, limit: '100' });
      return api('GET', 'monitoring?' + q.toString()).then(function (r) {
        var known = r.body.items.some(function (m) {
          return m.app === app && m.module === module;
        });
        return known ? get() : null;
      });
    }

    function poll() {
      stopPolling();
      load()
        .then(function (status) {
          var wasBusy = isBusy(state.status);
          if (!state.busy) show(status);
          if (isBusy(status)) pollTimer = setTimeout(poll, POLL_MS);
          else if (wasBusy && status) {
            loadAudit(0);
            announce(
              Object.keys(status.environments)
                .map(function (env) {
                  return env + ': ' + t('st.' + status.environments[env].state);
                })
                .join(', '),
            );
          }
        })
        .catch(function (e) {
          failed(e);
          pollTimer = setTimeout(poll, POLL_MS * 5);
        });
    }

    var auditTimer = null;
    /** The app's operations; the first page refreshes itself while one of them is still in progress. */
    function loadAudit(offset) {
      state.auditOffset = offset;
      if (auditTimer) clearTimeout(auditTimer);
      auditTimer = null;
      return api('GET', 'apps/' + encodeURIComponent(app) + '/audit?offset=' + offset + '&limit=20')
        .then(function (r) {
          fill(auditBox, h('h2', { id: 'audit-title' }, t('audit', app)), auditTable(r.body, loadAudit));
          var open = r.body.items.some(function (o) {
            return o.state === 'in progress';
          });
          if (open && offset === 0 && token()) auditTimer = setTimeout(loadAudit.bind(null, 0), POLL_MS);
        })
        .catch(failed);
    }

    Promise.all([
      api('GET', 'plans').then(function (r) {
        return r.body;
      }),
      load(),
    ])
      .then(function (res) {
        res[0].forEach(function (p) {
          planSelect.appendChild(h('option', { value: p.name, title: p.description }, p.name));
        });
        show(res[1]);
        if (isBusy(res[1])) poll();
        loadAudit(0);
      })
      .catch(failed);
  }

  /** Environment names with stag first (the usual order of promotion), then by name. */
  function envOrder(envs) {
    return Object.keys(envs).sort(function (a, b) {
      return a === b ? 0 : a === 'stag' ? -1 : b === 'stag' ? 1 : a < b ? -1 : 1;
    });
  }

  function isBusy(status) {
    if (!status) return false;
    return Object.keys(status.environments).some(function (env) {
      return TRANSITIONAL[status.environments[env].state];
    });
  }

  /** Conditions as a list whatever their shape: [{type,status,reason,message}] or {Type: {status,…}}. */
  function conditionList(c) {
    if (!c) return [];
    if (Array.isArray(c)) return c;
    return Object.keys(c).map(function (k) {
      var v = c[k];
      return typeof v === 'object' && v ? Object.assign({ type: k }, v) : { type: k, status: String(v) };
    });
  }

  function whatToDo(text, envState) {
    var s = String(text || '');
    if (/PlanNotFound|unknown plan/i.test(s)) return t('todo.plan');
    if (/\b(401|403)\b|unauthori[sz]ed|forbidden|scope|permission|token/i.test(s) && !/kube|namespace|secret|cluster/i.test(s)) return t('todo.auth');
    if (/\b429\b|rate.?limit/i.test(s)) return t('todo.rate');
    if (/kube|namespace|secret|cluster|rbac/i.test(s)) return t('todo.kube');
    if (/\b5\d\d\b|timeout|timed out|unavailable|ECONN|socket|gateway/i.test(s)) return envState === 'failed' ? t('todo.upstream') : t('todo.retrying');
    return envState === 'failed' ? t('todo.failed') : t('todo.retrying');
  }

  function envCard(env, e) {
    var conds = conditionList(e.conditions);
    var busy = !!TRANSITIONAL[e.state];
    var done = conds.filter(function (c) {
      return c.status === 'True' || c.status === true;
    }).length;
    var problems = conds.filter(function (c) {
      return c.status === 'False' || c.status === false;
    });
    var details = [];
    if (busy) {
      var bar = h('progress', { 'aria-label': t('progress', env), max: conds.length || null, value: conds.length ? String(done) : null });
      details.push(h('div', { 'data-role': 'progress' }, bar, h('p.muted', {}, t('inProgress'))));
    }
    if (conds.length) {
      details.push(
        h('h4', {}, t('conditions')),
        h(
          'ul.conditions',
          { 'data-role': 'conditions' },
          conds.map(function (c) {
            var st = c.status === true ? 'True' : c.status === false ? 'False' : String(c.status);
            return h(
              'li',
              { 'data-condition': c.type, 'data-status': st },
              h('span.badge.state-' + (st === 'True' ? 'ready' : st === 'False' ? (e.state === 'failed' ? 'failed' : 'pending') : 'off'), {}, t('cond.' + st)),
              h('strong', {}, c.type),
              c.reason ? ' · ' + c.reason : '',
              c.message ? h('div.muted', {}, c.message) : null,
            );
          }),
        ),
      );
    }
    var reason = e.error || (problems[0] && (problems[0].message || problems[0].reason));
    if (e.error && !conds.length) details.push(h('div.alert', { 'data-role': 'error' }, h('strong', {}, t('lastError') + ': '), e.error));
    if (reason && (e.state === 'failed' || e.error || problems.length))
      details.push(
        h(
          'div.hint',
          { 'data-role': 'todo' },
          h('strong', {}, t('whatToDo') + ': '),
          whatToDo(reason + ' ' + (problems[0] ? problems[0].reason || '' : ''), e.state),
        ),
      );

    var dsnBox = null;
    if (e.dsn) {
      var dsn = publicDsn(e.dsn);
      var field = h('input', { id: 'dsn-' + env, readonly: true, value: dsn, 'aria-label': t('dsn') + ' (' + env + ')' });
      dsnBox = h(
        'div.dsn',
        {},
        field,
        h(
          'button.secondary',
          {
            type: 'button',
            'data-role': 'copy',
            'aria-label': t('copy') + ' (' + env + ')',
            onclick: function () {
              copyText(dsn, field);
            },
          },
          t('copy'),
        ),
      );
    }
    var secret = e.secret ? t('secretWhere', e.secret.cluster, e.secret.namespace, e.secret.name) : e.state === 'ready' ? t('secretNone') : t('notYet');
    return h(
      'article.card',
      { 'aria-labelledby': 'env-' + env, 'data-env': env, 'data-state': e.state },
      h('h3', { id: 'env-' + env }, env + ' ', badge(e.state)),
      details,
      h(
        'dl',
        {},
        h('dt', {}, t('project')),
        h(
          'dd',
          {},
          e.project
            ? e.project.adminUrl
              ? h('a', { href: e.project.adminUrl, target: '_blank', rel: 'noopener noreferrer', 'data-role': 'project' }, t('openProject', e.project.slug))
              : e.project.slug
            : t('notYet'),
        ),
        h('dt', {}, t('dsn')),
        h('dd', {}, dsnBox || t('notYet')),
        h('dt', {}, t('secret')),
        h('dd', { 'data-role': 'secret' }, secret),
      ),
    );
  }

  function copyText(text, field) {
    var done = function () {
      announce(t('copied'));
    };
    var fallback = function () {
      field.focus();
      field.select();
      try {
        if (document.execCommand('copy')) return done();
      } catch (e) {
        /* fall through */
      }
      announce(t('copyFailed'));
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }

  function snippets() {
    var py = [
      'import os',
      'import sentry_sdk',
      '',
      'sentry_sdk.init(',
      '    dsn=os.environ.get("SENTRY_DSN"),  # unset: the SDK stays off',
      '    environment=os.environ.get("SENTRY_ENVIRONMENT"),',
      '    traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),',
      ')',
    ].join('\n');
    var js = [
      "const Sentry = require('@sentry/node');",
      '',
      'Sentry.init({',
      '  dsn: process.env.SENTRY_DSN, // unset: the SDK stays off',
      '  environment: process.env.SENTRY_ENVIRONMENT,',
      "  tracesSampleRate: Number(process.env.SENTRY_TRACES_SAMPLE_RATE || '0'),",
      '});',
    ].join('\n');
    return h(
      'section',
      { 'aria-labelledby': 'snippets-title' },
      h('h2', { id: 'snippets-title' }, t('snippets')),
      h('p.muted', {}, t('snippetsIntro')),
      h('h3', { id: 'snippet-python' }, t('python')),
      h('pre', { 'aria-labelledby': 'snippet-python', tabindex: '0' }, h('code', {}, py)),
      h('h3', { id: 'snippet-node' }, t('node')),
      h('pre', { 'aria-labelledby': 'snippet-node', tabindex: '0' }, h('code', {}, js)),
    );
  }

  function auditTable(page, loadAudit) {
    if (!page.items.length) return h('p', {}, t('noAudit'));
    return h(
      'div',
      {},
      h(
        'table',
        { 'data-role': 'audit' },
        h('caption', {}, t('auditCaption')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['colWhen', 'colModule', 'colKind', 'colProtocol', 'colActor', 'colState', 'colDetail'].map(function (k) {
              return h('th', { scope: 'col' }, t(k));
            }),
          ),
        ),
        h(
          'tbody',
          {},
          page.items.map(function (o) {
            var st = o.state === 'succeeded' ? 'ready' : o.state === 'failed' ? 'failed' : 'pending';
            return h(
              'tr',
              { 'data-kind': o.kind, 'data-state': o.state, 'data-module': o.module || '' },
              h('td', {}, h('time', { datetime: o.createdAt }, new Date(o.createdAt).toLocaleString(lang))),
              h('td', {}, o.module || '—'),
              h('td', {}, t('kind.' + o.kind) === 'kind.' + o.kind ? o.kind : t('kind.' + o.kind)),
              h('td', {}, o.protocol),
              h('td', {}, o.actor),
              h('td', {}, h('span.badge.state-' + st, {}, t('op.' + o.state))),
              h('td', {}, o.description || ''),
            );
          }),
        ),
      ),
      page.offset + page.items.length < page.total
        ? h('p', {}, h('button.secondary', { type: 'button', onclick: loadAudit.bind(null, page.offset + page.limit) }, t('moreAudit')))
        : null,
    );
  }

  // ---- start ------------------------------------------------------------------------------------------------------

  function start() {
    document.documentElement.lang = lang;
    stopPolling();
    if (!token()) return renderSignIn('');
    renderChrome();
    var r = route();
    if (r.name === 'module') return renderModule(r.app, r.module);
    renderList();
  }

  start();
})();
