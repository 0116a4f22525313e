#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step on store machines).
import { register } from 'tsx/esm/api';
register();
await import('../gateway/cli/main.ts');
