import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DecryptionError, KeyringError } from '../crypto/index.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/index.ts';
import { LedgerUnavailableError } from '../ledger/index.ts';
import { isStoreUnavailable } from '../store/index.ts';
import { GuardUnavailableError } from '../guard/index.ts';

export interface ErrorBody {
  error: string;
  message: string;
  requestId: string;
  issues?: ReadonlyArray<{ field: string; rule: string; message: string }>;
}

/** A message written as a fragment (« au moins une classe… ») shown on its own: a capital and a full stop. */
function asSentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toLocaleUpperCase('fr') + trimmed.slice(1);
  return /[.!?…)]$/u.test(capital) ? capital : `${capital}.`;
}

/**
 * One place maps failures to answers. Messages are French and name fields, never values;
 * anything unexpected is a 500 whose details stay in the log (which holds no values either).
 */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const requestId = request.id;
  if (error instanceof ValidationError) {
    void reply.status(400).send({
      error: 'validation_failed',
      // One field: its sentence. Several: how many, each named in `issues`.
      message:
        error.issues.length > 1
          ? `Vérifiez le formulaire : ${error.issues.length} champs sont à corriger.`
          : asSentence(error.issues[0]?.message ?? 'données invalides'),
      issues: error.issues,
      requestId,
    });
    return;
  }
  if (error instanceof NotFoundError) {
    void reply.status(404).send({ error: 'not_found', message: error.message, requestId });
    return;
  }
  if (error instanceof ForbiddenError) {
    void reply.status(403).send({ error: error.code, message: error.message, requestId });
    return;
  }
  if (error instanceof ConflictError) {
    const status = error.code === 'person_erased' ? 410 : 409;
    void reply.status(status).send({ error: error.code, message: error.message, requestId });
    return;
  }
  if (error instanceof DecryptionError) {
    request.log.error(
      { personId: error.personId, fieldClass: error.fieldClass, reason: error.reason },
      'ciphertext failed authentication',
    );
    void reply.status(500).send({
      error: 'integrity_failure',
      message: 'Une donnée chiffrée n’a pas passé le contrôle d’intégrité ; elle n’est pas renvoyée.',
      requestId,
    });
    return;
  }
  if (error instanceof LedgerUnavailableError) {
    // Fail closed: no event, no data and no write (the write's transaction held the event and rolled back with it).
    request.log.error({ err: { message: error.message } }, 'ledger unavailable');
    void reply.status(503).send({
      error: 'ledger_unavailable',
      message:
        'Le journal des accès ne peut pas enregistrer cette opération : elle n’a pas eu lieu. Réessayez plus tard.',
      requestId,
    });
    return;
  }
  if (error instanceof GuardUnavailableError) {
    // Fail closed: a guard that cannot count lets nothing through.
    request.log.error({ err: { message: error.message } }, 'guard unavailable');
    void reply.status(503).send({
      error: 'guard_unavailable',
      message:
        'Le contrôle des volumes de consultation est indisponible : aucune donnée n’est communiquée. Réessayez plus tard.',
      requestId,
    });
    return;
  }
  if (error instanceof KeyringError) {
    request.log.error({ err: { message: error.message } }, 'keyring unusable');
    void reply
      .status(503)
      .send({ error: 'keyring_unavailable', message: 'Trousseau de clés indisponible.', requestId });
    return;
  }
  if (isStoreUnavailable(error)) {
    // A lock held elsewhere, a pool without a free connection, a server gone: fail closed, in bounded time.
    request.log.error({ err: { type: error.name, message: error.message } }, 'store unavailable');
    void reply.status(503).send({
      error: 'store_unavailable',
      message:
        'Le service est momentanément indisponible : rien n’a été lu ni modifié. Réessayez dans quelques instants.',
      requestId,
    });
    return;
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    // Fastify's own client errors (malformed JSON, body too large, wrong content type): no value echoed back.
    void reply.status(fastifyError.statusCode).send({
      error: fastifyError.code ?? 'bad_request',
      message: 'Requête invalide : ' + clientErrorMessage(fastifyError),
      requestId,
    });
    return;
  }
  request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, 'unhandled error');
  void reply.status(500).send({ error: 'internal_error', message: 'Erreur interne.', requestId });
}

function clientErrorMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'le corps de la requête n’est pas un JSON valide';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'le corps de la requête est trop volumineux';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'type de contenu non pris en charge (application/json attendu)';
    default:
      return error.code ?? 'requête mal formée';
  }
}
