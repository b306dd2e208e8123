import type { FastifyInstance } from 'fastify';
import type { DashboardDeps } from '../context.js';
import type { Page } from '../index.js';

export async function broadcastRoutes(_app: FastifyInstance, _o: { deps: DashboardDeps; page: Page }): Promise<void> {}
