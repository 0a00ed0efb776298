import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  announceFactorChange,
  beginPasskeyAuthentication,
  beginPasskeyRegistration,
  blockedUntil,
  clearFailures,
  finishPasskeyAuthentication,
  finishPasskeyRegistration,
  hasRecentSecondFactor,
  mayAddPasskey,
  proveEnrolment,
  recordFailure,
  relyingPartyFor,
  revokePasskey,
  secondFactorScope,
  spendEnrolmentProof,
  upgradeSession,
  type AttestationRefusal,
  type CeremonyCaller,
  type PasskeyFailure,
  type PasskeyRegistration,
} from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { ErrorSchema, errorsFor } from '../schemas.ts';
import { clientOf, requireSession } from '../session.ts';
import { setSessionCookie } from './cookie.ts';
import { ActivationCodeField, refuseEnrolment } from './refusals.ts';
import { messengerOf } from '../messenger.ts';
import { appendEvent } from '../../ledger/index.ts';

const TAGS = ['authentification'];

/** base64url text, as WebAuthn's JSON forms carry every binary value. */
const Base64Url = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });
/** A credential id is at most 1023 bytes. */
const CredentialId = Base64Url(1366);
const Transport = Type.String({ maxLength: 32, pattern: '^[a-z-]+$' });
// Browsers add members to these objects over time: unknown members are let through and ignored.
const ClientExtensionResults = Type.Object(
  {},
  { additionalProperties: true, description: 'Résultats des extensions côté navigateur (ignorés)' },
);
const Attachment = Type.Optional(Type.Enum(['platform', 'cross-platform']));

const RegistrationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object({
      clientDataJSON: Base64Url(8192),
      attestationObject: Base64Url(65536),
      authenticatorData: Type.Optional(Base64Url(65536)),
      transports: Type.Optional(Type.Array(Transport, { maxItems: 16 })),
      publicKeyAlgorithm: Type.Optional(Type.Integer()),
      publicKey: Type.Optional(Base64Url(8192)),
    }),
    authenticatorAttachment: Attachment,
    clientExtensionResults: ClientExtensionResults,
  },
  { description: 'RegistrationResponseJSON : le résultat de credential.toJSON() après navigator.credentials.create()' },
);

const AuthenticationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object({
      clientDataJSON: Base64Url(8192),
      authenticatorData: Base64Url(65536),
      signature: Base64Url(8192),
      userHandle: Type.Optional(Type.Union([Base64Url(128), Type.Null()])),
    }),
    authenticatorAttachment: Attachment,
    clientExtensionResults: ClientExtensionResults,
  },
  { description: 'AuthenticationResponseJSON : le résultat de credential.toJSON() après navigator.credentials.get()' },
);

const CredentialDescriptor = Type.Object({
  id: Type.String(),
  type: Type.String(),
  transports: Type.Optional(Type.Array(Type.String())),
});

// What the library returns, declared so the documentation shows it and the serializer keeps it;
// members the library types as optional are optional here too.
const CreationOptions = Type.Object(
  {
    challenge: Type.String(),
    rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
    pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() })),
    timeout: Type.Optional(Type.Integer()),
    attestation: Type.Optional(Type.String()),
    excludeCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    authenticatorSelection: Type.Optional(
      Type.Object({
        residentKey: Type.Optional(Type.String()),
        requireResidentKey: Type.Optional(Type.Boolean()),
        userVerification: Type.Optional(Type.String()),
        authenticatorAttachment: Type.Optional(Type.String()),
      }),
    ),
    extensions: Type.Optional(Type.Object({ credProps: Type.Optional(Type.Boolean()) })),
    hints: Type.Optional(Type.Array(Type.String())),
  },
  { description: 'PublicKeyCredentialCreationOptionsJSON, pour PublicKeyCredential.parseCreationOptionsFromJSON()' },
);

const RequestOptions = Type.Object(
  {
    challenge: Type.String(),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    timeout: Type.Optional(Type.Integer()),
    userVerification: Type.Optional(Type.String()),
  },
  { description: 'PublicKeyCredentialRequestOptionsJSON, pour PublicKeyCredential.parseRequestOptionsFromJSON()' },
);

/** Where each refusal points, for the `issues` of a 400 (never the value sent). */
const FAILURE_ISSUES: Record<PasskeyFailure, { field: string; rule: string; message: string }> = {
  challenge: {
    field: 'body.response.response.clientDataJSON',
    rule: 'challenge',
    message: 'défi absent, expiré ou déjà utilisé : redemandez des options',
  },
  unknown_credential: { field: 'body.response.id', rule: 'credential', message: 'clé d’accès inconnue pour ce compte' },
  verification: {
    field: 'body.response',
    rule: 'webauthn',
    message: 'réponse de l’authentificateur invalide (origine, signature ou vérification de l’utilisateur)',
  },
  counter: {
    field: 'body.response.response.authenticatorData',
    rule: 'counter',
    message: 'compteur de signatures non croissant : clé d’accès peut-être clonée',
  },
  duplicate: { field: 'body.response.id', rule: 'unique', message: 'cette clé d’accès est déjà enregistrée' },
  concurrent: {
    field: 'body.response',
    rule: 'concurrent',
    message: 'clé d’accès utilisée au même instant par une autre requête',
  },
  attestation: {
    field: 'body.response.response.attestationObject',
    rule: 'attestation',
    message: 'modèle d’authentificateur non prouvé',
  },
};

function refused(reply: FastifyReply, reason: PasskeyFailure, requestId: string) {
  return reply
    .status(400)
    .send({ error: 'passkey_refused', message: 'Clé d’accès refusée.', issues: [FAILURE_ISSUES[reason]], requestId });
}

/** Why a passkey-only organisation refused the authenticator, said to the agent (the rule names the reason). */
const ATTESTATION_ISSUES: Record<AttestationRefusal, (aaguid: string) => string> = {
  no_authenticator_allowed: () =>
    'aucun modèle de clé de sécurité n’est encore autorisé pour les organisations qui n’acceptent que les clés d’accès : contactez le support de Rempart',
  attestation_none: () =>
    'la clé n’a fourni aucune attestation de son fabricant (clé logicielle, gestionnaire de mots de passe, ou attestation refusée dans le navigateur) : utilisez une clé de sécurité d’un modèle autorisé et acceptez de partager son modèle',
  authenticator_not_allowed: (aaguid) =>
    `modèle de clé (AAGUID ${aaguid}) absent de la liste des modèles autorisés pour votre organisation`,
  attestation_self: () =>
    'la clé s’atteste elle-même, sans certificat de son fabricant : son modèle ne peut pas être prouvé',
  attestation_untrusted: () =>
    'le certificat d’attestation de la clé ne remonte pas à une autorité du fabricant déclarée pour ce modèle',
};

/** The answer to a refused registration: which rule, and for the attestation which reason. */
function registrationRefused(
  reply: FastifyReply,
  outcome: Extract<PasskeyRegistration, { ok: false }>,
  requestId: string,
) {
  if (outcome.reason !== 'attestation') return refused(reply, outcome.reason, requestId);
  return reply.status(400).send({
    error: 'passkey_refused',
    message:
      'Clé d’accès refusée : votre organisation n’accepte que les clés de sécurité d’un modèle autorisé, prouvé par l’attestation de leur fabricant.',
    issues: [
      {
        field: 'body.response.response.attestationObject',
        rule: outcome.refusal,
        message: ATTESTATION_ISSUES[outcome.refusal](outcome.aaguid),
      },
    ],
    requestId,
  });
}

function tooManyFailures(reply: FastifyReply, until: Date, requestId: string) {
  return reply
    .status(429)
    .header('retry-after', String(Math.ceil((until.getTime() - Date.now()) / 1000)))
    .send({ error: 'too_many_attempts', message: 'Trop d’échecs du second facteur : réessayez plus tard.', requestId });
}

function callerOf(request: FastifyRequest): CeremonyCaller {
  return { accountId: request.account!.id, sessionId: request.session!.public_id, address: request.ip };
}

/** Passkey registration and sign-in (WebAuthn) as second factor; revocation. */
export function passkeyRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  // Read per request: the public URL is configuration, and tests run servers on chosen ports.
  const relyingParty = () => relyingPartyFor(runtime.config.publicUrl);

  /**
   * Adding a passkey next to an existing factor, or removing one, needs a second factor passed
   * in the last five minutes: a session lifted from a browser could otherwise plant the thief's
   * passkey or strip the owner's. True when it was not, and the 403 is sent. (A boolean, not the
   * reply: a reply is thenable, and an async function returning it resolves to undefined.)
   */
  async function refusedWithoutStepUp(
    request: FastifyRequest,
    reply: FastifyReply,
    operation: 'passkey_registration' | 'passkey_revocation',
  ): Promise<boolean> {
    const secondFactorAt = request.session!.second_factor_at;
    const allowed =
      operation === 'passkey_registration'
        ? await mayAddPasskey(db, request.account!.id, secondFactorAt)
        : hasRecentSecondFactor(secondFactorAt);
    if (allowed) return false;
    await appendEvent(db, 'step_up_required', {
      accountId: request.account!.id,
      address: request.ip,
      details: { operation },
    });
    const what = operation === 'passkey_registration' ? 'ajouter' : 'retirer';
    void reply.status(403).send({
      error: 'step_up_required',
      message: `Validez d’abord votre second facteur (il y a moins de cinq minutes) pour ${what} une clé d’accès.`,
      requestId: request.id,
    });
    return true;
  }

  return async (app) => {
    const authenticated = app.withTypeProvider<TypeBoxTypeProvider>();
    authenticated.addHook('onRequest', requireSession(db));

    authenticated.post(
      '/registration/options',
      {
        config: { beforeSecondFactor: 'first_enrolment' },
        schema: {
          tags: TAGS,
          summary:
            'Commencer l’enregistrement d’une clé d’accès (passkey) : options pour navigator.credentials.create()',
          response: { 200: CreationOptions, 401: ErrorSchema, 403: ErrorSchema },
        },
      },
      async (request, reply) => {
        if (await refusedWithoutStepUp(request, reply, 'passkey_registration')) return reply;
        return beginPasskeyRegistration(db, relyingParty(), callerOf(request), request.account!.login);
      },
    );

    authenticated.post(
      '/registration',
      {
        config: { beforeSecondFactor: 'first_enrolment' },
        schema: {
          tags: TAGS,
          summary:
            'Enregistrer la clé d’accès créée par le navigateur ; au premier second facteur, renvoie les codes de secours et change la session',
          body: Type.Object(
            {
              response: RegistrationResponse,
              label: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              activationCode: ActivationCodeField,
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              factorId: Type.String(),
              recoveryCodes: Type.Optional(Type.Array(Type.String())),
              csrfToken: Type.Optional(Type.String()),
            }),
            ...errorsFor(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        if (await refusedWithoutStepUp(request, reply, 'passkey_registration')) return reply;
        const account = request.account!;
        const proof = await proveEnrolment(db, account.id, request.body.activationCode);
        if (!proof.ok) return refuseEnrolment(db, request, reply, proof.reason);
        const outcome = await finishPasskeyRegistration(
          db,
          relyingParty(),
          callerOf(request),
          request.body.response as RegistrationResponseJSON,
          request.body.label,
          runtime.config.passkeyAuthenticators,
        );
        if (!outcome.ok) return registrationRefused(reply, outcome, request.id);
        await spendEnrolmentProof(db, proof);
        await announceFactorChange(messengerOf(runtime), account.id, 'added', 'passkey');
        if (!outcome.firstFactor) return { factorId: outcome.factorId };
        // The first factor just proved itself: the session gets a new id and its second-factor time.
        const issued = await upgradeSession(db, request.session!, account.kind, clientOf(request));
        setSessionCookie(reply, issued);
        return {
          factorId: outcome.factorId,
          ...(outcome.recoveryCodes ? { recoveryCodes: outcome.recoveryCodes } : {}),
          csrfToken: issued.csrfToken,
        };
      },
    );

    authenticated.post(
      '/authentication/options',
      {
        config: { beforeSecondFactor: 'always' },
        schema: {
          tags: TAGS,
          summary:
            'Commencer la validation du second facteur par clé d’accès : options pour navigator.credentials.get()',
          response: { 200: RequestOptions, 401: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema, 429: ErrorSchema },
        },
      },
      async (request, reply) => {
        const throttled = await blockedUntil(db, [secondFactorScope(request.account!.id)]);
        if (throttled) return tooManyFailures(reply, throttled, request.id);
        const options = await beginPasskeyAuthentication(db, relyingParty(), callerOf(request));
        if (!options)
          return reply.status(409).send({
            error: 'no_passkey',
            message: 'Aucune clé d’accès n’est enregistrée pour ce compte.',
            requestId: request.id,
          });
        return options;
      },
    );

    authenticated.post(
      '/authentication',
      {
        config: { beforeSecondFactor: 'always' },
        schema: {
          tags: TAGS,
          summary: 'Valider le second facteur avec la clé d’accès ; la session change d’identifiant',
          body: Type.Object({ response: AuthenticationResponse }, { additionalProperties: false }),
          response: {
            200: Type.Object({ method: Type.String(), csrfToken: Type.String() }),
            ...errorsFor(400, 401, 403, 429),
          },
        },
      },
      async (request, reply) => {
        const account = request.account!;
        const scope = secondFactorScope(account.id);
        const throttled = await blockedUntil(db, [scope]);
        if (throttled) return tooManyFailures(reply, throttled, request.id);
        const outcome = await finishPasskeyAuthentication(
          db,
          relyingParty(),
          callerOf(request),
          request.body.response as AuthenticationResponseJSON,
        );
        if (!outcome.ok) {
          // Same count as wrong codes: a stolen password buys five tries in all, whatever the factor.
          await recordFailure(db, scope);
          await appendEvent(db, 'second_factor_failed', {
            accountId: account.id,
            address: request.ip,
            details: { method: 'passkey', reason: outcome.reason },
          });
          return refused(reply, outcome.reason, request.id);
        }
        await clearFailures(db, scope);
        const issued = await upgradeSession(db, request.session!, account.kind, clientOf(request));
        await appendEvent(db, 'second_factor_succeeded', {
          accountId: account.id,
          address: request.ip,
          details: { method: 'passkey', factor: outcome.factorId, session: issued.publicId },
        });
        setSessionCookie(reply, issued);
        return { method: 'passkey', csrfToken: issued.csrfToken };
      },
    );

    authenticated.delete(
      '/:id',
      {
        schema: {
          tags: TAGS,
          summary:
            'Retirer une de mes clés d’accès (second facteur validé depuis moins de cinq minutes ; jamais le dernier second facteur d’un compte agent)',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: {
            204: Type.Null(),
            ...errorsFor(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        if (await refusedWithoutStepUp(request, reply, 'passkey_revocation')) return reply;
        const outcome = await revokePasskey(db, request.account!.id, request.params.id, request.ip);
        if (outcome === 'not_found')
          return reply
            .status(404)
            .send({ error: 'not_found', message: 'Clé d’accès inconnue.', requestId: request.id });
        if (outcome === 'last_factor') {
          return reply.status(409).send({
            error: 'last_factor',
            message:
              'C’est votre dernier second facteur utilisable : enregistrez-en un autre avant de retirer celui-ci.',
            requestId: request.id,
          });
        }
        await announceFactorChange(messengerOf(runtime), request.account!.id, 'removed', 'passkey');
        return reply.status(204).send(null);
      },
    );
  };
}
