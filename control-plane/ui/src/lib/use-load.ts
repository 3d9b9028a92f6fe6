/**
 * Loading one API answer into a view: `useLoad(fn, deps)` runs `fn` when `deps` change and gives
 * the data, the failure (a message fit to show) and `reload` for after a change. Used by the
 * settings and skills pages, whose lists are read on open and after each action rather than
 * pushed over the live feed (they change rarely and only by admins).
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useLoad<T>(fn: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  // Only the newest request may write: an answer to a superseded one (deps changed) is dropped.
  const generation = useRef(0);
  const run = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await fn();
      if (mine !== generation.current) return;
      setData(value);
      setError(null);
    } catch (err) {
      if (mine === generation.current) setError(describeError(err));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
    // `fn` is a fresh closure each render; `deps` say when it asks something new.
  }, deps);
  useEffect(() => {
    void run();
    return () => {
      generation.current++;
    };
  }, [run]);
  return { data, error, loading, reload: run };
}

