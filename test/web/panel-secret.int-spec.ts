import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { KUBE_START_TIMEOUT_MS, KubeCluster, describeWithKube, startKubeCluster } from '../harness/kube';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv } from '../support/app';
import { chromiumTool, launchBrowser, newContext, PREFIX, PrefixProxy, SHOTS, signIn, startPrefixProxy } from './browser';

/** The panel names the Kubernetes Secret each environment's DSN lives in, and that Secret holds the DSN the page shows. */
chromiumTool.describe('web panel with a real apiserver', () => {
  describeWithKube('the Secret of each environment', () => {
    let cluster: KubeCluster;
    let standin: SentryStandin;
    let t: TestApp;
    let proxy: PrefixProxy;
    let browser: Browser;

    beforeAll(async () => {
      cluster = await startKubeCluster({ controllerManager: false });
      for (const name of ['kubeshop-stag', 'kubeshop-prod']) {
        expect((await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).status).toBe(201);
      }
      standin = await startSentryStandin({ orgs: ['acme'], latencyMs: 100 });
      t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_KUBECONFIG: `main=${cluster.kubeconfigPath}`, SVC_SENTRY_KUBE_TIMEOUT_MS: '5000' }));
      proxy = await startPrefixProxy(t.url);
      browser = await launchBrowser();
    }, KUBE_START_TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await proxy?.close();
      await t?.close();
      await standin?.close();
      await cluster?.stop();
    });

    it('turns kubeshop/default on and shows, per environment, the Secret that holds the DSN shown', async () => {
      const ui = `${proxy.url}${PREFIX}/ui/`;
      const { context, page, problems } = await newContext(browser, proxy.url);
      await signIn(page, ui);
      await page.locator('[data-role=empty]').waitFor(); // the list has loaded (leaving earlier would abort its request)
      await page.goto(`${ui}apps/kubeshop/modules/default`);
      await page.getByRole('switch', { name: 'Monitoring' }).click();
      for (const env of ['stag', 'prod']) {
        const card = page.locator(`article[data-env=${env}]`);
        await page.locator(`article[data-env=${env}][data-state=ready]`).waitFor({ timeout: 60_000 });
        expect(await card.locator('[data-role=secret]').textContent()).toBe(`svc-sentry-default in namespace kubeshop-${env} (cluster main)`);
        const shown = await card.getByLabel(`Public DSN (${env})`).inputValue();
        const secret = await cluster.request('GET', `/api/v1/namespaces/kubeshop-${env}/secrets/svc-sentry-default`);
        expect(secret.status).toBe(200);
        expect(Buffer.from((secret.body as any).data.SENTRY_DSN, 'base64').toString()).toBe(shown);
      }
      await page.screenshot({ path: join(SHOTS, 'ready-with-secret.png'), fullPage: true });
      expect(problems).toEqual([]);
      await context.close();
    }, 120_000);
  });
});
