/**
 * What every resolver receives: the request's own DataLoaders.
 */
import type { LoaderSources, Loaders } from './loaders.ts';
import { createLoaders } from './loaders.ts';

export interface ApiContext {
  loaders: Loaders;
}

/** The context for one request. */
export function createContext(sources: LoaderSources): ApiContext {
  return { loaders: createLoaders(sources) };
}
