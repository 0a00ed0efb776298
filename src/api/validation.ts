import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { schemaIssues, ValidationError } from '../domain/index.ts';

const PARTS: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/**
 * Route schemas are validated by the same engine and messages as the domain, so a bad field
 * is named the same way whether it came through the API or the command line.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const prefix = PARTS[httpPart ?? 'body'] ?? String(httpPart);
  return (data: unknown) => {
    const issues = schemaIssues(schema, data, prefix);
    return issues.length === 0 ? { value: data } : { error: new ValidationError(issues) };
  };
};
