import { writeSupergraph } from '../../api/compose.ts';

/** Recomposes schema/supergraph.graphql from the subgraph SDL files beside it. */
export async function composeCommand(): Promise<number> {
  const { changed } = await writeSupergraph();
  console.log(
    changed ? 'composed schema/supergraph.graphql' : 'schema/supergraph.graphql is up to date',
  );
  return 0;
}
