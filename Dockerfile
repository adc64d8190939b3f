FROM python:3.11-slim-bookworm

# WeasyPrint's libraries; libharfbuzz-subset0 or PDFs render 3-5x slower.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ganapati ganapati
COPY sessions sessions
COPY funding funding
COPY billing billing
COPY documents documents
RUN pip install --no-cache-dir ".[s3]"
COPY . .
# collectstatic needs no secret of production: a throwaway key for this step only.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DEBUG=0 python manage.py collectstatic --noinput

RUN useradd --create-home ganapati && mkdir -p /data/media && chown ganapati /data/media
USER ganapati
EXPOSE 8000
CMD ["gunicorn", "-c", "python:ganapati.gunicorn_conf", "ganapati.wsgi:application"]
