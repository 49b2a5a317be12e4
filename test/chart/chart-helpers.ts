import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KUBE_VERSION } from '../harness/kube';
import { chartDir, helm, HelmResult } from '../harness/helm';

/** Helpers shared by the chart suites: render, parse, find objects. */

export const ciValuesFiles = (): string[] =>
  readdirSync(join(chartDir(), 'ci'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

export const tmpHome = (prefix: string) => mkdtempSync(join(tmpdir(), `svc-sentry-${prefix}-`));

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON())
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && !!o.kind);
}

export function expectOk(r: HelmResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  return r.stdout;
}

/** `helm template` with values (objects written to files) and --set pairs; returns the parsed objects. */
export async function template(
  home: string,
  values: Array<string | Record<string, unknown>> = [],
  opts: { release?: string; namespace?: string; set?: string[] } = {},
): Promise<K8sObject[]> {
  const r = await helm(templateArgs(home, values, opts), { home });
  return parseManifests(expectOk(r, 'helm template'));
}

export function templateArgs(
  home: string,
  values: Array<string | Record<string, unknown>>,
  opts: { release?: string; namespace?: string; set?: string[] } = {},
): string[] {
  const args = ['template', opts.release ?? 'sentry', chartDir(), '--namespace', opts.namespace ?? 'svc-sentry', '--kube-version', KUBE_VERSION];
  for (const v of values) args.push('-f', valuesFile(home, v));
  for (const s of opts.set ?? []) args.push('--set', s);
  return args;
}

let n = 0;
export function valuesFile(home: string, v: string | Record<string, unknown>): string {
  if (typeof v === 'string') return v;
  const f = join(home, `values-${++n}.json`);
  writeFileSync(f, JSON.stringify(v));
  return f;
}

export const find = (objs: K8sObject[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
export const one = (objs: K8sObject[], kind: string, name?: string): K8sObject => {
  const f = find(objs, kind, name);
  if (f.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${f.length}: ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return f[0];
};

export const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The SANs of a PEM certificate, as "DNS:x" / "IP Address:y" entries. */
export function sans(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? '').split(', ').filter(Boolean);
}
