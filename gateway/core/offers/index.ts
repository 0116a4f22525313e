/** Offers core (issue 8): triggers, matching, caps, the decision, credentials, basket value. */
export * from './types';
export * from './decide';
export * from './match';
export * from './triggers';
export * from './discount';
export * from './credential';
export * from './local-time';
export * from './holdout';
