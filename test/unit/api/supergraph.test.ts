import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, SUPERGRAPH_PATH } from '../../../src/api/compose.ts';

describe('schema/supergraph.graphql', () => {
  it('is what the subgraph schemas in schema/ compose to', async () => {
    const committed = await readFile(SUPERGRAPH_PATH, 'utf8');
    const composed = await composeSupergraph();
    expect(committed, 'schema/supergraph.graphql is stale: run `almanac compose`').toBe(composed);
  });
});

describe('composition', () => {
  it('fails with API_COMPOSITION_FAILED and the reason when subgraphs conflict', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'almanac-compose-'));
    try {
      await writeFile(
        path.join(dir, 'profiles.graphql'),
        `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
         type Query { user(id: ID!): User }
         type User @key(fields: "missing") { id: ID! }`,
      );
      await expect(composeSupergraph(dir)).rejects.toMatchObject({
        code: 'API_COMPOSITION_FAILED',
        message: expect.stringContaining('missing'),
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('refuses a subgraph that has no default URL', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'almanac-compose-'));
    try {
      await writeFile(path.join(dir, 'elsewhere.graphql'), 'type Query { hello: String }');
      await expect(composeSupergraph(dir)).rejects.toMatchObject({
        code: 'API_COMPOSITION_FAILED',
        message: 'subgraph elsewhere has no default URL',
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
