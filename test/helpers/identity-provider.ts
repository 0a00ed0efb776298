import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { interactionPolicy, type Configuration } from 'oidc-provider';

/** Who the provider signs in at its next interaction, and at which eIDAS level (the ID token's acr). */
export interface NextLogin {
  subject: string;
  acr: 'eidas1' | 'eidas2' | 'eidas3';
}

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  next: NextLogin;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider) on 127.0.0.1, standing in for FranceConnect or
 * ProConnect: one confidential client with Rempart's redirect URI, PKCE required, and an
 * interaction that signs in `next.subject` at `next.acr` without a login page.
 */
export async function startTestIdentityProvider(options: {
  clientId: string;
  redirectUri: string;
}): Promise<TestIdentityProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-signing', alg: 'RS256', use: 'sig' };

  const policy = interactionPolicy.base();
  // Like a ProConnect identity provider that cannot reach the level asked for, this one answers
  // with whatever level the test chose instead of asking again: Rempart must check acr itself.
  policy.get('login')!.checks.remove('essential_acrs');
  policy.get('login')!.checks.remove('essential_acr');

  const state: TestIdentityProvider = {
    issuer,
    clientId: options.clientId,
    clientSecret,
    next: { subject: 'nobody', acr: 'eidas1' },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    claims: {
      openid: ['sub'],
      email: ['email'],
      given_name: ['given_name'],
      family_name: ['family_name'],
      usual_name: ['usual_name'],
    },
    features: { devInteractions: { enabled: false }, claimsParameter: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        acr: state.next.acr,
        email: `${sub}@idp.example`,
        given_name: 'Élodie',
        family_name: 'Marchand',
        usual_name: 'Marchand',
      }),
    }),
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  /** Login and consent answered at once, as a user clicking through would. */
  async function interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: state.next.subject, acr: state.next.acr } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new provider.Grant({
      accountId: details.session!.accountId,
      clientId: String(details.params.client_id),
    });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    void callback(req, res);
  });
  return state;
}
