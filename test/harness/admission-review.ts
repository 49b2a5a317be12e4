/**
 * The AdmissionReview (admission.k8s.io/v1) the kube-apiserver sends a mutating webhook for the CREATE of a Pod in
 * `namespace`, as JSON. `extra` adds or overrides fields of the request (userInfo, dryRun, a bad kind, ...).
 */
export function podCreateReview(uid: string, namespace: string, pod: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      object: pod,
      ...extra,
    },
  });
}
