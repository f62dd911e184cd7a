/**
 * The seeded users of the reference API and their password checks.
 *
 * Test credentials (public, documented, not secrets):
 * - `user1@example.test` … `user{N}@example.test` (N = profile.users.count, 200 by default),
 *   all with the password REFERENCE_PASSWORD (lib/shared/reference-api.ts);
 * - `2fa@example.test`: same password, two-factor enabled (methods totp and email);
 * - `locked@example.test`: same password, always locked (423 with Retry-After).
 */
import { pbkdf2, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { REFERENCE_PASSWORD } from '../lib/shared/reference-api.ts';
import type { Profile } from './profiles.ts';

export const SPECIAL_USERS = { twoFactor: '2fa@example.test', locked: 'locked@example.test' } as const;

export function seededEmail(i: number): string {
  return `user${i}@example.test`;
}

export interface UserProfile {
  displayName: string;
  bio: string;
  locale: string;
  timezone: string;
}

export interface User {
  id: string;
  email: string;
  /** PBKDF2-HMAC-SHA256 of the password with `salt`. */
  hash: Buffer;
  salt: Buffer;
  twoFactor: { enabled: boolean; methods: string[] };
  emailVerified: boolean;
  createdAt: string;
  profile: UserProfile;
  /** Failed logins in a row, and when the lock (if any) ends (epoch ms; Infinity = permanently). */
  failedLogins: number;
  lockedUntil: number;
}

const pbkdf2Async = promisify(pbkdf2);
const KEY_BYTES = 32;

export function hashPasswordSync(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(password, salt, iterations, KEY_BYTES, 'sha256');
}

export function hashPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(password, salt, iterations, KEY_BYTES, 'sha256');
}

/** Checks a password the way the profile says: on the event loop (`sync`) or on the thread pool. */
export async function verifyPassword(user: User | undefined, password: string, hashing: Profile['hashing']): Promise<boolean> {
  // An unknown email costs the same hash as a known one: no timing oracle for account discovery.
  const salt = user?.salt ?? DUMMY_SALT;
  const got =
    hashing.mode === 'sync' ? hashPasswordSync(password, salt, hashing.iterations) : await hashPassword(password, salt, hashing.iterations);
  return user !== undefined && timingSafeEqual(got, user.hash);
}

const DUMMY_SALT = Buffer.from('loadgate-unknown-user');

/**
 * Seeds the user store. Every seeded account shares one salt so that start-up hashes the
 * password once, not N times (N × 40 ms would make port-0 test servers slow to start); each
 * login still pays the full per-check cost, which is what the profiles model.
 */
export async function seedUsers(profile: Profile): Promise<Map<string, User>> {
  const salt = Buffer.from(`loadgate-seed-salt-${profile.hashing.iterations}`);
  const hash = await hashPassword(REFERENCE_PASSWORD, salt, profile.hashing.iterations);
  const createdAt = '2024-01-01T00:00:00.000Z';
  const users = new Map<string, User>();
  const add = (id: string, email: string, name: string, extra: Partial<User> = {}) => {
    users.set(email, {
      id,
      email,
      hash,
      salt,
      twoFactor: { enabled: false, methods: [] },
      emailVerified: false,
      createdAt,
      profile: { displayName: name, bio: '', locale: 'en-US', timezone: 'UTC' },
      failedLogins: 0,
      lockedUntil: 0,
      ...extra,
    });
  };
  for (let i = 1; i <= profile.users.count; i++) add(`u${i}`, seededEmail(i), `User ${i}`);
  add('u-2fa', SPECIAL_USERS.twoFactor, 'Two Factor', { twoFactor: { enabled: true, methods: ['totp', 'email'] }, emailVerified: true });
  add('u-locked', SPECIAL_USERS.locked, 'Locked Out', { lockedUntil: Number.POSITIVE_INFINITY });
  return users;
}
