/** The send pipeline's view of certificates: attach the PDF (rendered from the record if need be), then record that it was sent. */
import type { Clock } from '../core/ports.js';
import type { OutboundMessage } from '../core/messages.js';
import type { DocumentDelivery } from '../scheduler/delivery.js';
import type { DocumentJob } from '../scheduler/jobs.js';
import type { MongoCertificateStore } from '../storage/certificates.js';
import type { CertificateFiles } from './files.js';

export class CertificateDelivery implements DocumentDelivery {
  constructor(
    private readonly files: CertificateFiles,
    private readonly store: Pick<MongoCertificateStore, 'markSent'>,
    private readonly clock: Clock,
  ) {}

  async attach(message: OutboundMessage): Promise<OutboundMessage> {
    if (!message.document) return message;
    return { ...message, document: { ...message.document, file: await this.files.attach(message.document) } };
  }

  async sent(job: DocumentJob): Promise<void> {
    const code = job.message.document?.certificate;
    if (code) await this.store.markSent(code, this.clock.now());
  }
}
