// metav1.Status bodies for errors, as kubectl expects them: it prints
// "Error from server (<reason>): <message>".

export interface ApiResponse {
  status: number;
  body: unknown;
  /** Default application/json. */
  contentType?: string;
}

export function statusResponse(code: number, reason: string, message: string, details?: object): ApiResponse {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code },
  };
}

export function notFound(message: string, details?: object): ApiResponse {
  return statusResponse(404, 'NotFound', message, details);
}

export function methodNotAllowed(method: string, path: string): ApiResponse {
  return statusResponse(405, 'MethodNotAllowed', `the sandbox API server is read-only: ${method} ${path} is not allowed`);
}

export function unauthorized(): ApiResponse {
  return statusResponse(401, 'Unauthorized', 'Unauthorized: a client certificate signed by --client-ca-file is required');
}

export function text(status: number, body: string): ApiResponse {
  return { status, body, contentType: 'text/plain; charset=utf-8' };
}
