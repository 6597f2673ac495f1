# cardterm agent image. Multi-stage: build with the dev toolchain, run as a non-root
# user with production dependencies only.
#
#   docker build -t cardterm .
#   docker run --rm -p 127.0.0.1:7070:7070 cardterm                       # the demo
#   docker run --rm --network host -v /etc/cardterm:/etc/cardterm:ro \
#     -v /var/lib/cardterm:/var/lib/cardterm \
#     --device /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0 \
#     cardterm run --config /etc/cardterm/cardterm.yaml                   # a till
#
# PC/SC readers: mount the host's pcscd socket (-v /run/pcscd:/run/pcscd).

FROM node:20-bookworm-slim AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ libpcsclite-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY agent agent
COPY drivers drivers
COPY protocol protocol
COPY config config
COPY server server
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libpcsclite1 fonts-wqy-microhei fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/cardterm --groups dialout cardterm
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/package.json package.json
COPY config/examples config/examples
USER cardterm
ENV NODE_ENV=production
EXPOSE 7070
ENTRYPOINT ["node", "dist/agent/cli/cardterm.js"]
CMD ["demo", "--dir", "/var/lib/cardterm/demo", "--api-host", "0.0.0.0"]
