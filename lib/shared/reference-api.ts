/**
 * The reference API's public test credential (reference-api/users.ts seeds every account with it; see
 * reference-api/README.md). It lives here, not in reference-api/, so that the harness never imports the
 * reference API: `loadgate run` falls back to it only when the pre-flight answer came from the
 * reference API (lib/run/run.ts). Not a secret.
 */
export const REFERENCE_PASSWORD = 'loadgate-demo-password';
