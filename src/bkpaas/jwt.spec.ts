import { JwtError, parseJwtClients, signHs256, verifyHs256 } from './jwt';

const clients = parseJwtClients(['paas-v3:k3y-one-0123456789', 'other:key:with:colons']);
const now = 1_800_000_000;
const fail = (token: string, at = now) => {
  try {
    verifyHs256(token, clients, at);
  } catch (e) {
    expect(e).toBeInstanceOf(JwtError);
    return (e as JwtError).reason;
  }
  throw new Error('token was accepted');
};

describe('HS256 JWT (BlueKing remote-service auth)', () => {
  it('parses iss:key pairs, keeping colons inside the key', () => {
    expect(clients).toEqual([
      { iss: 'paas-v3', key: 'k3y-one-0123456789' },
      { iss: 'other', key: 'key:with:colons' },
    ]);
  });

  it('accepts a token signed with the key of its issuer and returns the role', () => {
    const t = signHs256({ iss: 'paas-v3', expires_at: now + 3600, role: 'internal_platform' }, 'k3y-one-0123456789');
    expect(verifyHs256(t, clients, now)).toMatchObject({ iss: 'paas-v3', role: 'internal_platform' });
    const t2 = signHs256({ iss: 'other', expires_at: now + 10 }, 'key:with:colons');
    expect(verifyHs256(t2, clients, now)).toMatchObject({ iss: 'other', role: null });
  });

  it('matches a known vector (HMAC-SHA256 over header.payload, base64url)', () => {
    // Built independently: header {"alg":"HS256","typ":"JWT"}, payload {"iss":"paas-v3","expires_at":1900000000}
    const token = signHs256({ iss: 'paas-v3', expires_at: 1_900_000_000 }, 'k3y-one-0123456789');
    const [h, p] = token.split('.');
    expect(Buffer.from(h, 'base64url').toString()).toBe('{"alg":"HS256","typ":"JWT"}');
    expect(Buffer.from(p, 'base64url').toString()).toBe('{"iss":"paas-v3","expires_at":1900000000}');
    const { createHmac } = require('node:crypto');
    expect(token.split('.')[2]).toBe(createHmac('sha256', 'k3y-one-0123456789').update(`${h}.${p}`).digest('base64url'));
  });

  it('rejects a key of another issuer, a tampered payload, an unknown issuer', () => {
    expect(fail(signHs256({ iss: 'paas-v3', expires_at: now + 60 }, 'key:with:colons'))).toBe('signature');
    const good = signHs256({ iss: 'paas-v3', expires_at: now + 60, role: 'x' }, 'k3y-one-0123456789');
    const [h, , s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ iss: 'paas-v3', expires_at: now + 60, role: 'internal_platform' })).toString('base64url');
    expect(fail(`${h}.${forged}.${s}`)).toBe('signature');
    expect(fail(signHs256({ iss: 'nobody', expires_at: now + 60 }, 'k3y-one-0123456789'))).toBe('issuer');
  });

  it('rejects expired tokens and tokens without expiry', () => {
    expect(fail(signHs256({ iss: 'paas-v3', expires_at: now - 1 }, 'k3y-one-0123456789'))).toBe('expired');
    expect(fail(signHs256({ iss: 'paas-v3', expires_at: now }, 'k3y-one-0123456789'))).toBe('expired');
    expect(fail(signHs256({ iss: 'paas-v3' }, 'k3y-one-0123456789'))).toBe('expired');
    expect(verifyHs256(signHs256({ iss: 'paas-v3', exp: now + 5 }, 'k3y-one-0123456789'), clients, now).iss).toBe('paas-v3');
  });

  it('rejects other algorithms (alg=none) and malformed tokens', () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'paas-v3', expires_at: now + 60 })).toString('base64url')}.x`;
    expect(fail(none)).toBe('algorithm');
    expect(fail('abc')).toBe('malformed');
    expect(fail('a.b.')).toBe('malformed');
    expect(fail('!!.??.x')).toBe('malformed');
    expect(fail(`${Buffer.from('[1]').toString('base64url')}.e30.x`)).toBe('malformed');
  });
});
