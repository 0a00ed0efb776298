import pino, { type DestinationStream, type Logger } from 'pino';

/** A request as logged: no query string, which can carry one-time codes (OIDC callbacks, « ce n'est pas moi » links). */
function requestForLog(req: {
  method?: string;
  url?: string;
  host?: string;
  remoteAddress?: string;
  remotePort?: number;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: req.method,
    url: (req.url ?? '').split('?')[0],
    host: req.host ?? req.hostname,
    remoteAddress: req.remoteAddress ?? req.ip,
    remotePort: req.remotePort ?? req.socket?.remotePort,
  };
}

/**
 * JSON logs with request ids. Credentials are redacted; bodies and query strings are never
 * logged, so field values and one-time codes cannot reach the log through a request or an error.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rempart' },
      serializers: { req: requestForLog },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.token',
          '*.password',
          '*.secret',
          '*.client_assertion',
          '*.client_secret',
          '*.access_token',
        ],
        censor: '[secret]',
      },
    },
    destination,
  );
}
