/**
 * The reference API's public test credential (target/users.ts seeds every account with it; see
 * target/README.md). It lives here, not in target/, so that the harness never imports the
 * reference API: `loadgate run` falls back to it only when the pre-flight answer came from the
 * reference API (lib/run/run.ts). Not a secret.
 */
export const REFERENCE_PASSWORD = 'loadgate-demo-password';
