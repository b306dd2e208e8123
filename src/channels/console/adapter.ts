/**
 * The local terminal chat: one conversation (`console:1`), lines from standard input in,
 * replies (sent through the same queue as every channel) to standard output. Works the same
 * when input is piped, so a session can be scripted.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { OutboundMessage } from '../../core/messages.js';
import { renderPlain } from '../shared/render.js';
import type { ChannelAdapter, Ingress } from '../types.js';

export interface ConsoleOptions {
  input: Readable;
  output: Writable;
  /** Called when the input ends (Ctrl-D or the end of a pipe). */
  onEnd?: () => void;
  /** Distinguishes update ids across runs, so a new session is never taken for a redelivery. */
  sessionId: string;
  languageCode?: string;
}

export class ConsoleAdapter implements ChannelAdapter {
  readonly name = 'console' as const;
  private rl?: Interface;
  private line = 0;
  private readonly interactive: boolean;

  constructor(private readonly opts: ConsoleOptions) {
    this.interactive = Boolean((opts.input as { isTTY?: boolean }).isTTY);
  }

  async start(ingress: Ingress): Promise<void> {
    this.rl = createInterface({ input: this.opts.input, terminal: false });
    this.rl.on('line', (text) => {
      this.line += 1;
      void ingress({
        conversation: 'console:1',
        channel: 'console',
        updateId: `${this.opts.sessionId}-${this.line}`,
        kind: 'text',
        text,
        sender: { languageCode: this.opts.languageCode },
        at: new Date(),
      }).catch((err: Error) => this.opts.output.write(`! ${err.message}\n`));
    });
    this.rl.on('close', () => this.opts.onEnd?.());
  }

  async send(_address: string, messages: OutboundMessage[]): Promise<void> {
    for (const m of messages) {
      const image = m.image ? `\n[image: ${m.image}]` : '';
      const file = m.document?.file ? `\n[document: ${m.document.file.path}]` : '';
      this.opts.output.write(`\n🤖 ${renderPlain(m).replace(/\n/g, '\n   ')}${image}${file}\n`);
    }
    if (this.interactive) this.opts.output.write('\n> ');
  }

  async stop(): Promise<void> {
    this.rl?.close();
  }
}
