/** Certificates as every role uses them: the store, and the files rendered from it (cached under CERTIFICATE_DIR). */
import { isAbsolute, resolve } from 'node:path';
import { CertificateFiles } from '../certificates/files.js';
import { MongoCertificateStore } from '../storage/certificates.js';
import type { Services } from './services.js';

export interface CertificateParts {
  store: MongoCertificateStore;
  files: CertificateFiles;
}

export function buildCertificates(s: Pick<Services, 'config' | 'db' | 'root'>): CertificateParts {
  const { config } = s;
  const store = new MongoCertificateStore(s.db.conn, { serialPrefix: config.CERTIFICATE_SERIAL_PREFIX, timezone: config.TIMEZONE });
  const dir = isAbsolute(config.CERTIFICATE_DIR) ? config.CERTIFICATE_DIR : resolve(s.root, config.CERTIFICATE_DIR);
  const files = new CertificateFiles(store, { dir, publicBaseUrl: config.PUBLIC_BASE_URL, place: config.CERTIFICATE_PLACE, timezone: config.TIMEZONE });
  return { store, files };
}
