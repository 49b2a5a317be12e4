import { DomainError, ErrorCode } from '../common/domain-error';
import { k8s } from './client-node';
import { statusOf, toDomainError, withTimeout } from './kube-errors';

/** The apiserver's answers as client-node reports them, mapped to cluster codes (the real-apiserver cases are in test/kubernetes/secrets.int-spec.ts). */
describe('toDomainError (Kubernetes failures)', () => {
  const ref = { cluster: 'prod-sh', namespace: 'shop-prod', name: 'svc-sentry-web' };
  const status = (code: number, message: string) =>
    new k8s.ApiException(code, `HTTP-Code: ${code}`, JSON.stringify({ kind: 'Status', status: 'Failure', message, code }), {});

  it.each([
    [429, 'Too many requests, please try again later.'],
    [500, 'Internal error occurred: failed calling webhook'],
    [503, 'the server is currently unable to handle the request'],
    [504, 'the server was unable to return a response in the time allotted'],
  ])('%d is a retryable ClusterUnavailable', (code, message) => {
    const e = toDomainError(status(code, message), 'apply Secret svc-sentry-web', ref);
    expect(e).toMatchObject({ code: ErrorCode.ClusterUnavailable, retryable: true, details: { ...ref, status: code } });
    expect(e.message).toBe(
      `Kubernetes apiserver answered ${code} to apply Secret svc-sentry-web in namespace shop-prod (cluster "prod-sh"): ${message}; will retry`,
    );
  });

  it.each([
    [401, 'Unauthorized'],
    [403, 'secrets "svc-sentry-web" is forbidden: User "system:serviceaccount:svc-sentry:svc-sentry" cannot patch resource "secrets"'],
    [400, 'the body of the request was in an unknown format'],
    [422, 'Secret "svc-sentry-web" is invalid: data[bad key]: Invalid value'],
  ])('%d is a terminal ClusterRejected naming the verb, resource and namespace', (code, message) => {
    const e = toDomainError(status(code, message), 'apply Secret svc-sentry-web', ref);
    expect(e).toMatchObject({ code: ErrorCode.ClusterRejected, retryable: false, details: { ...ref, status: code } });
    expect(e.message).toMatch(new RegExp(`^Kubernetes refused to apply Secret svc-sentry-web in namespace shop-prod \\(cluster "prod-sh"\\) \\(${code}\\): `));
    expect(e.message).toContain(message);
    if (code === 401 || code === 403) expect(e.message).toMatch(/RBAC lets svc-sentry get, list, create, patch and delete Secrets/);
  });

  it('404 (no namespace yet) and 409 (changed meanwhile) are retryable ClusterRejected', () => {
    expect(toDomainError(status(404, 'namespaces "shop-prod" not found'), 'apply Secret svc-sentry-web', ref)).toMatchObject({
      code: ErrorCode.ClusterRejected,
      retryable: true,
      message: expect.stringMatching(/Does the namespace exist\?$/),
    });
    expect(toDomainError(status(409, 'the object has been modified'), 'apply Secret svc-sentry-web', ref)).toMatchObject({
      code: ErrorCode.ClusterRejected,
      retryable: true,
    });
  });

  it('a refused connection is a retryable ClusterUnavailable; anything else unexpected is Internal', () => {
    const refused = Object.assign(new Error('request to https://10.0.0.1:6443 failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(toDomainError(refused, 'get Secret svc-sentry-web', ref)).toMatchObject({
      code: ErrorCode.ClusterUnavailable,
      retryable: true,
      message: 'Kubernetes apiserver unreachable: get Secret svc-sentry-web in namespace shop-prod (cluster "prod-sh") failed (ECONNREFUSED); will retry',
    });
    expect(toDomainError(new TypeError('x is not a function'), 'get Secret svc-sentry-web', ref)).toMatchObject({ code: ErrorCode.Internal, retryable: false });
  });

  it('statusOf reads the status back from a mapped error (callers check 404 after mapping)', () => {
    const mapped = toDomainError(status(404, 'secrets "svc-sentry-web" not found'), 'get Secret svc-sentry-web', ref);
    expect(statusOf(mapped)).toBe(404);
    expect(statusOf(new DomainError(ErrorCode.NotOwned, 'x'))).toBeUndefined();
  });

  it('withTimeout: a request that does not answer in time is a retryable ClusterUnavailable', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(never, 20, 'list Deployments', ref)).rejects.toMatchObject({
      code: ErrorCode.ClusterUnavailable,
      retryable: true,
      details: { ...ref, reason: 'timeout' },
      message: 'Kubernetes apiserver did not answer: list Deployments in namespace shop-prod (cluster "prod-sh") took longer than 20 ms; will retry',
    });
  });
});
