# syntax=docker/dockerfile:1
# One image for every POS process: the per-context APIs (gunicorn), migrations, the Celery worker
# and beat, and the Kafka consumers. docker-compose.yml picks the process with `command:` and the
# context with POS_CONTEXTS.
# The browser till's bundle (frontend/till/), built from its lockfile; only dist/ goes on. The
# type check against the API schema runs in `make till`/`make test`, not here (esbuild drops types).
FROM node:20-slim AS till
WORKDIR /till
COPY frontend/till/package.json frontend/till/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/till/build.mjs ./
COPY frontend/till/src ./src
RUN node build.mjs

FROM python:3.11-slim

# POS_DATA_DIR: the only writable directory (collected static files; the SQLite file if the image
# were ever run embedded). POS_MODE=full by default: the settings then refuse to start without
# DJANGO_SECRET_KEY, and DEBUG is off.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POS_DATA_DIR=/app/var \
    POS_MODE=full

WORKDIR /app

# Its home is the writable data directory (gunicorn keeps its control socket under $HOME).
RUN groupadd --system --gid 10001 pos \
 && useradd --system --uid 10001 --gid pos --home-dir /app/var --no-create-home --shell /usr/sbin/nologin pos

# Dependencies first, so a code change does not reinstall them. psycopg[binary] ships its own
# libpq, so no compiler is needed; WeasyPrint (Z-reports as PDF) needs Pango and its fonts.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

# The code belongs to root and is read-only for the app user; only POS_DATA_DIR is writable.
COPY . .
COPY --from=till /till/dist /app/frontend/till/dist
RUN mkdir -p /app/var && chown pos:pos /app/var

USER pos

# Static files are collected into the image (whitenoise serves them, compressed in full mode).
# The secret key exists for this one step only; it is not in the image's environment, nor is the
# cache address (full mode refuses to start without a shared cache; collectstatic never connects).
RUN DJANGO_SECRET_KEY=build-time-only-dummy-key-not-used-at-runtime POS_CACHE_URL=redis://build-time-unused/0 python manage.py collectstatic --noinput -v1

EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "pos_project.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
