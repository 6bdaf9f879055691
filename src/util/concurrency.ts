/**
 * Runs `work` over `items`, at most `concurrency` at a time, and returns the
 * results in the items' order (whatever order they finish in). After the
 * first failure no new item starts; the running ones finish, then that first
 * error is thrown.
 *
 * Not p-map: with stopOnError it rejects while items are still running (the
 * callers' work holds databases that must be dropped before the caller
 * cleans up), and it was 4-17x slower on 200,000 trivial items.
 */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { readonly error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, items.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  if (failure !== null) throw (failure as { readonly error: unknown }).error;
  return results;
}
