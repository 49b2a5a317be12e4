import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Test PKI made with the openssl CLI: one CA, serving certificates with IP/DNS SANs, a service-account key pair. */
export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  pem: string;
}

export interface ServingCert {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createCa(dir: string, name = 'svc-sentry-test-ca'): TestCa {
  const keyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'ca.crt');
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { dir, certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** A serving certificate signed by the CA for 127.0.0.1 and localhost (Go rejects CN-only certificates). */
export function issueServingCert(ca: TestCa, dir: string, name: string, hosts: string[] = ['127.0.0.1', 'localhost']): ServingCert {
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  const sans = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(ext, `subjectAltName=${sans}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '3650', '-extfile', ext], dir);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

/** RSA key pair for signing service-account tokens. */
export function createServiceAccountKeys(dir: string): { keyFile: string; pubFile: string } {
  const keyFile = join(dir, 'sa.key');
  const pubFile = join(dir, 'sa.pub');
  openssl(['genrsa', '-out', keyFile, '2048'], dir);
  openssl(['rsa', '-in', keyFile, '-pubout', '-out', pubFile], dir);
  return { keyFile, pubFile };
}
