# One image, two entrypoints: herald-controller and herald-speaker.
# Build: docker build -t herald:dev .   (test/docker/dockerfile.test.ts keeps these steps identical to CI's)
ARG NODE_IMAGE=node:24.22.3-bookworm

# ---- build: TypeScript and the speaker's N-API addon against the image's own Node headers ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# node-gyp must never download headers: official Node images ship them under /usr/local/include/node.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/kube/package.json packages/kube/
COPY packages/controller/package.json packages/controller/
COPY packages/speaker/package.json packages/speaker/
COPY packages/cli/package.json packages/cli/
RUN npm ci --no-audit --no-fund
COPY packages/ packages/
RUN npm run build
# Production dependencies only, for the runtime stage.
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: slim Debian with Node, production dependencies and the compiled output only ----------
FROM node:24.22.3-bookworm-slim AS runtime
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/packages/core/package.json packages/core/
COPY --from=build /src/packages/core/dist/ packages/core/dist/
COPY --from=build /src/packages/kube/package.json packages/kube/
COPY --from=build /src/packages/kube/dist/ packages/kube/dist/
COPY --from=build /src/packages/controller/package.json packages/controller/
COPY --from=build /src/packages/controller/dist/ packages/controller/dist/
COPY --from=build /src/packages/speaker/package.json packages/speaker/
COPY --from=build /src/packages/speaker/dist/ packages/speaker/dist/
COPY --from=build /src/packages/speaker/native/build/Release/herald_net.node packages/speaker/native/build/Release/herald_net.node
COPY --from=build /src/packages/cli/package.json packages/cli/
COPY --from=build /src/packages/cli/dist/ packages/cli/dist/
# The controller and the speaker run as one esbuild bundle each (packages/kube/tools/bundleBinaries.mjs):
# ~1,080 modules, most of the Kubernetes client unused, cost ~20 MiB more resident memory per process.
RUN ln -s /app/packages/controller/dist/bundle/herald-controller.mjs /usr/local/bin/herald-controller \
 && ln -s /app/packages/speaker/dist/bundle/herald-speaker.mjs /usr/local/bin/herald-speaker \
 && ln -s /app/packages/cli/dist/main.js /usr/local/bin/kubectl-herald \
 && chmod +x /app/packages/controller/dist/bundle/herald-controller.mjs /app/packages/speaker/dist/bundle/herald-speaker.mjs /app/packages/cli/dist/main.js
ENV NODE_ENV=production
# Node 24's V8 sizes the young generation from the heap limit (up to 3 x 32 MiB semi-spaces); for a speaker with
# 500 Services that was ~200 MiB resident instead of ~155 MiB, too close to the chart's 256 MiB limit. 2 MiB
# semi-spaces, and --optimize-for-size (V8's memory-saving heuristics; the optimizing compilers stay on) in
# the bundles' shebang because Node refuses it in NODE_OPTIONS, cut an idle speaker's and controller's
# memory with no slower ARP or heartbeat path (docs/install.md, "Memory and CPU"). Tests run the binaries
# with the same flags (test/processes.ts IMAGE_NODE_OPTIONS, BUNDLE_NODE_FLAGS; test/docker checks).
ENV NODE_OPTIONS=--max-semi-space-size=2
# The controller runs as nobody. The speaker's Pod sets runAsUser 0 with only CAP_NET_RAW (see the chart).
USER 65534:65534
EXPOSE 7472 7473 7947/udp
ENTRYPOINT ["herald-controller"]
