const pending = new Set<() => void>();

/**
 * Registers a synchronous undo (kill a child by PID, remove a temp dir) that runs only if the whole run is
 * aborted by its deadline; the returned function unregisters it once its owner has cleaned up normally.
 */
export function onAbort(undo: () => void): () => void {
  pending.add(undo);
  return () => pending.delete(undo);
}

export function abortAll(): void {
  for (const undo of pending) {
    try {
      undo();
    } catch {
      // best effort: the run is being abandoned
    }
  }
  pending.clear();
}
