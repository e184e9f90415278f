import { defineConfig } from 'prisma/config';

// The URL is read with process.env rather than env(): env() throws when the variable is unset,
// which would break `prisma generate` on a machine with nothing configured.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/almanac' },
});
