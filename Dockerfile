# cardterm agent image. Multi-stage: build with the dev toolchain (TypeScript, node-gyp for
# serialport and the optional PC/SC module), then run as the non-root user `cardterm` with
# production dependencies only. docs/deploy.md ("Docker") explains device passthrough.
#
#   docker build -t cardterm .
#   docker run -d --init --restart on-failure --network host \
#     -v /etc/cardterm:/etc/cardterm:ro -v /var/lib/cardterm:/var/lib/cardterm \
#     --device /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0 \
#     --device /dev/receipt-printer --group-add dialout --group-add lp \
#     -v /run/pcscd:/run/pcscd --env-file /etc/cardterm/env \
#     cardterm run --config /etc/cardterm/cardterm.yaml                   # a till (the CMD)
#   docker run --rm -p 127.0.0.1:7070:7070 --entrypoint node \
#     cardterm dist/demo/cardterm-demo.js --dir /var/lib/cardterm/demo --api-host 0.0.0.0   # the demo
#
# --device passes one host device in under the same path (use that path in the config);
# it keeps the host's group, hence --group-add. PC/SC readers stay with the host's pcscd:
# the container only uses its socket (/run/pcscd). No systemd in here: no watchdog, so
# --restart and the HEALTHCHECK below stand in for it. The demo is its own command
# (cardterm-demo, not a subcommand of the till's), hence --entrypoint.

FROM node:20-bookworm-slim AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ libpcsclite-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# All dependencies: the build needs TypeScript; native modules compile against this image's libc.
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY agent agent
COPY drivers drivers
COPY protocol protocol
COPY rules rules
COPY lib lib
COPY config config
COPY server server
COPY demo demo
# Then drop the dev dependencies, keeping the native modules already built (a second
# `npm ci --omit=dev` would rebuild them and need the toolchain again).
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libpcsclite1 fonts-wqy-microhei fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --create-home --home-dir /var/lib/cardterm --groups dialout,lp cardterm
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/package.json package.json
COPY config/examples config/examples
COPY docs docs
USER cardterm
ENV NODE_ENV=production
# The journal lives here: mount it from the host, or every transaction not yet synced is
# lost with the container.
VOLUME ["/var/lib/cardterm"]
EXPOSE 7070
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CARDTERM_API_PORT||7070)+'/api/v1/status').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/agent/cli/cardterm.js"]
CMD ["run", "--config", "/etc/cardterm/cardterm.yaml"]
