/**
 * `GET /content/<path>`: the images lessons name, served from the content folder, so that
 * channels that take photos only by URL (Zalo) can send them. Nothing but images is served.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const IMAGE = /\.(png|jpe?g|gif|webp)$/i;

export async function registerContentMedia(server: FastifyInstance, contentDir: string): Promise<void> {
  await server.register(fastifyStatic, {
    root: contentDir,
    prefix: '/content/',
    index: false,
    list: false,
    dotfiles: 'deny',
    allowedPath: (pathName) => IMAGE.test(pathName),
    maxAge: '1d',
  });
}
