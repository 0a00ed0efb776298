import type { FastifyReply } from 'fastify';
import { SESSION_COOKIE, type IssuedSession } from '../../identity/index.ts';

/** The session cookie, living as long as the session's absolute limit. */
export function setSessionCookie(reply: FastifyReply, issued: IssuedSession): void {
  const maxAge = Math.max(1, Math.floor((Date.parse(issued.expiresAt) - Date.now()) / 1000));
  void reply.setCookie(SESSION_COOKIE, issued.token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge,
  });
}
