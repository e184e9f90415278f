/**
 * Supergraph composition, offline. Every schema/<name>.graphql except the supergraph itself is
 * the SDL of subgraph <name>; @apollo/composition merges them into schema/supergraph.graphql,
 * which is committed and is what the gateway serves. Composing is a build step, like codegen:
 * the gateway never composes, so a schema change that does not compose fails here, not at start,
 * and a unit test fails while the committed file differs from what composition yields.
 *
 * The subgraph URLs written into the supergraph are the addresses each subgraph has with nothing
 * configured. The gateway does not use them: it routes each subgraph, by name, to wherever this
 * process started it.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { PROJECT_ROOT } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';

export const SCHEMA_DIR = path.join(PROJECT_ROOT, 'schema');
export const SUPERGRAPH_FILE = 'supergraph.graphql';
export const SUPERGRAPH_PATH = path.join(SCHEMA_DIR, SUPERGRAPH_FILE);

/** Each subgraph's address when nothing is configured; a new subgraph adds its own here. */
export const DEFAULT_SUBGRAPH_URLS: Readonly<Record<string, string>> = {
  profiles: 'http://127.0.0.1:4001/graphql',
};

export interface SubgraphSource {
  name: string;
  sdl: string;
}

/** The subgraph SDL files in `schemaDir`, in name order. */
export async function readSubgraphSources(schemaDir = SCHEMA_DIR): Promise<SubgraphSource[]> {
  const files = (await readdir(schemaDir))
    .filter((file) => file.endsWith('.graphql') && file !== SUPERGRAPH_FILE)
    .sort();

  return Promise.all(
    files.map(async (file) => ({
      name: path.basename(file, '.graphql'),
      sdl: await readFile(path.join(schemaDir, file), 'utf8'),
    })),
  );
}

/** The SDL of one subgraph, from schema/<name>.graphql. */
export async function readSubgraphSdl(name: string, schemaDir = SCHEMA_DIR): Promise<string> {
  const source = (await readSubgraphSources(schemaDir)).find((entry) => entry.name === name);
  if (!source) {
    throw new AlmanacError('API_SCHEMA_MISSING', `no schema/${name}.graphql for subgraph ${name}`);
  }
  return source.sdl;
}

/** Composes `sources` into supergraph SDL; composition errors become one AlmanacError. */
export function composeSources(sources: readonly SubgraphSource[]): string {
  if (sources.length === 0) {
    throw new AlmanacError('API_COMPOSITION_FAILED', 'there are no subgraph schemas to compose');
  }

  const services = sources.map(({ name, sdl }) => {
    const url = DEFAULT_SUBGRAPH_URLS[name];
    if (url === undefined) {
      throw new AlmanacError('API_COMPOSITION_FAILED', `subgraph ${name} has no default URL`, {
        hint: 'Add it to DEFAULT_SUBGRAPH_URLS in src/api/compose.ts',
      });
    }
    try {
      return { name, url, typeDefs: parse(sdl) };
    } catch (cause) {
      throw new AlmanacError(
        'API_COMPOSITION_FAILED',
        `schema/${name}.graphql does not parse: ${(cause as Error).message}`,
        { cause },
      );
    }
  });

  const result = composeServices(services);
  if (result.errors) {
    const reasons = result.errors.map((error) => error.message).join('; ');
    throw new AlmanacError('API_COMPOSITION_FAILED', `the subgraphs do not compose: ${reasons}`, {
      hint: 'Fix the subgraph schemas in schema/, then compose again',
    });
  }
  return `${result.supergraphSdl.trimEnd()}\n`;
}

/** The supergraph SDL that the subgraph schemas in `schemaDir` compose to. */
export async function composeSupergraph(schemaDir = SCHEMA_DIR): Promise<string> {
  return composeSources(await readSubgraphSources(schemaDir));
}

/**
 * Recomposes and rewrites the supergraph file (schema/supergraph.graphql unless told otherwise);
 * says whether its content changed.
 */
export async function writeSupergraph(
  schemaDir = SCHEMA_DIR,
  target = path.join(schemaDir, SUPERGRAPH_FILE),
): Promise<{ path: string; changed: boolean }> {
  const supergraph = await composeSupergraph(schemaDir);
  const previous = await readFile(target, 'utf8').catch(() => null);
  if (previous !== supergraph) await writeFile(target, supergraph);
  return { path: target, changed: previous !== supergraph };
}

/** The committed supergraph SDL the gateway serves. */
export async function readSupergraph(file = SUPERGRAPH_PATH): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new AlmanacError('API_SUPERGRAPH_MISSING', `cannot read ${file}`, {
      hint: 'Run `almanac compose` to compose it from schema/*.graphql',
      cause,
    });
  }
}
