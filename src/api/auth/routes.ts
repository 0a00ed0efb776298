import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';
import { requireSession } from '../session.ts';
import { loginRoutes } from './login.ts';
import { passwordRoutes } from './password.ts';
import { secondFactorRoutes } from './second-factor.ts';
import { sessionRoutes } from './sessions.ts';
import { totpRoutes } from './totp.ts';

/**
 * Signing in (`/login`, open to anyone), then, with a session: the second factor, the
 * authenticator apps, the sessions, changing the password and signing out. Passkeys, recovery, channels and OpenID
 * Connect have routes of their own, registered beside these (src/api/server.ts).
 */
export function authRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(loginRoutes(runtime));
    await app.register(async (scope) => {
      scope.addHook('onRequest', requireSession(runtime.database.db));
      await scope.register(sessionRoutes(runtime));
      await scope.register(totpRoutes(runtime));
      await scope.register(secondFactorRoutes(runtime));
      await scope.register(passwordRoutes(runtime));
    });
  };
}
