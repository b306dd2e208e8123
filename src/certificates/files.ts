/**
 * A certificate's files, rendered on demand from its stored record and kept in a small disk cache
 * (CERTIFICATE_DIR), so the web role (GET /certificates/…) and the send workers serve the same
 * bytes without sharing anything but the database. A code's record never changes what is printed
 * (a correction is a reissue with a new code), so a cached file never goes stale.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { normaliseCode, type Certificate, type CertificateStore } from '../core/certificates.js';
import type { DocumentAttachment, DocumentFile } from '../core/messages.js';
import { certificateLayout } from './layout.js';
import { measure, renderPdf, renderPng } from './render.js';

export type CertificateFormat = 'pdf' | 'png';

export interface CertificateFilesOptions {
  /** The cache folder. */
  dir: string;
  /** PUBLIC_BASE_URL: links and the QR code point there. */
  publicBaseUrl: string;
  /** CERTIFICATE_PLACE, printed before the date. */
  place: string;
  timezone: string;
  /** The renderers (tests replace them to fail on purpose). */
  render?: { pdf: typeof renderPdf; png: typeof renderPng };
}

export class CertificateFiles {
  private readonly dir: string;
  private readonly base: string;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly store: Pick<CertificateStore, 'findByCode'>,
    private readonly o: CertificateFilesOptions,
  ) {
    this.dir = resolve(o.dir);
    this.base = o.publicBaseUrl.replace(/\/+$/, '');
  }

  verifyUrl(code: string): string {
    return `${this.base}/verify/${code}`;
  }

  fileUrl(code: string, format: CertificateFormat): string {
    return `${this.base}/certificates/${code}.${format}`;
  }

  /** The certificate and its file on disk (rendered now if not cached), or null for an unknown code. */
  async file(input: string, format: CertificateFormat): Promise<{ certificate: Certificate; path: string } | null> {
    const code = normaliseCode(input);
    const certificate = code ? await this.store.findByCode(code) : null;
    if (!certificate) return null;
    return { certificate, path: await this.ensure(certificate, format) };
  }

  /** What a send job attaches to the core's document message. */
  async attach(doc: DocumentAttachment): Promise<DocumentFile> {
    const found = await this.file(doc.certificate, 'pdf');
    if (!found) throw new Error(`certificate ${doc.certificate} is not in the database`);
    const { certificate: c, path } = found;
    return { path, name: `chung-nhan-${c.serial.replace(/[^\p{L}\p{N}-]+/gu, '-')}.pdf`, url: this.fileUrl(c.code, 'pdf'), imageUrl: this.fileUrl(c.code, 'png') };
  }

  private ensure(c: Certificate, format: CertificateFormat): Promise<string> {
    const path = join(this.dir, `${c.code}.${format}`);
    const running = this.inFlight.get(path);
    if (running) return running;
    const work = this.renderTo(c, format, path).finally(() => this.inFlight.delete(path));
    this.inFlight.set(path, work);
    return work;
  }

  private async renderTo(c: Certificate, format: CertificateFormat, path: string): Promise<string> {
    if (await exists(path)) return path;
    const bytes = await this.render(c, format);
    await mkdir(this.dir, { recursive: true });
    // Written aside and renamed: a reader (another process) sees the whole file or none.
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return path;
  }

  /** The file's bytes, rendered from the record (no cache). */
  async render(c: Certificate, format: CertificateFormat): Promise<Buffer> {
    const shapes = certificateLayout(c, { place: this.o.place, timezone: this.o.timezone, verifyUrl: this.verifyUrl(c.code) }, measure);
    const r = this.o.render ?? { pdf: renderPdf, png: renderPng };
    if (format === 'png') return r.png(shapes);
    return r.pdf(shapes, { title: `Chứng nhận ${c.serial}`, subject: `${c.holder.fullName} — ${c.courseTitle}` });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}
