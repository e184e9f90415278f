/**
 * Bounds on what one request may ask for. Aliases let a small query ask for the same expensive
 * field thousands of times, so the limit is on fields selected, counted with fragments expanded,
 * rather than on the size of the text.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** Fields one operation may select; `users(ids: [100 ids])` with every User field is ~50. */
export const MAX_SELECTED_FIELDS = 500;

function countFields(
  selectionSet: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  budget: number,
): number {
  let total = 0;
  for (const selection of selectionSet?.selections ?? []) {
    if (total > budget) return total;
    if (selection.kind === Kind.FIELD) {
      total += 1 + countFields(selection.selectionSet, fragments, visiting, budget - total);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      total += countFields(selection.selectionSet, fragments, visiting, budget - total);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      // A fragment that spreads itself is reported by graphql's own NoFragmentCycles rule.
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      total += countFields(fragment.selectionSet, fragments, visiting, budget - total);
      visiting.delete(name);
    }
  }
  return total;
}

/** A validation rule refusing operations that select more than `limit` fields. */
export function maxSelectedFields(limit = MAX_SELECTED_FIELDS) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
        .map((definition) => [definition.name.value, definition]),
    );
    return {
      OperationDefinition(operation) {
        const fields = countFields(operation.selectionSet, fragments, new Set(), limit);
        if (fields > limit) {
          context.reportError(
            new GraphQLError(
              `the operation selects more than ${limit} fields (aliases and fragments count); ` +
                'split it into several requests',
              { nodes: [operation] },
            ),
          );
        }
      },
    };
  };
}
