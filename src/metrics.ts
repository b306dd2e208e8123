/** Prometheus counters and histograms shared by web and worker roles. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
  readonly answerLatency = new Histogram({
    name: 'cds_answer_latency_seconds',
    help: 'Time from dequeuing an update to queuing its reply',
    labelNames: ['channel'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });

  constructor(withDefaults = false) {
    if (withDefaults) collectDefaultMetrics({ register: this.registry });
  }
}
