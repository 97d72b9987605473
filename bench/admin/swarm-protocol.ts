/** Messages between the benchmark and the proxy-swarm child process (over the fork IPC channel). */
export type SwarmCommand =
  | { op: 'start'; address: string; ids: string[] }
  | { op: 'status' }
  | { op: 'join'; id: string; above: number }
  | { op: 'leave'; id: string; above: number }
  | { op: 'close' };

export type SwarmReply =
  | { op: 'started'; ms: number }
  | { op: 'status'; live: number; minVersion: number; maxVersion: number; errors: string[] }
  /** The change took `lastTableMs` until the last live proxy received a table above `above`. */
  | { op: 'changed'; lastTableMs: number; version: number }
  | { op: 'closed' }
  | { op: 'failed'; error: string };
