/**
 * Sessions and tokens. Access tokens are real HS256 JWTs (jose) that carry the session id;
 * refresh tokens are opaque random strings that rotate on every use. Logout deletes the
 * session, which revokes every access token of it at once: verification checks the session
 * on every request, even when the signature check itself is served from the short cache.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Profile } from './profiles.ts';

const ISSUER = 'loadgate-reference-api';
/** Past this many cached verifications the cache is dropped and refilled: a bound, not an LRU. */
const VERIFY_CACHE_MAX = 50_000;

export interface Claims {
  userId: string;
  sessionId: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

interface Session {
  userId: string;
  refreshToken: string;
  refreshExpiresAt: number;
}

export type VerifyResult = { ok: true; claims: Claims } | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'revoked' };

export class TokenService {
  private readonly key = createSecretKey(randomBytes(32));
  private readonly sessions = new Map<string, Session>();
  private readonly refreshIndex = new Map<string, string>();
  private readonly verified = new Map<string, { claims: Claims; expMs: number; until: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly cfg: Profile['tokens'] & { verifyTtlMs: number }) {
    this.timer = setInterval(() => this.prune(), 60_000).unref();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async issue(userId: string): Promise<TokenPair> {
    const sessionId = randomBytes(12).toString('base64url');
    const refreshToken = randomBytes(32).toString('base64url');
    this.sessions.set(sessionId, { userId, refreshToken, refreshExpiresAt: Date.now() + this.cfg.refreshTtlS * 1000 });
    this.refreshIndex.set(refreshToken, sessionId);
    return { accessToken: await this.sign(userId, sessionId), refreshToken, expiresIn: this.cfg.accessTtlS, tokenType: 'Bearer' };
  }

  /** Rotation: the old refresh token stops working the moment a new pair is issued. */
  async refresh(refreshToken: string): Promise<TokenPair | null> {
    const sessionId = this.refreshIndex.get(refreshToken);
    if (sessionId === undefined) return null;
    this.refreshIndex.delete(refreshToken);
    const session = this.sessions.get(sessionId);
    if (!session || session.refreshToken !== refreshToken || session.refreshExpiresAt <= Date.now()) return null;
    session.refreshToken = randomBytes(32).toString('base64url');
    session.refreshExpiresAt = Date.now() + this.cfg.refreshTtlS * 1000;
    this.refreshIndex.set(session.refreshToken, sessionId);
    return {
      accessToken: await this.sign(session.userId, sessionId),
      refreshToken: session.refreshToken,
      expiresIn: this.cfg.accessTtlS,
      tokenType: 'Bearer',
    };
  }

  /** Revokes the session: its access tokens and its refresh token. */
  revoke(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.refreshIndex.delete(s.refreshToken);
    this.sessions.delete(sessionId);
  }

  async verify(authorization: string | undefined): Promise<VerifyResult> {
    if (!authorization?.startsWith('Bearer ')) return { ok: false, reason: 'missing' };
    const token = authorization.slice(7).trim();
    if (!token) return { ok: false, reason: 'missing' };
    const now = Date.now();
    const hit = this.verified.get(token);
    let claims: Claims;
    if (hit && hit.until > now) {
      if (hit.expMs <= now) return { ok: false, reason: 'expired' };
      claims = hit.claims;
    } else {
      try {
        const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || typeof payload['sid'] !== 'string' || typeof payload.exp !== 'number') {
          return { ok: false, reason: 'invalid' };
        }
        claims = { userId: payload.sub, sessionId: payload['sid'] };
        if (this.cfg.verifyTtlMs > 0) {
          if (this.verified.size >= VERIFY_CACHE_MAX) this.verified.clear();
          this.verified.set(token, { claims, expMs: payload.exp * 1000, until: now + this.cfg.verifyTtlMs });
        }
      } catch (err) {
        return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
      }
    }
    return this.sessions.has(claims.sessionId) ? { ok: true, claims } : { ok: false, reason: 'revoked' };
  }

  private sign(userId: string, sessionId: string): Promise<string> {
    return new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(userId)
      .setJti(randomBytes(9).toString('base64url'))
      .setIssuedAt()
      .setExpirationTime(`${this.cfg.accessTtlS}s`)
      .sign(this.key);
  }

  private prune(): void {
    const now = Date.now();
    for (const [sid, s] of this.sessions) {
      if (s.refreshExpiresAt <= now) {
        this.sessions.delete(sid);
        this.refreshIndex.delete(s.refreshToken);
      }
    }
    for (const [t, v] of this.verified) if (v.until <= now) this.verified.delete(t);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
