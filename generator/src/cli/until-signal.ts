import type { Io } from '../../../core/src/cli-output.js';

/**
 * SIGTERM and SIGINT end a long-running command (lb watch, lb xds): the returned signal aborts, the
 * command stops what it runs and returns, and `dispose()` takes the handlers off again.
 */
export function untilSignal(io: Io): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onSignal = (name: string) => {
    io.out(`${name}: stopping\n`);
    stop.abort();
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  return {
    signal: stop.signal,
    dispose() {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    },
  };
}
