/**
 * The admin listener's public surface: `startAdmin` (API, metrics, dashboard), the `Reloader` that
 * SIGHUP and `POST /api/v1/reload` share, and the admin config schema.
 */
export { startAdmin, adminDisabledReason, type AdminOptions, type AdminServer } from './server.js';
export { Reloader, formatReport, type ReloadReport, type ReloaderOptions, type ReloadSource } from './reload.js';
export { adminConfigSchema, type AdminConfig } from './config.js';
