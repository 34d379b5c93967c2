# Build stage: the web UI needs the dev dependencies (Vite).
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
COPY web ./web
COPY server ./server
RUN npm ci --no-audit --no-fund && npm run build:web

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY server ./server
COPY migrations ./migrations
COPY --from=web /app/web/dist ./web/dist
# A named volume mounted here takes this ownership.
RUN mkdir /data && chown node:node /data
USER node
ENV HOST=0.0.0.0 PORT=8080 ONSET_DATA_DIR=/data
EXPOSE 8080
CMD ["node", "bin/onset.js", "serve"]
