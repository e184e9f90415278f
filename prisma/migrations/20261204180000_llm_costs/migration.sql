-- The cost ledger: one row per narration that went to a language model, whether the model wrote
-- it or, after the last failed try, the offline narrator did (model 'offline', no tokens). The
-- cost is an estimate from the price table in src/llm/prices.ts; NULL for a model it lacks.

CREATE TABLE "llm_costs" (
    "id" BIGSERIAL NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "job_kind" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "fallback_from" TEXT,
    "attempts" INTEGER NOT NULL,
    "input_tokens" INTEGER NOT NULL,
    "output_tokens" INTEGER NOT NULL,
    "cache_read_input_tokens" INTEGER NOT NULL,
    "cache_creation_input_tokens" INTEGER NOT NULL,
    "estimated_cost_usd" DECIMAL(14,8),
    CONSTRAINT "llm_costs_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "llm_costs_created_at_idx" ON "llm_costs"("created_at");
