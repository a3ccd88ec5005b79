/**
 * Server-sent events for live views: the owner's site stream and the courier's delivery
 * stream. The connection is taken over from Fastify, subscribed to live-hub topics, kept
 * alive with comments every 15 s, and ended when the client leaves or the relay closes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RelayContext } from '../context';

export function openSse(ctx: RelayContext, req: FastifyRequest, reply: FastifyReply, topics: string[], hello: Record<string, unknown>): void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const send = (event: string, data: unknown) => {
    if (!raw.writableEnded) raw.write('event: ' + event + '\ndata: ' + JSON.stringify(data) + '\n\n');
  };
  send('hello', hello);
  let done = false;
  const heartbeat = setInterval(() => {
    if (!raw.writableEnded) raw.write(': ping\n\n');
  }, 15_000);
  const cleanup = () => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    unsubscribe();
  };
  const unsubscribe = ctx.live.subscribe(topics, send, () => {
    cleanup();
    raw.end();
  });
  req.raw.on('close', cleanup);
}
