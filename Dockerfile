# The autoloop service (and, with another command, its workers).
#   docker build -t autoloop .
#   docker run -p 127.0.0.1:8000:8000 -v autoloop-home:/home/autoloop autoloop
# The service runs as the unprivileged user below. Workers evaluate candidate code under
# kernel confinement, which needs root and namespaces: run them with `--user root
# --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined`
# (compose.yaml does), or they refuse to evaluate.
# Without REDIS_URL the service runs its embedded Redis (unix socket, append-only file in
# AUTOLOOP_HOME); compose.yaml runs a separate Redis, the service and workers instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AUTOLOOP_HOME=/home/autoloop

WORKDIR /src
COPY pyproject.toml README.md ./
COPY autoloop ./autoloop
RUN pip install . && useradd --create-home --home-dir /home/autoloop autoloop

USER autoloop
WORKDIR /home/autoloop
VOLUME ["/home/autoloop"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import httpx; httpx.get('http://127.0.0.1:8000/healthz').raise_for_status()"
# Inside the container the API must listen beyond loopback; publish it on the host's loopback.
CMD ["autoloop", "serve", "--host", "0.0.0.0", "--port", "8000"]
