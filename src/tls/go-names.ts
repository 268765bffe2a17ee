/**
 * Go crypto/tls names, as upstream's --tls-min-version and --tls-cipher-suites take them, mapped to the
 * names node:tls (OpenSSL) uses. Unknown names are rejected with upstream's message; Go names whose suite this
 * Node's OpenSSL does not build (RC4, 3DES) are rejected too, naming the reason.
 */
import { getCiphers } from 'node:tls';

export type NodeTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export const GO_TLS_VERSIONS: Readonly<Record<string, NodeTlsVersion>> = {
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
};

/** tls.CipherSuites() and tls.InsecureCipherSuites() of Go, TLS 1.0-1.2 (Go name -> OpenSSL name). */
const GO_CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** Go lists these too, but TLS 1.3 suites are not configurable there: accepted and ignored, as upstream. */
const GO_TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);

/** TLS 1.3 stays on its defaults whatever the list says (Go's rule); OpenSSL needs them named in the string. */
const TLS13_DEFAULT = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

export class TlsNameError extends Error {
  override name = 'TlsNameError';
}

export function nodeTlsVersion(goName: string): NodeTlsVersion {
  const v = GO_TLS_VERSIONS[goName];
  if (v === undefined) throw new TlsNameError(`unknown TLS version "${goName}"; supported values: ${Object.keys(GO_TLS_VERSIONS).join(', ')}`);
  return v;
}

/**
 * The `ciphers` string for node:tls from Go suite names: the TLS 1.2 suites in the given order, then the TLS
 * 1.3 defaults. Empty names are skipped (as upstream); undefined when no TLS 1.2 suite is named.
 */
export function nodeCipherList(goNames: readonly string[]): string | undefined {
  const available = new Set(getCiphers());
  const out: string[] = [];
  for (const raw of goNames) {
    const name = raw.trim();
    if (name === '' || GO_TLS13_SUITES.has(name)) continue;
    const openssl = GO_CIPHER_SUITES[name];
    if (openssl === undefined) throw new TlsNameError(`unknown cipher suite "${name}"`);
    if (!available.has(openssl.toLowerCase())) throw new TlsNameError(`cipher suite "${name}" (${openssl}) is not available in this Node.js OpenSSL build`);
    out.push(openssl);
  }
  return out.length === 0 ? undefined : `${out.join(':')}:${TLS13_DEFAULT}`;
}
