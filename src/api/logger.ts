import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * JSON logs with request ids. Credentials are redacted; bodies are never logged, so field
 * values cannot reach the log through a request or an error.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rempart' },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.token', '*.password', '*.secret', '*.client_assertion', '*.client_secret', '*.access_token'], censor: '[secret]' },
    },
    destination,
  );
}
