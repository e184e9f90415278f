import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config/config.ts';

describe('resolvers/generated-types.ts', () => {
  it('is what codegen makes of the subgraph schema (run `npm run codegen` if not)', async () => {
    const { config } = await loadCodegenConfig({
      configFilePath: path.join(PROJECT_ROOT, 'codegen.yml'),
    });
    // Without writing, codegen skips its hooks, so the prettier pass is done here.
    const [output] = await generate(
      { ...config, cwd: PROJECT_ROOT, hooks: {}, silent: true },
      false,
    );
    const target = path.join(PROJECT_ROOT, output!.filename);
    const options = await prettier.resolveConfig(target);
    const expected = await prettier.format(output!.content, { ...options, filepath: target });

    const committed = await readFile(target, 'utf8');
    expect(committed, 'resolvers/generated-types.ts is stale: run `npm run codegen`').toBe(
      expected,
    );
  });
});
