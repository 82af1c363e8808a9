import DataLoader from 'dataloader';

/**
 * What one request may read, handed to every module's loaders: church records (`churches`: all of
 * them for a platform admin, else the viewer's), and the churches whose people it may see (`data`).
 */
export interface LoaderScope {
  churches: { all: boolean; ids: readonly number[] };
  data: readonly number[];
}

/** Keyset cursor values of a page argument (as the cursor helpers decode them). */
export type Keyset = Array<string | number | null> | undefined;

export function byId<T extends { id: number }>(load: (ids: readonly number[]) => Promise<T[]>) {
  return new DataLoader<number, T | null>(async (ids) => {
    const rows = await load(ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

export function grouped<V>(load: (keys: readonly number[]) => Promise<Map<number, V[]>>) {
  return new DataLoader<number, V[]>(async (keys) => {
    const map = await load(keys);
    return keys.map((k) => map.get(k) ?? []);
  });
}

export function counted(load: (keys: readonly number[]) => Promise<Map<number, number>>) {
  return new DataLoader<number, number>(async (keys) => {
    const map = await load(keys);
    return keys.map((k) => map.get(k) ?? 0);
  });
}

/** One DataLoader per distinct argument set (page size, cursor, filter), each batching over parents. */
export function family<A, L>(make: (args: A) => L) {
  const loaders = new Map<string, L>();
  return (args: A): L => {
    const key = JSON.stringify(args);
    let l = loaders.get(key);
    if (!l) {
      l = make(args);
      loaders.set(key, l);
    }
    return l;
  };
}

/**
 * For loaders keyed by church id: keys outside `churchIds` are dropped before any SQL, so the
 * statement only ever names churches of the scope and another church's key yields nothing.
 */
export function withinChurches(churchIds: readonly number[]) {
  const allowed = new Set(churchIds);
  return <V>(load: (keys: readonly number[]) => Promise<Map<number, V>>) =>
    async (keys: readonly number[]): Promise<Map<number, V>> => {
      const inScope = keys.filter((k) => allowed.has(k));
      return inScope.length ? load(inScope) : new Map<number, V>();
    };
}
