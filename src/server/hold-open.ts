/**
 * A release or table build answers when it is done, which at national scale takes minutes with
 * no byte on the socket. The idle timeout (`requestTimeoutMs`, there for stalled or slow clients)
 * would cut such a request after two minutes while the build goes on: the client saw "socket hang
 * up" for a release that was then made anyway. The request is authenticated and its work bounded,
 * so its socket waits for the answer; the idle timeout applies again once it is sent.
 */
import type { FastifyRequest } from 'fastify';

export function holdOpenUntilAnswered(request: FastifyRequest): void {
  const socket = request.raw.socket as { setTimeout?: (ms: number) => unknown } | null;
  socket?.setTimeout?.(0);
}
