import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DashboardDeps } from './context.js';
import type { Sessions } from './session.js';

export async function registerQueues(_app: FastifyInstance, _o: { deps: DashboardDeps; sessions: Sessions; sidOf: (req: FastifyRequest) => string | undefined }): Promise<void> {}
