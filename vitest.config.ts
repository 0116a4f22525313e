import { defineConfig } from 'vitest/config';

// Layers (docs/architecture.md, "Tests"): unit tests are fast and in-process; integration, chaos and e2e
// drive real services (socat ptys, pcscd, mosquitto, chromium) started by the tests themselves.
// The layers run one after another (sequence.groupOrder): only one pcscd can run on a machine,
// and both integration and e2e tests start one; timing-sensitive tests also run steadier alone.
export default defineConfig({
  test: {
    projects: [
      // Property tests simulate minutes of radio per run: seconds of CPU on a quiet machine, more when
      // the machine is shared. A timeout is a hang detector, not a performance claim.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 }, testTimeout: 60_000 } },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // Kiosk in Debian Chromium (playwright-core); one browser at a time.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'chaos',
          sequence: { groupOrder: 3 },
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
