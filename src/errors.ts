/**
 * The one error type a request handler throws on purpose. `status` becomes both the HTTP status
 * and the `status` of the JSON body (`{"status": 400, "message": "…"}`, the seeds' shape), and
 * the message names the field at fault. Anything else thrown is a bug and answers 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string): AppError => new AppError(400, message);
export const unauthorized = (message: string): AppError => new AppError(401, message);
export const forbidden = (message: string): AppError => new AppError(403, message);
export const notFound = (message: string): AppError => new AppError(404, message);
export const unavailable = (message: string): AppError => new AppError(503, message, { 'retry-after': '5' });
