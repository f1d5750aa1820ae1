/** Polls `f` until it gives a value (not undefined or false), failing after `ms` with what was awaited. */
export async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
