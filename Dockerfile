# syntax=docker/dockerfile:1
#
# cocoon: one image for every role. The client is the default command; the same image runs
# `cocoon proxy|worker|chain serve|fake-inference|network ...` given as the command.
#
#   docker build -t cocoon .
#   docker run -v ./data:/data -p 10000:10000 cocoon                 # client /data/client.json
#   docker run -v ./data:/data cocoon proxy /data/proxy.json
#
# Configs and keys come from the volume /data (the working directory: relative paths in a
# config land there; writable by uid 10001); any config key can be overridden by an
# environment variable COCOON_<KEY> (COCOON_LEDGER, COCOON_PROXIES, COCOON_API_KEYS...).
# Logs go to the container's output (stderr, unbuffered), nothing to files.
# Built elsewhere from python:3.11-slim; on a machine without a registry, from a local
# Debian image: --build-arg BASE=localhost/bookworm-python:3.11 (see README).
ARG BASE=python:3.11-slim

# ---------------------------------------------------------------- build: a venv with cocoon
FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/cocoon
WORKDIR /src
# The dependencies first, from pyproject.toml alone: a change to the code reuses this layer.
# A CA bundle may be given as the build secret `cacert` (a registry behind a TLS-inspecting
# proxy); without it pip trusts the image's own CAs.
COPY pyproject.toml ./
RUN --mount=type=secret,id=cacert,required=false \
    if [ -s /run/secrets/cacert ]; then export PIP_CERT=/run/secrets/cacert; fi; \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > /tmp/requirements.txt \
    && /opt/cocoon/bin/pip install -r /tmp/requirements.txt
COPY README.md ./
COPY cocoon ./cocoon
# Then the package itself (no dependencies left to fetch); pip and setuptools are not needed
# to run, and leave the venv.
RUN --mount=type=secret,id=cacert,required=false \
    if [ -s /run/secrets/cacert ]; then export PIP_CERT=/run/secrets/cacert; fi; \
    /opt/cocoon/bin/pip install --no-deps . \
    && /opt/cocoon/bin/pip uninstall -y pip setuptools

# ---------------------------------------------------------------- run: the base and the venv
FROM ${BASE}
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /data --shell /usr/sbin/nologin cocoon \
    && mkdir /data && chown cocoon:cocoon /data
COPY --from=build /opt/cocoon /opt/cocoon
# COCOON_HTTP_HOST: a role's pages and API listen on every address of the container (a
# published port reaches nothing on its loopback); the Host check still applies.
ENV PATH=/opt/cocoon/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COCOON_HTTP_HOST=0.0.0.0 \
    COCOON_HEALTH_URL=http://127.0.0.1:10000/health
USER cocoon
WORKDIR /data
VOLUME /data
# The client's API and pages; a proxy listens on 11101 (workers) and 11102 (clients) by default.
EXPOSE 10000
# /health answers 200 once the role is ready (a client: connected to a proxy, models known),
# 503 before; roles other than the client set COCOON_HEALTH_URL to their own HTTP port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['COCOON_HEALTH_URL'], timeout=4)"]
# SIGTERM (docker stop) cancels the role's nursery: its cleanup runs and it exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["cocoon"]
CMD ["client", "/data/client.json"]
