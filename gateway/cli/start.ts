import closeWithGrace from 'close-with-grace';
import { loadConfig } from '../config/load';
import { createLogger } from '../adapters/logging/create-logger';
import { startGateway } from '../app/gateway';

/** Runs until SIGTERM/SIGINT; then stops taking frames, finishes the request in hand, closes the DB. */
export async function runStart(file: string | undefined): Promise<number> {
  const config = loadConfig({ file });
  const logger = createLogger({ level: config.log.level });
  const gateway = await startGateway(config, { logger });
  logger.info({ store: config.store.id, lanes: config.lanes.length }, 'gateway started');
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down');
    else logger.info({ signal }, 'shutting down');
    await gateway.stop();
  });
  return 0;
}
