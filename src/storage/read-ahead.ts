/**
 * Read ahead: yields what `source` yields, asking it for its next item as soon as one is handed
 * out, so the database streams the next batch while the caller works on this one (a sweep's or a
 * broadcast plan's time is otherwise the sum of both). One item is read ahead at most. Ended
 * early (a return, a throw), it waits for the read in flight, then closes the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (let r = await next; !r.done; r = await next) {
      next = it.next();
      next.catch(() => undefined); // seen by the loop, or dropped with the stream
      yield r.value;
    }
  } finally {
    await next.catch(() => undefined);
    await it.return?.(undefined);
  }
}
