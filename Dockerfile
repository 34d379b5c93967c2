FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY server ./server
COPY migrations ./migrations
COPY web ./web
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
  && rm -rf /var/lib/apt/lists/*
USER node
ENV HOST=0.0.0.0 PORT=8080 ONSET_DATA_DIR=/data
EXPOSE 8080
CMD ["node", "bin/onset.js", "serve"]
