/**
 * `almanac costs`: what the narrations have used so far, per model and job kind, from the cost
 * ledger. The dollar figures are estimates from the price table in src/llm/prices.ts.
 */
import { loadConfig } from '../../config/config.ts';
import { PostgresCostLedger, type CostTotal } from '../../llm/cost-ledger.ts';
import { createPool } from '../../serving/postgres.ts';

const HEADINGS = [
  'model',
  'job',
  'calls',
  'input',
  'output',
  'cache read',
  'cache write',
  'est. USD',
];

function dollars(amount: number): string {
  return amount.toFixed(amount !== 0 && amount < 0.01 ? 6 : 2);
}

/** The totals as an aligned table with a closing total line; one line when there are none. */
export function formatCostTotals(totals: readonly CostTotal[]): string {
  if (totals.length === 0) return 'no language-model calls recorded yet';

  const sum = (pick: (total: CostTotal) => number) =>
    totals.reduce((all, total) => all + pick(total), 0);
  const row = (total: Omit<CostTotal, 'model' | 'jobKind'>, model: string, jobKind: string) => [
    model,
    jobKind,
    String(total.calls),
    String(total.inputTokens),
    String(total.outputTokens),
    String(total.cacheReadInputTokens),
    String(total.cacheCreationInputTokens),
    dollars(total.estimatedCostUsd) +
      (total.unpricedCalls > 0 ? ` (${total.unpricedCalls} unpriced)` : ''),
  ];

  const rows = [
    HEADINGS,
    ...totals.map((total) => row(total, total.model, total.jobKind)),
    row(
      {
        calls: sum((total) => total.calls),
        inputTokens: sum((total) => total.inputTokens),
        outputTokens: sum((total) => total.outputTokens),
        cacheReadInputTokens: sum((total) => total.cacheReadInputTokens),
        cacheCreationInputTokens: sum((total) => total.cacheCreationInputTokens),
        estimatedCostUsd: sum((total) => total.estimatedCostUsd),
        unpricedCalls: sum((total) => total.unpricedCalls),
      },
      'total',
      '',
    ),
  ];
  const widths = HEADINGS.map((_, column) =>
    Math.max(...rows.map((cells) => cells[column]!.length)),
  );
  // Names align left, figures right, as in a ledger.
  return rows
    .map((cells) =>
      cells
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Prints the ledger's totals per model and job kind; 0 on success. */
export async function costsCommand(): Promise<number> {
  const config = loadConfig();
  const pool = createPool(config.databaseUrl, 1);
  try {
    const totals = await new PostgresCostLedger(pool).totals();
    console.log(formatCostTotals(totals));
    if (totals.length > 0) console.log('\nDollar figures are estimates from list prices.');
    return 0;
  } finally {
    await pool.end();
  }
}
