# One image for every zfleet container (broker, workers, producer): the
# prebuilt binaries from build/ on a Debian 12 base that already holds their
# runtime libraries. Nothing is downloaded while building: the base image is
# made offline with debootstrap (see scripts/compose-up, docker/README.md).
#   scripts/bootstrap                      # builds build/
#   docker build -t zfleet:local .         # or --build-arg BUILD_DIR=build-release
FROM debian:bookworm-slim

# The build directory to take the binaries from, relative to the repository.
ARG BUILD_DIR=build
COPY ${BUILD_DIR}/broker/zfleet-broker ${BUILD_DIR}/worker/zfleet-worker \
     ${BUILD_DIR}/broker/zfleetctl/zfleetctl /usr/local/bin/

# Fails the image build at once if a runtime library is missing from the base.
RUN for b in zfleet-broker zfleet-worker zfleetctl; do \
      if ldd "/usr/local/bin/$b" | grep 'not found'; then \
        echo "missing runtime libraries for $b (rebuild the base image)" >&2; exit 1; \
      fi; \
    done \
 && mkdir -p /var/lib/zfleet/work

WORKDIR /var/lib/zfleet
# The broker listens on these inside the network; nothing is published on the host.
EXPOSE 5555 5556
CMD ["zfleet-broker", "--clients", "tcp://0.0.0.0:5555", "--workers", "tcp://0.0.0.0:5556"]
