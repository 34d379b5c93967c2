import type { Request, Response } from 'express';

export const sessionCookieName = 'onset_session';

/** The session id from the Cookie header, without a cookie-parsing dependency. */
export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== sessionCookieName) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
  }
  return undefined;
}

/** `Secure` whenever the browser reached us over https (directly or through a trusted proxy). */
export function setSessionCookie(req: Request, res: Response, id: string, maxAgeMs: number): void {
  res.cookie(sessionCookieName, id, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: '/',
    maxAge: maxAgeMs,
  });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(sessionCookieName, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
}
