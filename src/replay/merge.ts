/**
 * Merges async streams that are each sorted by `compare` into one sorted stream. Holds one pending
 * item per stream; sources are few (one per partitioned source bucket, plus the simple layout).
 */
export async function* mergeSorted<T>(streams: AsyncIterator<T>[], compare: (a: T, b: T) => number): AsyncGenerator<T> {
  const heads = await Promise.all(streams.map(async (s) => ({ stream: s, next: await s.next() })));
  let live = heads.filter((h) => h.next.done !== true);
  try {
    while (live.length > 0) {
      let best = live[0]!;
      for (const h of live) {
        if (compare(h.next.value as T, best.next.value as T) < 0) best = h;
      }
      yield best.next.value as T;
      best.next = await best.stream.next();
      if (best.next.done === true) live = live.filter((h) => h !== best);
    }
  } finally {
    // Early exit (a stop, an error): close the remaining listings so no request is left running.
    await Promise.all(live.map((h) => (h.stream.return ? h.stream.return(undefined) : Promise.resolve(undefined))));
  }
}
