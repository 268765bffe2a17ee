# syntax=docker/dockerfile:1
# The endpoint picker image: `docker build -t epp .`
# Stages: build (tsc to dist/), deps (production node_modules only), runtime (node:24 slim, non-root).

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency install scripts run (the `node` package's binary download is not needed
# in an image that already has Node 24).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY proto ./proto
COPY src ./src
COPY scripts ./scripts
# tsc directly, not `npm run build`: npm puts node_modules/.bin first on PATH, where the `node` package's
# shim has no binary behind it (install scripts were skipped); the image's own Node 24 runs tsc. Then, as
# `npm run build` does, @kubernetes/client-node is bundled down to the four names the picker uses (esbuild
# finds its binary in its platform package without its install script): ~30 MB less RSS in Kubernetes mode.
RUN ./node_modules/.bin/tsc -p tsconfig.build.json && node scripts/bundle-client-node.ts dist && node scripts/copy-ui.ts dist

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production
# One malloc arena instead of 8 per core: V8's helper threads (compiler, GC) otherwise grow arenas of their
# own that keep 8-11 MB resident after startup; with one, the main thread reuses that memory. With a full prefix
# index at 1,000 endpoints: 10-13 MB less RSS than glibc's default with 2 arenas, 8-9 MB less again with 1, and
# ext_proc CPU per request measured the same (bench/overhead/README.md, Memory). A fixed trim threshold: glibc
# otherwise raises it to twice the largest freed mmapped block (60 MB after a 30 MB body) and keeps the freed
# top of the arena after large bodies (bench/overhead/README.md, Large bodies).
ENV MALLOC_ARENA_MAX=1
ENV MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY bin ./bin
# dist/src/extproc/codec/proto.js finds the protos at ../../../../proto (the package root).
COPY proto ./proto
# A numeric non-root user, so runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
# ext_proc gRPC, gRPC health, Prometheus metrics
EXPOSE 9002 9003 9090
# A young generation of at most 3 x 8 MB: V8's default lets it grow to 48 MB under load, which is a quarter of
# the picker's RSS, and ext_proc CPU per request measured the same either way (bench/overhead/README.md, Memory).
ENTRYPOINT ["node", "--max-semi-space-size=8", "bin/epp.js"]
