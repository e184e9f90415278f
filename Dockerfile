# syntax=docker/dockerfile:1
#
# One image for every Almanac process: the GraphQL API (`serve`, the default command), the stream
# aggregator (`aggregate`) and one-off commands such as `import` and `migrate`. TypeScript runs
# through tsx at start, so there is no compile step. See docs/docker.md.

FROM node:20-bookworm-slim AS build
WORKDIR /app

# Dependencies first, so that a change to the sources does not reinstall them. Install scripts
# stay off: no dependency needs its own here (Prisma's engines package would download a binary),
# and the one script the project does need, the `prepare` step that generates the Prisma client
# from prisma/schema.prisma, runs by hand right after.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --ignore-scripts && node scripts/prisma-generate.js

# The generated client is kept out of the build context (.dockerignore), so this copy cannot
# replace the client generated above with a stale one from the host.
COPY . .
RUN npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
# NODE_ENV stays unset, as under `npm start`: Apollo Server reads it, and the API should behave
# the same in a container as outside one.
ENV ALMANAC_HOME=/var/lib/almanac \
    ALMANAC_HOST=0.0.0.0
WORKDIR /app

# The application files belong to root and the processes run as `node`, so a compromised process
# cannot rewrite the code it runs. ALMANAC_HOME is the one place it may write.
COPY --from=build /app ./
RUN mkdir -p /var/lib/almanac && chown node:node /var/lib/almanac
USER node

EXPOSE 4000
CMD ["node", "bin/almanac.js", "serve"]
