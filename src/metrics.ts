/** Prometheus counters and histograms shared by web and worker roles. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counts of jobs by queue and state, read when /metrics is scraped. */
export type QueueDepths = () => Promise<{ queue: string; state: string; count: number }[]>;

export class Metrics {
  readonly registry = new Registry();
  readonly updatesHandled = new Counter({ name: 'cds_updates_handled_total', help: 'Inbound updates handled', labelNames: ['channel'], registers: [this.registry] });
  readonly messagesSent = new Counter({ name: 'cds_messages_sent_total', help: 'Messages sent', labelNames: ['channel'], registers: [this.registry] });
  readonly messagesFailed = new Counter({ name: 'cds_messages_failed_total', help: 'Send failures by kind', labelNames: ['channel', 'kind'], registers: [this.registry] });
  readonly messagesHeld = new Counter({
    name: 'cds_messages_held_total',
    help: 'Unprompted messages held for the learner\'s next reply (over budget or refused by the platform)',
    labelNames: ['channel', 'reason'],
    registers: [this.registry],
  });
  readonly messagesRerouted = new Counter({
    name: 'cds_messages_rerouted_total',
    help: 'Unprompted messages sent on the learner\'s other linked channel instead',
    labelNames: ['from', 'to'],
    registers: [this.registry],
  });
  readonly messagesThrottled = new Counter({
    name: 'cds_messages_throttled_total',
    help: 'Sends refused with 429 (the channel queue paused), and jobs delayed by per-chat pacing',
    labelNames: ['channel', 'by'],
    registers: [this.registry],
  });
  readonly messagesDropped = new Counter({
    name: 'cds_messages_dropped_total',
    help: 'Queued messages not sent: recipient unreachable, already sent, or a push no longer due',
    labelNames: ['channel', 'reason'],
    registers: [this.registry],
  });
  readonly pushesPlanned = new Counter({ name: 'cds_pushes_planned_total', help: 'Scheduled pushes queued by the sweeps', labelNames: ['kind'], registers: [this.registry] });
  readonly answerLatency = new Histogram({
    name: 'cds_answer_latency_seconds',
    help: 'Time from dequeuing an update to queuing its reply',
    labelNames: ['channel'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  private depths?: QueueDepths;
  readonly queueDepth = new Gauge({
    name: 'cds_queue_depth',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
    collect: async () => {
      if (!this.depths) return;
      this.queueDepth.reset();
      for (const d of await this.depths()) this.queueDepth.set({ queue: d.queue, state: d.state }, d.count);
    },
  });

  constructor(withDefaults = false) {
    if (withDefaults) collectDefaultMetrics({ register: this.registry });
  }

  /** Where queue depths are read from at scrape time. */
  trackQueues(depths: QueueDepths): void {
    this.depths = depths;
  }
}
