# One image for every Coalition service (gateway and the three subgraphs) and for the one-shot key
# generator; docker-compose.yml chooses which one a container runs with its `command`.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, from the lockfile alone, so that a source change does not reinstall them.
# npm ci links the workspaces, so it needs every workspace's package.json (root package.json
# "workspaces"); tests/docker-compose.test.ts checks that none is missing.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY gateway/package.json gateway/
COPY subgraphs/member/package.json subgraphs/member/
COPY subgraphs/partner-merchant/package.json subgraphs/partner-merchant/
COPY subgraphs/settlement/package.json subgraphs/settlement/
# Runtime dependencies only: tsx, which runs the services' TypeScript, is one of them; the test
# tooling (vitest, typescript, @types) stays out of the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The source stays owned by root: the unprivileged user that runs the services cannot change it.
COPY . .

# Where the key volumes are mounted. A new, empty named volume takes the ownership and mode of the
# directory it is mounted over, so these make the volumes writable by the `keys` job's user.
RUN mkdir -p /var/lib/coalition/keys /var/lib/coalition/public-keys \
 && chown node:node /var/lib/coalition/keys /var/lib/coalition/public-keys \
 && chmod 0700 /var/lib/coalition/keys

USER node
ENV APOLLO_TELEMETRY_DISABLED=1
EXPOSE 4000 4001 4002 4003
CMD ["node", "--import", "tsx", "gateway/src/main.ts"]
