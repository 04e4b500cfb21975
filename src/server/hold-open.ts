/**
 * A release or table build answers when it is done, which at national scale takes minutes with
 * no byte on the socket; an upload, once its body is all in, still has its last batches, hashes
 * and commit to do (more than a second of silence on a loaded machine). The idle timeout (`requestTimeoutMs`, there for stalled or slow clients)
 * would cut such a request while the work goes on: the client saw "socket hang
 * up" for a release that was then made anyway. The request is authenticated and its work bounded,
 * so its socket waits for the answer; the idle timeout applies again once it is sent.
 */
import type { FastifyRequest } from 'fastify';

export function holdOpenUntilAnswered(request: FastifyRequest): void {
  const socket = request.raw.socket as { setTimeout?: (ms: number) => unknown } | null;
  socket?.setTimeout?.(0);
}
